import hashlib
import zipfile
from datetime import date

import pytest
from playwright.sync_api import expect

from comptabilite.archives import archive_verifier
from comptabilite.models import Archive
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_accountant_closes_a_month_checks_integrity_and_downloads_the_archive(
    page, screenshot, tmp_path
):
    company = factories.issuing_company("Clôtures SAS")
    factories.member(company, Role.ACCOUNTANT, email="expert@test.example")
    facture_emettre(facture=factories.draft(company), user=None, today=date(2026, 1, 12))
    facture_emettre(facture=factories.draft(company), user=None, today=date(2026, 2, 3))

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("expert@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("link", name="Comptabilité").click()
    page.get_by_label("Clôturer le mois").select_option("2026-01-01")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clôturer", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("CLOTURE-M-2026-01")
    expect(page.get_by_role("cell", name="CLOTURE-M-2026-01")).to_be_visible()
    screenshot(page, "closures")

    page.get_by_role("button", name="Créer l'archive").click()
    expect(page.locator("#messages")).to_contain_text("Archive créée")
    archive = Archive.objects.get(company=company)
    expect(page.get_by_role("cell", name=archive.filename)).to_be_visible()
    screenshot(page, "closures-archive")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger").click()
    path = tmp_path / "archive.zip"
    download.value.save_as(path)
    assert download.value.suggested_filename == archive.filename
    assert "manifest.sig" in zipfile.ZipFile(path).namelist()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == archive.sha256
    assert archive_verifier(path).ok
    assert Archive.objects.count() == 1  # downloading made none

    page.get_by_role("link", name="Intégrité").click()
    page.get_by_role("button", name="Lancer la vérification").click()
    expect(page.get_by_test_id("integrity-result")).to_contain_text("Registre intègre")
    screenshot(page, "integrity")

    # The company's event log, numbered from 1, each entry naming who did it (issue #15).
    page.get_by_role("link", name="Journal des événements").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Vérification du registre : intègre")
    expect(rows.nth(0)).to_contain_text("expert@test.example")
    expect(rows.nth(2)).to_contain_text("Clôture 2026-01 (CLOTURE-M-2026-01)")
    expect(rows.nth(3)).to_contain_text("Connexion de expert@test.example")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(4)] == [
        "4", "3", "2", "1",
    ]  # fmt: skip
    screenshot(page, "event-log")
    assert page.console_errors == []
