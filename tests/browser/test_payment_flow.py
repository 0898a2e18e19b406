import re

import pytest
from playwright.sync_api import expect

from encaissement.models import Paiement
from pgi.models import Enregistrement
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_records_a_cheque_from_the_invoice_then_reverses_it(page, screenshot):
    """Issue #16: from an issued invoice, record a payment typed the French way; the invoice
    shows paid, its history the payment; a reversal makes it due again. Both are sealed."""
    company = factories.issuing_company("Atelier Test SAS")
    factories.member(company, Role.OWNER, email="owner@test.example")
    customer = factories.business_client(company, name="Client Navigateur SARL")
    facture = factories.issued(company, customer, lines=[factories.line(unit_price="1000")])

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.goto(facture.get_absolute_url())
    expect(page.get_by_test_id("payments")).to_contain_text("reste dû 1\u202f200,00")
    page.get_by_role("link", name="Enregistrer un paiement").click()
    expect(page.get_by_label("Montant reçu (€)")).to_have_value("1200")
    page.get_by_label("Montant reçu (€)").fill("1 200,00")
    page.get_by_label("Moyen de paiement").select_option(label="Chèque")
    page.get_by_label("Référence bancaire").fill("Chèque n° 1234567")
    screenshot(page, "payment-form")
    page.get_by_role("button", name="Enregistrer et sceller").click()

    expect(page.get_by_test_id("payments")).to_contain_text("Payée")
    expect(page.get_by_test_id("timeline")).to_contain_text(re.compile(r"Paiement de 1\s200,00"))
    screenshot(page, "invoice-paid")
    paiement = Paiement.objects.get()
    assert paiement.amount == 1200 and paiement.method == "cheque"

    page.get_by_role("link", name=paiement.number).click()
    page.get_by_text("Annuler cet encaissement").click()
    page.get_by_label("Motif").fill("Chèque impayé")
    page.get_by_role("button", name="Annuler l'encaissement").click()
    expect(page.locator("h1")).to_contain_text("Annulation")
    screenshot(page, "payment-reversal")
    page.goto(facture.get_absolute_url())
    expect(page.get_by_test_id("payments")).to_contain_text("reste dû 1\u202f200,00")
    kinds = set(Enregistrement.objects.filter(company=company).values_list("kind", flat=True))
    assert {"encaissement", "annulation"} <= kinds
    assert not page.console_errors
