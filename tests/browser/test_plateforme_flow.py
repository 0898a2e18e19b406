"""E-invoicing through an approved platform (issue #21): an invoice to a business customer
is issued, the fake platform answers "déposée" then "approuvée" by webhook and the invoice's
page shows it; a supplier invoice received through the platform is refused with a reason."""

import re

import pytest
import requests
from playwright.sync_api import expect

from facturation.models import FactureRecue, Flux
from facturation.plateforme.models import ConnexionPlateforme, EtatFactureRecue
from facturation.plateforme.services import connexion_enregistrer
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories
from tests.plateforme.conftest import API_KEY, WEBHOOK_SECRET
from tests.plateforme.test_reception import arrive, supplier_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake_pa_server():
    from tests.fakes.plateforme import FakePlateforme

    server = FakePlateforme()
    yield server
    server.stop()


def _login(page, email):
    page.goto("/connexion/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _connect(company, fake, live_server):
    connexion_enregistrer(company=company, active=True, base_url=fake.url, name="Fake PA",
                          api_key=API_KEY, webhook_secret=WEBHOOK_SECRET)  # fmt: skip
    connexion = ConnexionPlateforme.objects.get(company=company)
    url = f"{live_server.url}/webhooks/plateforme/{connexion.webhook_token}/"
    requests.post(fake.url + "/_fake/webhook", data={"url": url, "secret": WEBHOOK_SECRET},
                  timeout=10).raise_for_status()  # fmt: skip


def test_an_invoice_is_deposited_then_approved_on_the_platform(
    page, live_server, fake_pa_server, screenshot
):
    company = factories.issuing_company("Conseil Électronique SAS")
    factories.member(company, Role.OWNER, email="owner@pa.example")
    customer = factories.business_client(company, name="Acheteur Pro SARL")
    _connect(company, fake_pa_server, live_server)
    draft = factories.draft(company, customer, lines=[factories.line("Audit", unit_price="800")])

    _login(page, "owner@pa.example")
    page.goto(f"/factures/{draft.pk}/modifier/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Enregistrer et émettre").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("F-")
    # Submitted after commit; the platform's "déposée" comes back by webhook.
    flux = Flux.objects.get(facture=draft)
    assert flux.flow_id
    status = page.get_by_test_id("pa-status")
    for _attempt in range(20):
        page.reload()
        if "Déposée" in status.inner_text():
            break
        page.wait_for_timeout(250)
    expect(status).to_have_text(re.compile("Déposée"))

    # The buyer approves it on its side: the platform sends "approuvée".
    requests.post(f"{fake_pa_server.url}/_fake/flows/{flux.flow_id}/status",
                  data={"code": "205"}, timeout=10).raise_for_status()  # fmt: skip
    for _attempt in range(20):
        page.reload()
        if "Approuvée" in status.inner_text():
            break
        page.wait_for_timeout(250)
    expect(status).to_have_text(re.compile("Approuvée"))
    lifecycle = page.get_by_test_id("pa-lifecycle")
    expect(lifecycle).to_contain_text("Déposée (200)")
    expect(lifecycle).to_contain_text("Approuvée (205)")
    expect(page.get_by_test_id("timeline")).to_contain_text("Plateforme : Approuvée (205)")
    screenshot(page, "plateforme-invoice-approved")
    assert page.console_errors == []


def test_the_owner_refuses_a_received_supplier_invoice(
    page, live_server, fake_pa_server, screenshot
):
    company = factories.issuing_company("Acheteuse SAS")
    factories.member(company, Role.OWNER, email="buyer@pa.example")
    _connect(company, fake_pa_server, live_server)
    data, number = supplier_pdf(company)
    arrive(fake_pa_server, data)  # the platform pushes it to our webhook
    for _attempt in range(40):
        if FactureRecue.objects.filter(company=company).exists():
            break
        page.wait_for_timeout(250)

    _login(page, "buyer@pa.example")
    page.get_by_role("link", name="Facturation électronique").first.click()
    page.get_by_role("link", name="Factures reçues").click()
    page.get_by_role("link", name="Fournisseur Bureautique SAS").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    page.get_by_label("Motif du refus").fill("Livraison jamais reçue")
    page.get_by_test_id("refuse").click()
    expect(page.get_by_test_id("recue-state")).to_have_text("Refusée")
    expect(page.get_by_test_id("refusal-reason")).to_have_text("Livraison jamais reçue")
    expect(page.get_by_test_id("recue-statuts")).to_contain_text("Refusée (210)")
    screenshot(page, "plateforme-supplier-refused")
    recue = FactureRecue.objects.get(company=company)
    assert recue.state == EtatFactureRecue.REFUSED
    sent = requests.get(fake_pa_server.url + "/_fake/flows", timeout=10).json()
    assert [f["flowType"] for f in sent if f["flowType"].endswith("LC")] == ["SupplierInvoiceLC"]
    assert page.console_errors == []


def test_the_owner_connects_a_platform_and_sends_the_e_reporting(
    page, live_server, fake_pa_server, screenshot
):
    from datetime import timedelta

    from django.utils import timezone

    company = factories.issuing_company("Boutique Particuliers SAS")
    factories.member(company, Role.OWNER, email="shop@pa.example")
    private = factories.client(company, name="Jeanne Martin", kind="particulier",
                               billing_line1="1 rue", billing_postal_code="75001",
                               billing_city="Paris")  # fmt: skip
    last_month = timezone.localdate().replace(day=1) - timedelta(days=3)
    draft = factories.draft(company, private, lines=[factories.line(unit_price="250")])
    facture_emettre(facture=draft, user=None, today=last_month)  # in last month's period

    _login(page, "shop@pa.example")
    page.goto("/facturation-electronique/connexion/")
    page.get_by_label("Transmettre et recevoir par la plateforme").check()
    page.get_by_label("Nom de la plateforme").fill("Fake PA")
    page.get_by_label("Adresse de l'API (XP Z12-013)").fill(fake_pa_server.url)
    page.get_by_label("Clé d'API").fill(API_KEY)
    page.get_by_label("Secret de signature des webhooks").fill(WEBHOOK_SECRET)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Plateforme enregistrée.")).to_be_visible()
    expect(page.get_by_test_id("api-key-state")).to_contain_text("Clé d'API enregistrée")
    expect(page.get_by_label("Clé d'API")).to_have_value("")  # never shown back
    expect(page.get_by_test_id("webhook-url")).to_contain_text("/webhooks/plateforme/")

    page.goto("/facturation-electronique/")
    page.get_by_test_id("ereporting-send").click()
    expect(page.get_by_text(re.compile("E-reporting de .* transmis"))).to_be_visible()
    table = page.get_by_test_id("ereporting")
    expect(table).to_contain_text("Ventes")
    expect(table).to_contain_text("Paiements")
    expect(table).to_contain_text(
        "Particuliers · TVA 20\u00a0% : 250,00\u00a0€ HT, 50,00\u00a0€ de TVA"
    )
    expect(table).to_contain_text("Transmis")
    screenshot(page, "plateforme-ereporting")
    sent = requests.get(fake_pa_server.url + "/_fake/flows", timeout=10).json()
    assert sorted(f["flowType"] for f in sent) == [
        "AggregatedCustomerPaymentReport",
        "AggregatedCustomerTransactionReport",
    ]
    assert page.console_errors == []
