import pytest
from playwright.sync_api import expect

from crm.models import Client
from pgi.models import Membership
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_switch_company_and_create_a_customer(page, screenshot):
    first = factories.company("Première SARL")
    second = factories.company("Seconde SAS")
    membership = factories.member(first, Role.OWNER, email="gerant@test.example")
    Membership.objects.create(user=membership.user, company=second, role=Role.OWNER)

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("gerant@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Première SARL")

    page.locator("#company-menu").click()
    page.get_by_role("button", name="Seconde SAS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Seconde SAS")

    page.get_by_role("link", name="CRM").click()
    page.get_by_role("link", name="Nouveau client").click()
    page.get_by_label("Nom ou raison sociale").fill("Boulangerie du Test")
    page.get_by_label("SIREN").fill("552 081 318")
    page.get_by_label("Ville").first.fill("Lyon")  # change event: htmx validates inline
    expect(page.get_by_test_id("form-errors")).to_contain_text("clé de contrôle incorrecte")
    screenshot(page, "customer-invalid-siren")

    page.get_by_label("SIREN").fill("552 081 317")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Boulangerie du Test")
    assert Client.objects.get().company == second

    page.get_by_role("link", name="CRM").click()
    page.get_by_placeholder("Nom, SIREN, e-mail, ville…").fill("552081")
    expect(page.locator("#results")).to_contain_text("Boulangerie du Test")
    expect(page.locator("#results")).to_have_count(1)  # replaced, not nested in itself
    screenshot(page, "customer-list")
    assert page.console_errors == []
