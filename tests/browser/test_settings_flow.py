import pytest
from playwright.sync_api import expect

from crm.models import Client
from pgi.models import ApiToken
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, email):
    page.goto("/connexion/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_owner_fixes_an_iban_imports_customers_and_creates_an_api_token(page, screenshot, tmp_path):
    company = factories.company("Réglages SARL", legal_form="SARL")
    factories.member(company, Role.OWNER, email="owner@test.example")
    login(page, "owner@test.example")

    page.get_by_role("link", name="Paramètres").click()
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 188")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("main")).to_contain_text("Cet IBAN n'est pas valide.")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Paramètres de la société enregistrés")
    company.refresh_from_db()
    assert company.iban == "FR7630006000011234567890189"

    csv_path = tmp_path / "clients.csv"
    csv_path.write_text(
        "nom;siren;ville\nBoulangerie Import;552081317;Lyon\nSans Clé;552081318;Paris\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="CRM").click()
    page.get_by_role("link", name="Importer").click()
    page.get_by_label("Fichier CSV").set_input_files(str(csv_path))
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("1 ligne(s) prête(s)")
    expect(page.locator("main table")).to_contain_text("clé de contrôle incorrecte")
    screenshot(page, "import-preview")
    page.get_by_role("button", name="Importer 1 client").click()
    expect(page.locator("#messages")).to_contain_text(
        "1 client(s) importé(s), 1 ligne(s) ignorée(s)"
    )
    assert list(Client.objects.values_list("name", flat=True)) == ["Boulangerie Import"]

    page.get_by_role("link", name="Paramètres").click()
    page.get_by_role("link", name="Jetons d'API").click()
    page.get_by_label("Nom du jeton").fill("Zapier")
    page.get_by_role("button", name="Créer un jeton").click()
    secret = page.locator("#token-value").inner_text()
    token = ApiToken.objects.get()
    assert secret.startswith(f"enc_{token.prefix}_")
    response = page.request.get("/api/v1/clients/", headers={"Authorization": f"Bearer {secret}"})
    assert response.ok and response.json()["count"] == 1
    page.reload()
    expect(page.locator("body")).not_to_contain_text(secret)
    assert page.console_errors == []
