"""The dashboards' pages (issue #19): each tab, the period filter through htmx, every table
as CSV and XLSX read back, the accountant reading and exporting but never writing, the
portfolio of every company of the user, and flat query counts."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from comptabilite.tableaux import registry
from comptabilite.tableaux.exports import EXPORTS
from encaissement.services import Allocation, paiement_enregistrer
from facturation.services import facture_emettre
from pgi.models import Membership
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db


def invoice(company, customer, amount, *, days_ago):
    draft = factories.draft(
        company, customer, lines=[factories.line(unit_price=amount)], payment_terms_days=30
    )
    today = timezone.localdate()
    return facture_emettre(facture=draft, user=None, today=today - timedelta(days=days_ago))


@pytest.fixture
def seller():
    company = factories.issuing_company("Atelier Vues")
    martin = factories.business_client(company, "Martin SARL")
    durand = factories.business_client(company, "Durand SAS")
    invoice(company, martin, "1000", days_ago=45)  # 15 days late: 1 200 €
    paid = invoice(company, durand, "500", days_ago=10)  # not due
    paiement_enregistrer(
        company=company, user=None, client=durand, day=timezone.localdate(),
        amount=Decimal("200"), method="virement", allocations=[Allocation(paid.pk, Decimal("200"))],
    )  # fmt: skip
    return company


def test_the_receivables_tab_shows_the_aging_balance_and_its_totals(client, seller):
    login(client, factories.member(seller, Role.OWNER))
    page = client.get(reverse("tableaux:creances")).content.decode()
    assert "Martin SARL" in page and "Durand SAS" in page
    assert "1\u202f600,00\xa0€" in page  # 1 200 + 400 owed
    assert "Balance âgée par client" in page
    assert 'hx-get="/tableaux/previsions/"' in page  # the forecast follows, loaded by htmx
    assert 'data-testid="late-customers">1 ' in page
    forecast = client.get(reverse("tableaux:previsions"), headers={"HX-Request": "true"})
    text = forecast.content.decode()
    assert "<html" not in text and 'data-testid="forecast"' in text
    assert 'id="forecast-data"' in text  # the chart's figures
    assert "<html" in client.get(reverse("tableaux:previsions")).content.decode()


def test_the_period_filter_answers_the_figures_alone_for_htmx(client, seller):
    login(client, factories.member(seller, Role.OWNER))
    today = timezone.localdate()
    month = f"{today:%Y-%m}"
    url = reverse("tableaux:ventes") + f"?du={month}&au={month}"
    full = client.get(url).content.decode()
    assert "<html" in full and 'id="figures"' in full
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and partial.lstrip().startswith('<div id="figures">')
    assert f"du={month}" in partial  # the exports follow the period shown


@pytest.mark.parametrize("table", sorted(EXPORTS))
def test_every_table_exports_as_csv_and_xlsx(client, seller, table):
    login(client, factories.member(seller, Role.ACCOUNTANT))
    response = client.get(reverse("tableaux:export", args=[table, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert ";" in text.splitlines()[0]
    response = client.get(reverse("tableaux:export", args=[table, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row >= 1


def test_the_aging_export_reads_back_with_the_screens_figures(client, seller):
    login(client, factories.member(seller, Role.OWNER))
    response = client.get(reverse("tableaux:export", args=["balance-agee", "xlsx"]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0] == ("Client", "Non échues", "Retard 1-30 j", "Retard 31-60 j",
                       "Retard 61-90 j", "Retard > 90 j", "Total")  # fmt: skip
    by_client = {row[0]: row for row in rows[1:]}
    assert by_client["Martin SARL"][2] == 1200 and by_client["Martin SARL"][6] == 1200
    assert by_client["Durand SAS"][1] == 400
    assert by_client["Total"][6] == 1600
    csv_text = client.get(reverse("tableaux:export", args=["balance-agee", "csv"])).content
    assert "Martin SARL;0,00;1200,00;0,00;0,00;0,00;1200,00" in csv_text.decode("utf-8-sig")


def test_the_accountant_reads_and_exports_but_cannot_change_commercial_documents(client, seller):
    login(client, factories.member(seller, Role.ACCOUNTANT))
    for name in ("tableaux:creances", "tableaux:ventes", "tableaux:tva_relances"):
        assert client.get(reverse(name)).status_code == 200
    assert (
        client.get(reverse("tableaux:export", args=["ventes-par-mois", "xlsx"])).status_code == 200
    )
    assert client.get(reverse("facturation:facture_create")).status_code == 403
    assert client.post(reverse("crm:client_create"), {"name": "X"}).status_code == 403


def test_exports_need_the_export_permission_and_a_known_table(client, seller):
    assert client.get(reverse("tableaux:export", args=["balance-agee", "csv"])).status_code == 302
    login(client, factories.member(seller, Role.OWNER))
    assert client.get(reverse("tableaux:export", args=["inconnu", "csv"])).status_code == 404
    assert client.get(reverse("tableaux:export", args=["balance-agee", "pdf"])).status_code == 404
    assert client.post(reverse("tableaux:export", args=["balance-agee", "csv"])).status_code == 405


def test_figures_stay_in_their_company(client, seller):
    other = factories.issuing_company("Autre SAS")
    invoice(other, factories.business_client(other, "Secret SARL"), "999", days_ago=40)
    login(client, factories.member(seller, Role.OWNER))
    for name in ("tableaux:creances", "tableaux:ventes"):
        assert "Secret SARL" not in client.get(reverse(name)).content.decode()
    xlsx = client.get(reverse("tableaux:export", args=["balance-agee", "xlsx"])).content
    names = [row[0] for row in load_workbook(io.BytesIO(xlsx)).active.values]
    assert "Secret SARL" not in names


def test_the_portfolio_lists_every_company_of_the_accountant_and_switches(client, seller):
    other = factories.issuing_company("Boulangerie Zéphyr")
    invoice(other, factories.business_client(other), "100", days_ago=60)
    membership = factories.member(seller, Role.ACCOUNTANT)
    Membership.objects.create(user=membership.user, company=other, role=Role.ACCOUNTANT)
    outsider = factories.issuing_company("Hors Portefeuille SAS")
    login(client, membership)
    page = client.get(reverse("tableaux:portefeuille")).content.decode()
    assert "Atelier Vues" in page and "Boulangerie Zéphyr" in page
    assert "Hors Portefeuille" not in page
    assert "120,00\xa0€" in page  # Zéphyr's overdue invoice
    xlsx = client.get(reverse("tableaux:portefeuille_export", args=["xlsx"])).content
    rows = list(load_workbook(io.BytesIO(xlsx)).active.values)
    assert [row[0] for row in rows[1:]] == ["Atelier Vues", "Boulangerie Zéphyr"]
    assert rows[2][2] == 120 and rows[2][3] == 1
    csv_text = client.get(reverse("tableaux:portefeuille_export", args=["csv"])).content
    assert "Boulangerie Zéphyr;Expert-comptable;120,00;1" in csv_text.decode("utf-8-sig")
    response = client.post(
        reverse("company_switch"), {"company": other.pk, "next": reverse("tableaux:creances")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("tableaux:creances")
    assert "Boulangerie" in client.get(reverse("tableaux:creances")).content.decode()
    response = client.post(reverse("company_switch"), {"company": outsider.pk})
    assert response.status_code == 404


def test_the_pages_need_a_flat_number_of_queries(client, seller, django_assert_max_num_queries):
    login(client, factories.member(seller, Role.OWNER))
    counts = {}
    pages = ("tableaux:creances", "tableaux:previsions", "tableaux:ventes", "tableaux:tva_relances")
    for name in pages:
        client.get(reverse(name))
        with django_assert_max_num_queries(100) as captured:
            client.get(reverse(name))
        counts[name] = len(captured)
    for index in range(10):
        customer = factories.business_client(seller, f"Client {index}")
        invoice(seller, customer, "100", days_ago=index * 20)
    for name, count in counts.items():
        with django_assert_max_num_queries(count):
            client.get(reverse(name))


def test_the_vat_slot_shows_and_exports_what_the_books_register(client, seller, monkeypatch):
    """Until the books register `tva_due`, the tab says so; once they do, its rows show and
    export, for the period asked."""
    login(client, factories.member(seller, Role.ACCOUNTANT))
    monkeypatch.setattr(registry, "TVA_DUE", [])
    page = client.get(reverse("tableaux:tva_relances")).content.decode()
    assert 'data-testid="vat-slot"' in page
    asked = []

    def tva_due(*, company, start, end):
        asked.append((company, start, end))
        return [{"rate": Decimal("20.00"), "base": Decimal("1000.00"), "vat": Decimal("200.00")}]

    monkeypatch.setattr(registry, "TVA_DUE", [tva_due])
    page = client.get(reverse("tableaux:tva_relances") + "?du=2026-01&au=2026-03").content.decode()
    assert "200,00\xa0€" in page and 'data-testid="vat"' in page
    assert asked[-1][0] == seller and str(asked[-1][1]) == "2026-01-01"
    xlsx = client.get(
        reverse("tableaux:export", args=["tva-due", "xlsx"]) + "?du=2026-01&au=2026-03"
    )
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert rows == [("Taux", "Base HT", "TVA due"), (20, 1000, 200)]
    assert str(asked[-1][2]) == "2026-03-31"


def test_a_new_company_sees_empty_dashboards(client):
    company = factories.issuing_company("Toute Neuve SAS")
    login(client, factories.member(company, Role.OWNER))
    page = client.get(reverse("tableaux:creances")).content.decode()
    assert "Aucune facture ouverte." in page
    assert client.get(reverse("tableaux:ventes")).status_code == 200
    assert "Aucune relance" in client.get(reverse("tableaux:tva_relances")).content.decode()
    rows = list(
        load_workbook(
            io.BytesIO(
                client.get(reverse("tableaux:export", args=["balance-agee", "xlsx"])).content
            )
        ).active.values
    )
    assert rows[-1] == ("Total", 0, 0, 0, 0, 0, 0)


def test_the_sales_tab_shows_quotes_signed_versus_sent_from_the_quotes_app(client):
    """The quotes app fills the dashboard's slot (pgi.panels.dashboard_panels): quotes sent
    and signed over the period, and the signing rate."""
    from tests.devis import factories as quotes

    company = factories.issuing_company("Peintures Tableaux SARL", legal_form="SARL")
    quotes.accepted(company)
    quotes.sent(company)
    login(client, factories.member(company, Role.OWNER))
    page = client.get(reverse("tableaux:ventes")).content.decode()
    assert 'data-testid="quotes-panel"' in page and 'data-testid="quotes-slot"' not in page
    assert 'data-testid="quotes-rate">50 %' in page
    month = "2020-01"  # a period without quotes
    page = client.get(reverse("tableaux:ventes") + f"?du={month}&au={month}").content.decode()
    assert 'data-testid="quotes-rate">—' in page


def test_the_vat_tab_shows_the_vat_due_of_the_books(client, seller):
    """The books register their VAT due: the tab shows, per rate, what the entries say (here
    with an invoice of goods issued this month, taxed when invoiced)."""
    from comptabilite.livres.tva import tva_due
    from pgi.money import format_eur

    today = timezone.localdate()
    before = tva_due(company=seller, start=today.replace(day=1), end=today).total_base
    customer = factories.business_client(seller)
    draft = factories.draft(
        seller, customer, lines=[factories.line(unit_price="500", nature="bien")]
    )
    facture_emettre(facture=draft, user=None, today=today)
    due = tva_due(company=seller, start=today.replace(day=1), end=today)
    assert due.total_base == before + Decimal("500.00")
    login(client, factories.member(seller, Role.ACCOUNTANT))
    month = today.strftime("%Y-%m")
    html = client.get(reverse("tableaux:tva_relances") + f"?du={month}&au={month}")
    html = html.content.decode()
    assert 'data-testid="vat"' in html
    for row in due.rates:
        assert format_eur(row.base) in html and format_eur(row.vat) in html


def test_the_sales_tab_shows_the_weighted_pipeline_from_the_funnel(client):
    """The funnel fills the dashboard's other slot: the open deals' weighted total by
    expected signing month (closed deals left out)."""
    from datetime import date

    from crm import services as crm_services

    company = factories.issuing_company("Agence Pipeline SARL", legal_form="SARL")
    customer = factories.client(company)
    june = date(2027, 6, 15)
    factories.opportunite(company, customer, amount="10000", etape="Qualifié",
                          expected_close_date=june)  # 25 %  # fmt: skip
    factories.opportunite(company, customer, amount="2000", etape="Proposition",
                          expected_close_date=june)  # 50 %  # fmt: skip
    factories.opportunite(company, customer, amount="4000", etape="Négociation")  # 75 %
    won = factories.opportunite(company, customer, amount="9000", expected_close_date=june)
    crm_services.opportunite_gagner(opportunite=won)
    login(client, factories.member(company, Role.OWNER))
    page = client.get(reverse("tableaux:ventes")).content.decode()
    assert 'data-testid="pipeline-panel"' in page and 'data-testid="quotes-panel"' in page
    assert "Apparaîtra avec le suivi des opportunités" not in page
    panel = page[page.index('data-testid="pipeline-panel"') :].replace("\u202f", " ")
    assert "juin 2027" in panel and "Sans date" in panel
    assert "3 500,00" in panel  # June: 2 500 + 1 000
    assert 'data-testid="pipeline-weighted">6 500,00' in panel  # + 3 000 undated
