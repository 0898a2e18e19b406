"""Issue #16: the owner imports a CSV bank statement (column mapping, preview), confirms the
suggested invoice in one click, and the invoice shows paid."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from encaissement.releves.models import LigneReleve
from facturation.selectors import facture_lire
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_csv_map_columns_preview_import_confirm(page, screenshot, tmp_path):
    company = factories.issuing_company("Relevés Test SAS")
    factories.member(company, Role.OWNER, email="owner@test.example")
    customer = factories.business_client(company, name="Cabinet Leroy")
    facture = factories.issued(company, customer)  # 120,00 € TTC
    # Column names the guess does not know: the user maps them by hand.
    day = timezone.localdate().strftime("%d/%m/%Y")
    statement = tmp_path / "releve-novembre.csv"
    statement.write_text(
        "Jour;Opération;Somme\n"
        f"{day};VIR SEPA {facture.number} CABINET LEROY;120,00\n"
        f"{day};COMMISSION;-8,50\n",
        encoding="cp1252",
    )

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("link", name="Encaissements").click()
    page.get_by_role("link", name="Rapprochement bancaire").click()
    page.get_by_role("link", name="Importer un relevé").first.click()
    page.get_by_label("Fichier du relevé").set_input_files(str(statement))
    page.get_by_role("button", name="Voir l'aperçu").click()

    expect(page.get_by_test_id("raw-rows")).to_contain_text("Opération")
    page.get_by_label("Date d'opération").select_option(label="1. Jour")
    page.get_by_label("Libellé").select_option(label="2. Opération")
    page.get_by_label("Montant (signé)").select_option(label="3. Somme")
    page.get_by_role("button", name="Actualiser l'aperçu").click()
    expect(page.get_by_test_id("new-count")).to_have_text("2 nouvelles opérations")
    expect(page.get_by_test_id("preview")).to_contain_text("120,00")
    screenshot(page, "bank-statement-preview")
    assert not LigneReleve.objects.exists()

    page.get_by_test_id("import-submit").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "importées : 2 · doublons : 0 · rapprochées : 0"
    )
    suggestion = page.get_by_test_id("suggestion").first
    expect(suggestion).to_contain_text(facture.number)
    expect(suggestion).to_contain_text("numéro de facture dans le libellé")
    screenshot(page, "bank-statement-suggestions")

    suggestion.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_test_id("ligne").first).to_contain_text("Rapprochée")

    page.get_by_role("link", name="Non rapprochées").click()
    expect(page.get_by_test_id("lines")).to_contain_text("COMMISSION")
    screenshot(page, "bank-statement-unmatched")

    page.get_by_role("link", name="Comptes bancaires").click()
    expect(page.get_by_role("table").first).to_contain_text("FR7630006000011234567890189")
    expect(page.get_by_text("releve-novembre.csv")).to_be_visible()
    screenshot(page, "bank-accounts")

    page.goto(facture.get_absolute_url())
    expect(page.get_by_text("Payée")).to_be_visible()
    screenshot(page, "bank-statement-invoice-paid")
    assert facture_lire(company=company, pk=facture.pk).amount_due == 0
    assert page.console_errors == []
