"""The owner's side of online payment (issue #16): the Stripe account's settings, secrets
write-only; and a payment's receipt (reçu) PDF on request."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from encaissement.models import ComptePrestataire
from encaissement.services import Allocation, paiement_annuler, paiement_enregistrer
from pgi.permissions import Role
from tests import factories
from tests.conftest import login
from tests.encaissement.online import SECRET_KEY, WEBHOOK_SECRET
from tests.facturation.test_pdf import pages_text

D = Decimal
URL = "/encaissements/paiement-en-ligne/"


@pytest.fixture
def company(db):
    return factories.issuing_company("Reçus et Cie SAS")


def test_the_owner_saves_the_stripe_keys_and_never_sees_the_secrets_again(client, company):
    """Secrets are write-only: stored encrypted, never in the page; an empty field keeps
    them; the page gives the webhook URL and the events to subscribe to."""
    login(client, factories.member(company, Role.OWNER))
    data = {
        "active": "on", "card": "on", "sepa_debit": "on", "publishable_key": "pk_test_abc",
        "secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET,
    }  # fmt: skip
    assert client.post(URL, data).status_code == 302
    compte = ComptePrestataire.objects.get(company=company)
    page = client.get(URL).content.decode()
    assert SECRET_KEY not in page and WEBHOOK_SECRET not in page
    assert str(compte.webhook_token) in page and "checkout.session.async_payment_failed" in page
    encrypted = compte.secret_key_encrypted
    client.post(URL, {**data, "secret_key": "", "webhook_secret": ""})
    compte.refresh_from_db()
    assert compte.secret_key_encrypted == encrypted

    bad = client.post(URL, {**data, "secret_key": "pk_wrong"})
    assert "commence par « sk_ »" in bad.content.decode()


def test_a_member_without_the_settings_right_cannot_change_the_keys(client, company):
    login(client, factories.member(company, Role.STAFF))
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"active": "on", "secret_key": SECRET_KEY})
    assert response.status_code == 403
    assert not ComptePrestataire.objects.exists()


def test_a_payment_receipt_prints_the_payment_its_invoices_and_its_record(client, company):
    """The receipt (on request, from the payment's page) names the customer, the amount, the
    date, the method, the invoices settled, the credit left, and the register's record; it is
    the company's only; a reversed payment's receipt says so."""
    customer = factories.business_client(company, name="Client Reçu SARL")
    facture = factories.issued(company, customer)
    paiement = paiement_enregistrer(
        company=company, user=None, client=customer, day=timezone.localdate(),
        amount=D("150.00"), method="cheque", reference="CHQ 1234567",
        allocations=[Allocation(facture.pk, D("120.00"))],
    )  # fmt: skip
    login(client, factories.member(company, Role.ACCOUNTANT))
    detail = client.get(reverse("encaissement:paiement_detail", args=[paiement.pk]))
    url = reverse("encaissement:paiement_recu", args=[paiement.pk])
    assert url in detail.content.decode()
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pages_text(response.content))
    for expected in ("Reçu n° " + paiement.number, "Client Reçu SARL", "150,00 €", "Chèque",
                     "CHQ 1234567", "Facture n° " + facture.number, "120,00 €",
                     "crédit du client", "30,00 €", "registre inaltérable"):  # fmt: skip
        assert expected in text, expected
    assert "annulé" not in text

    paiement_annuler(paiement=paiement, user=None, reason="Chèque impayé")
    assert "Cet encaissement a été annulé" in " ".join(pages_text(client.get(url).content))

    other = factories.issuing_company("Autre SAS")
    login(client, factories.member(other, Role.OWNER))
    assert client.get(url).status_code == 404
