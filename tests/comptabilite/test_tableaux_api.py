"""The dashboards' API (issue #19): the same figures as the pages, scoped to the token's
company (the portfolio: to its user's companies), read-only for every role."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from facturation.services import facture_emettre
from pgi.models import Membership
from pgi.permissions import Role
from tests import factories

pytestmark = pytest.mark.django_db


def invoice(company, customer, amount, *, days_ago):
    draft = factories.draft(
        company, customer, lines=[factories.line(unit_price=amount)], payment_terms_days=30
    )
    today = timezone.localdate()
    return facture_emettre(facture=draft, user=None, today=today - timedelta(days=days_ago))


def get(client, membership, path, **params):
    headers = {"Authorization": f"Bearer {factories.token(membership)}"}
    return client.get(f"/api/v1/tableaux{path}", params, headers=headers)


@pytest.fixture
def seller():
    company = factories.issuing_company("Atelier API")
    invoice(company, factories.business_client(company, "Martin SARL"), "1000", days_ago=45)
    invoice(company, factories.business_client(company, "Durand SAS"), "500", days_ago=5)
    other = factories.issuing_company("Autre SAS")
    invoice(other, factories.business_client(other, "Secret SARL"), "999", days_ago=45)
    return company


def test_receivables_report(client, seller):
    body = get(client, factories.member(seller, Role.ACCOUNTANT), "/creances").json()
    assert Decimal(body["outstanding"]) == Decimal("1800.00")
    assert Decimal(body["overdue"]) == Decimal("1200.00")
    assert body["aging_buckets"] == [
        "a_echoir", "retard_1_30", "retard_31_60", "retard_61_90", "retard_90"
    ]  # fmt: skip
    by_client = {line["client"]: line for line in body["aging"]}
    assert set(by_client) == {"Martin SARL", "Durand SAS"}
    martin = {b["key"]: Decimal(b["amount"]) for b in by_client["Martin SARL"]["buckets"]}
    assert martin["retard_1_30"] == Decimal("1200.00")
    assert len(body["forecast"]) == 8
    assert sum(Decimal(w["amount"]) for w in body["forecast"]) == Decimal("1800.00")


def test_sales_report_for_a_period(client, seller):
    today = timezone.localdate()
    body = get(
        client, factories.member(seller, Role.STAFF), "/ventes",
        du=f"{today - timedelta(days=60):%Y-%m}", au=f"{today:%Y-%m}",
    ).json()  # fmt: skip
    assert Decimal(body["total"]) == Decimal("1500.00")
    assert [c["client"] for c in body["top_customers"]] == ["Martin SARL", "Durand SAS"]
    assert body["customers_for_80_percent"] == 2  # 67 % then 100 %
    assert body["months"][0]["month"] == f"{today - timedelta(days=60):%Y-%m}-01"
    assert body["months"][-1]["month"] == f"{today:%Y-%m}-01"


def test_vat_and_dunning_report_leaves_the_vat_to_the_books(client, seller):
    body = get(client, factories.member(seller, Role.OWNER), "/tva-relances").json()
    assert body == {"vat_due": None, "dunning": []}


def test_portfolio_lists_the_users_companies(client, seller):
    membership = factories.member(seller, Role.ACCOUNTANT)
    second = factories.issuing_company("Boulangerie API")
    Membership.objects.create(user=membership.user, company=second, role=Role.ACCOUNTANT)
    body = get(client, membership, "/portefeuille").json()
    assert {row["name"] for row in body} == {"Atelier API", "Boulangerie API"}
    atelier = next(row for row in body if row["name"] == "Atelier API")
    assert Decimal(atelier["overdue"]) == Decimal("1200.00") and atelier["integrity_ok"] is None


def test_the_api_needs_a_token(client, seller):
    assert client.get("/api/v1/tableaux/creances").status_code == 401
