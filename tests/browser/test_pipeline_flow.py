import re

import pytest
from playwright.sync_api import expect

from crm.models import Opportunite
from devis.models import Devis
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _column(page, name: str):
    return page.locator(f'[data-testid="colonne"][data-etape-name="{name}"]')


def test_drag_a_card_from_qualifie_to_proposition(page, screenshot):
    """Issue #20: a card dragged to another column is moved by the server; after a reload the
    stage and the weighted totals have changed."""
    company = factories.company("Agence Test SARL")
    factories.member(company, Role.OWNER, email="owner@test.example")
    customer = factories.client(company, name="Boulangerie Dupain")
    opp = factories.opportunite(company, customer, title="Site vitrine", amount="10000",
                                etape="Qualifié")  # fmt: skip
    factories.opportunite(company, customer, title="Logo", amount="2000", etape="Proposition")

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Pipeline").click()

    qualifie, proposition = _column(page, "Qualifié"), _column(page, "Proposition")
    expect(qualifie.get_by_test_id("weighted")).to_have_text(re.compile(r"2\s500,00"))
    expect(proposition.get_by_test_id("weighted")).to_have_text(re.compile(r"1\s000,00"))
    expect(page.get_by_test_id("pipeline-totals")).to_contain_text("3\u202f500,00")

    card = qualifie.get_by_test_id("carte").filter(has_text="Site vitrine")
    card.drag_to(proposition.locator("[data-pipeline-column]"))
    expect(proposition.get_by_test_id("count")).to_have_text("2")

    page.reload()
    qualifie, proposition = _column(page, "Qualifié"), _column(page, "Proposition")
    expect(proposition.get_by_test_id("carte").filter(has_text="Site vitrine")).to_be_visible()
    expect(qualifie.get_by_test_id("count")).to_have_text("0")
    expect(proposition.get_by_test_id("weighted")).to_have_text(re.compile(r"6\s000,00"))
    expect(page.get_by_test_id("pipeline-totals")).to_contain_text("6\u202f000,00")
    assert Opportunite.objects.get(pk=opp.pk).etape.name == "Proposition"
    screenshot(page, "pipeline-board")

    # Issue #20, "create a quote from it": the deal's page opens a draft quote for its
    # customer, titled after it, and the quote links back to the deal.
    proposition.get_by_test_id("carte").filter(has_text="Site vitrine").get_by_role(
        "link", name="Site vitrine"
    ).first.click()
    page.get_by_role("button", name="Créer un devis").click()
    expect(page.get_by_test_id("devis-opportunite")).to_contain_text("Site vitrine")
    expect(page.get_by_label("Objet")).to_have_value("Site vitrine")
    devis = Devis.objects.get(opportunite=opp)
    assert devis.client_id == customer.pk and devis.is_draft
    screenshot(page, "pipeline-devis")
    page.get_by_test_id("devis-opportunite").get_by_role("link").click()
    expect(page.get_by_test_id("opportunite-devis")).to_contain_text("Devis brouillon")
    assert page.console_errors == []
