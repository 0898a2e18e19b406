import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_a_task_from_the_customer_page_do_it_and_read_the_feed(page, screenshot):
    """Issue #20: a task planned from the customer's page shows in Mes tâches for today; done,
    it leaves the list; the customer's feed shows the deal and the task, filtered by kind."""
    company = factories.company("Agence Test SARL")
    factories.member(company, Role.OWNER, email="owner@test.example")
    customer = factories.client(company, name="Boulangerie Dupain")
    factories.opportunite(company, customer, title="Site vitrine", etape="Qualifié")

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(customer.get_absolute_url())
    page.get_by_role("link", name="Activité").click()
    page.get_by_label("Type").select_option("tache")
    page.get_by_label("Objet").fill("Rappeler pour le devis")
    page.get_by_label("Échéance").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Enregistrer").click()

    feed = page.get_by_test_id("fil")
    expect(feed).to_contain_text("Tâche : Rappeler pour le devis")
    expect(feed).to_contain_text("Opportunité « Site vitrine » créée")
    page.get_by_label("Type", exact=True).last.select_option("opportunite")
    expect(feed.get_by_test_id("fil-ligne")).to_have_count(1)
    expect(feed).not_to_contain_text("Rappeler")
    screenshot(page, "customer-feed")

    page.get_by_role("link", name="Pipeline").click()
    page.get_by_role("link", name="Mes tâches").click()
    today = page.get_by_test_id("taches-aujourdhui")
    expect(today).to_contain_text("Rappeler pour le devis")
    today.get_by_role("button", name="Fait").click()
    expect(page.get_by_test_id("taches-aujourdhui")).to_contain_text("Rien pour aujourd'hui.")
    assert page.console_errors == []
