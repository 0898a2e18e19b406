"""The customer pays an invoice from the link in its email, on a phone (issue #16)."""

import re
import urllib.request
from decimal import Decimal
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from encaissement.models import Consultation, Paiement, SessionPaiement
from encaissement.services import Allocation, paiement_enregistrer
from facturation.public import public_url
from facturation.selectors import EtatPaiement, etat_paiement, facture_lire
from pgi.models import Enregistrement, RecordKind
from pgi.permissions import Role
from tests import factories
from tests.encaissement.epc import decode_png
from tests.encaissement.online import SECRET_KEY, WEBHOOK_SECRET, stripe_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def stripe_live(settings, live_server, fake_stripe):
    """The `stripe` library and the browser pointed at the fake; the fake's webhooks go to
    the live server, signed with the endpoint's secret."""
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.SITE_URL = live_server.url
    settings.SECURE_CSP = {
        **settings.SECURE_CSP, "form-action": [*settings.SECURE_CSP["form-action"], fake_stripe.url]
    }  # fmt: skip
    return fake_stripe


def _register_webhook(fake_stripe, url: str) -> None:
    data = urlencode({"url": url, "secret": WEBHOOK_SECRET}).encode()
    urllib.request.urlopen(f"{fake_stripe.url}/_config/webhooks/encaisse", data=data).close()


def _login(page, email):
    page.goto("/connexion/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_the_customer_pays_by_card_from_the_emailed_link_on_a_phone(
    browser, page, live_server, stripe_live, screenshot
):
    company = factories.issuing_company("Atelier Paiement SAS")
    factories.member(company, Role.OWNER, email="owner@test.example")
    customer = factories.business_client(company, name="Client Mobile SARL",
                                         email="client@mobile.example")  # fmt: skip
    facture = factories.issued(company, customer,
                               lines=[factories.line(unit_price="350", quantity="2")])  # fmt: skip
    assert facture.total_incl_vat == Decimal("840.00")

    # The owner connects the company's Stripe account; the secrets are never shown back.
    _login(page, "owner@test.example")
    page.goto("/parametres/")
    page.get_by_role("link", name="Paiement en ligne").click()
    page.get_by_label("Proposer le paiement en ligne").check()
    page.get_by_label("Clé publiable").fill("pk_test_123")
    page.get_by_label("Clé secrète").fill(SECRET_KEY)
    page.get_by_label("Secret de signature du webhook").fill(WEBHOOK_SECRET)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Paiement en ligne enregistré")
    expect(page.get_by_test_id("secret-state")).to_contain_text("jamais réaffichée")
    assert SECRET_KEY not in page.content() and WEBHOOK_SECRET not in page.content()
    screenshot(page, "payment-owner-stripe-settings")
    _register_webhook(stripe_live, page.get_by_test_id("webhook-url").inner_text().strip())

    # The owner sends the invoice: the email carries the payment link.
    page.goto(f"/factures/{facture.pk}/envoyer/")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#messages")).to_contain_text("Envoi programmé")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/d/\S+/", mail.outbox[0].body).group(0)
    assert "régler en ligne" in mail.outbox[0].body

    # A first transfer of 40.00 arrived: 800.00 is left to pay.
    paiement_enregistrer(
        company=company, user=None, client=customer, day=timezone.localdate(),
        amount=Decimal("40.00"), method="virement",
        allocations=[Allocation(facture.pk, Decimal("40.00"))],
    )  # fmt: skip

    # The customer, on a phone, without an account.
    phone = browser.new_context(
        viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    customer_page = phone.new_page()
    errors: list[str] = []
    customer_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    customer_page.goto(link)
    expect(customer_page.get_by_test_id("public-amount-due")).to_have_text(re.compile(r"800,00"))
    expect(customer_page.get_by_test_id("already-paid")).to_contain_text("40,00")
    expect(customer_page.get_by_test_id("transfer-reference")).to_have_text(facture.number)
    qr = customer_page.get_by_test_id("epc-qr").locator("svg")
    expect(qr).to_be_visible()
    codes = decode_png(qr.screenshot())
    assert [(c.iban, c.amount, c.text, c.name) for c in codes] == [
        (company.iban, Decimal("800.00"), facture.number, "Atelier Paiement SAS")
    ]
    screenshot(customer_page, "payment-page-phone")
    # The htmx call on load marked the page viewed (the GET itself wrote nothing).
    expect(customer_page.locator("[hx-post]")).to_have_count(1)

    customer_page.get_by_test_id("pay-card").click()
    expect(customer_page).to_have_url(re.compile(re.escape(stripe_live.url) + r"/checkout/"))
    expect(customer_page.get_by_text("800,00 €").first).to_be_visible()
    screenshot(customer_page, "payment-fake-stripe-checkout")
    customer_page.get_by_role("button", name=re.compile("Payer")).click()
    expect(customer_page).to_have_url(re.compile(r"/paiement/retour/"))
    expect(customer_page.get_by_test_id("payment-state")).to_contain_text(
        "Paiement de 800,00 € reçu", timeout=20_000
    )
    screenshot(customer_page, "payment-returned-paid")
    customer_page.get_by_role("link", name="Retour à la facture").click()
    expect(customer_page.get_by_test_id("invoice-paid")).to_be_visible()
    expect(customer_page.get_by_test_id("already-paid")).to_contain_text("Carte bancaire")
    assert errors == []
    phone.close()

    # The owner: paid, viewed and paid in the history, the payment in the register.
    page.goto(f"/factures/{facture.pk}/")
    expect(page.get_by_test_id("payments")).to_contain_text("Payée")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Consultée par le client")
    expect(timeline).to_contain_text("Paiement de 800,00 € reçu")
    screenshot(page, "payment-owner-invoice-paid")
    fresh = facture_lire(company=company, pk=facture.pk)
    assert etat_paiement(fresh, today=fresh.issue_date) == EtatPaiement.PAID
    paiement = Paiement.objects.get(method="carte")
    assert paiement.amount == Decimal("800.00") and paiement.payer == "Client Test"
    assert Enregistrement.objects.filter(
        company=company, kind=RecordKind.PAYMENT, reference=paiement.number
    ).exists()
    assert Consultation.objects.filter(facture=facture).count() == 1
    out = StringIO()
    call_command("verify_registre", "--company", company.siren, stdout=out)
    assert f"{company.display_name} : intègre" in out.getvalue()
    assert page.console_errors == []


def test_a_sepa_debit_is_processing_until_the_bank_answers(
    browser, live_server, stripe_live, screenshot
):
    """LEGAL.md §7: the customer pays by SEPA debit; while the bank has not answered the page
    says "processing" and the invoice is not paid; when the debit succeeds, it is."""
    company = factories.issuing_company("Prélèvements SAS")
    customer = factories.business_client(company, name="Client SEPA SARL")
    compte = stripe_account(company)
    _register_webhook(stripe_live, f"{live_server.url}/webhooks/paiement/{compte.webhook_token}/")
    facture = factories.issued(company, customer)
    link = public_url(facture)

    phone = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(link)
    page.get_by_test_id("pay-sepa").click()
    expect(page.get_by_label("IBAN")).to_be_visible()
    page.get_by_role("button", name=re.compile("Payer")).click()
    expect(page.get_by_test_id("payment-state")).to_contain_text(
        "en cours de traitement", timeout=20_000
    )
    page.goto(link)
    expect(page.get_by_test_id("payment-processing")).to_contain_text("120,00 €")
    # Nothing more to pay meanwhile: no button, no transfer details.
    expect(page.get_by_test_id("pay-card")).to_have_count(0)
    expect(page.get_by_test_id("transfer")).to_have_count(0)
    screenshot(page, "payment-sepa-processing")
    fresh = facture_lire(company=company, pk=facture.pk)
    assert fresh.amount_due == Decimal("120.00") and not Paiement.objects.exists()

    session = SessionPaiement.objects.get(facture=facture)
    data = urlencode({"outcome": "succeeded"}).encode()
    settle = f"{stripe_live.url}/_config/checkout/{session.provider_id}/settle"
    urllib.request.urlopen(settle, data=data).close()
    # The fake delivers the bank's answer a second later, as Stripe does: reload until then.
    for _ in range(60):
        page.goto(link)
        if page.get_by_test_id("invoice-paid").count():
            break
        page.wait_for_timeout(500)
    expect(page.get_by_test_id("invoice-paid")).to_be_visible()
    assert Paiement.objects.get().method == "prelevement"
    phone.close()
