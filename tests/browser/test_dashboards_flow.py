"""Issue #19, "What it must show": the accountant opens the dashboards of the demo data,
changes the period (htmx), exports the aging balance as XLSX and reads it back (openpyxl);
the portfolio page lists both demo companies and opens the other one."""

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from comptabilite.management.commands.seed_demo import ACCOUNTANT_EMAIL, DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _eur(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\xa0", "").replace("€", "").replace(",", "."))


def test_accountant_dashboards_period_export_and_portfolio(page, screenshot):
    call_command("seed_demo", stdout=io.StringIO())
    page.goto("/connexion/")
    page.get_by_label("E-mail").fill(ACCOUNTANT_EMAIL)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("link", name="Analyses").click()
    expect(page.get_by_test_id("aging")).to_be_visible()
    total = page.get_by_test_id("aging-total").inner_text()
    assert _eur(total) > 0
    assert page.get_by_test_id("outstanding").inner_text() == total
    expect(page.locator("canvas[data-chart]")).to_be_visible()
    screenshot(page, "dashboard-receivables")

    # The aging balance as XLSX, read back: the same customers and total as the screen.
    with page.expect_download() as download:
        page.get_by_test_id("export-balance-agee-xlsx").click()
    assert download.value.suggested_filename.startswith("balance-agee-")
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as file:
        rows = list(load_workbook(io.BytesIO(file.read())).active.values)
    assert rows[0][0] == "Client" and rows[-1][0] == "Total"
    assert round(rows[-1][-1], 2) == round(_eur(total), 2)
    first_customer = page.get_by_test_id("aging").locator("tbody tr").first.locator("td").first
    assert first_customer.inner_text() == rows[1][0]

    # Sales: the period changes the figures in place (htmx), and the URL follows.
    page.get_by_role("link", name="Ventes", exact=True).click()
    expect(page.get_by_test_id("months")).to_be_visible()
    twelve = page.get_by_test_id("months").locator("tbody tr").count()
    assert twelve == 12
    start = page.get_by_label("Du mois").input_value()
    end = page.get_by_label("au mois").input_value()
    page.get_by_label("Du mois").fill(end)
    page.get_by_label("Du mois").dispatch_event("change")
    expect(page.get_by_test_id("months").locator("tbody tr")).to_have_count(1)
    assert page.url.endswith(f"/tableaux/ventes/?du={end}&au={end}")
    assert start != end
    export = page.get_by_test_id("export-ventes-par-mois-xlsx")
    assert f"du={end}" in export.get_attribute("href")
    drawn = "c => !!window.Chart.getChart(c) && window.Chart.getChart(c).data.labels.length"
    assert page.locator("canvas[data-chart]").evaluate(drawn) == 1  # redrawn for one month
    screenshot(page, "dashboard-sales-one-month")
    assert not page.console_errors

    # The portfolio: both demo companies, and a click opens the other one's dashboards.
    page.goto("/tableaux/portefeuille/")
    portfolio = page.get_by_test_id("portfolio")
    expect(portfolio).to_contain_text("Atelier Lumière")
    expect(portfolio).to_contain_text("Claire Martin")
    screenshot(page, "dashboard-portfolio")
    row = portfolio.locator("tr", has_text="Claire Martin")
    row.get_by_role("button", name="Ouvrir").click()
    expect(page.locator("#company-menu")).to_contain_text("Claire Martin")
    expect(page.get_by_test_id("aging")).to_be_visible()
