from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptabilite.livres.fec import FIELDS
from encaissement.services import Allocation, paiement_enregistrer
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_accountant_reads_the_books_the_vat_due_and_exports_the_fec(page, screenshot, tmp_path):
    company = factories.issuing_company("Livres SAS")
    factories.member(company, Role.ACCOUNTANT, email="expert@test.example")
    facture = facture_emettre(
        facture=factories.draft(
            company,
            lines=[
                factories.line("Conseil", unit_price="1000"),
                factories.line("Livre", unit_price="40", vat_rate="5.5", nature="bien"),
            ],
        ),
        user=None,
    )
    paiement_enregistrer(
        company=company, user=None, client=facture.client, day=facture.issue_date,
        amount=Decimal("1242.20"), method="virement",
        allocations=[Allocation(facture.pk, Decimal("1242.20"))],
    )  # fmt: skip

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("expert@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("link", name="Comptabilité").click()
    page.get_by_role("link", name="Écritures", exact=True).click()
    entries = page.get_by_test_id("ecritures")
    expect(entries).to_contain_text("VT000001")
    expect(entries).to_contain_text("BQ000001")
    expect(entries).to_contain_text("44574200")
    expect(entries.locator(".badge", has_text="AAA")).to_have_count(2)  # invoice and payment
    screenshot(page, "books-entries")

    page.get_by_label("Journal").select_option("BQ")
    page.get_by_role("button", name="Afficher").click()
    expect(entries).not_to_contain_text("VT000001")

    page.get_by_role("link", name="Grand livre").click()
    expect(page.get_by_test_id("grand-livre")).to_contain_text("707055")

    page.get_by_role("link", name="TVA due").click()
    page.get_by_label("Période").select_option(f"{timezone.localdate():%Y-%m}")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_test_id("tva-total")).to_contain_text("202,20")
    vat_due = page.get_by_test_id("tva-due")
    expect(vat_due.locator('tr[data-ca3="08"]')).to_contain_text("Taux normal 20 %")
    expect(vat_due.locator('tr[data-ca3="08"]')).to_contain_text("200,00")
    expect(vat_due.locator('tr[data-ca3="09"]')).to_contain_text("Taux réduit 5,5 %")
    expect(vat_due.locator('tr[data-ca3="A1"]')).to_contain_text("1 040,00")
    screenshot(page, "books-vat-due")

    page.get_by_role("link", name="FEC", exact=True).click()
    page.get_by_role("button", name="Exporter le FEC").click()
    expect(page.get_by_test_id("fec-result")).to_contain_text("lignes d'écritures")
    screenshot(page, "books-fec")
    with page.expect_download() as download:
        page.get_by_test_id("fec-download").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    year = timezone.localdate().year
    assert path.name == f"{company.siren}FEC{year}1231.txt"
    lines = path.read_bytes().decode("iso8859_15").split("\r\n")
    assert lines[0] == "\t".join(FIELDS) and len(lines) == 1 + 9 + 1
    assert page.console_errors == []
