"""The dashboards' figures (issue #19): what is owed per invoice kept beside the frozen
invoice and always equal to facturation's one "reste dû"; the aging balance at its bucket
boundaries and equal to the open invoices' amounts due; DSO, the expected cash-in, revenue by
month (invoices minus credit notes, excl. VAT) and the top customers."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from comptabilite.tableaux import selectors as tableaux
from comptabilite.tableaux.models import ResteDu
from encaissement.relances.planning import factures_ouvertes
from encaissement.relances.services import promesse_enregistrer
from encaissement.selectors import IMPUTATIONS_FAITES, IMPUTATIONS_RECUES, MONTANT_REGLE
from encaissement.services import Allocation, avoir_imputer, paiement_annuler, paiement_enregistrer
from facturation.models import Facture, Status
from facturation.selectors import SETTLEMENTS, with_amount_due
from facturation.services import avoir_creer, facture_emettre
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


@pytest.fixture
def seller():
    return factories.issuing_company("Atelier Tableaux")


def invoice(company, customer=None, amount="1000", *, issued=TODAY, terms=30):
    """An invoice of `amount` excl. VAT (20 %), issued on `issued`, due `terms` days later."""
    customer = customer or factories.business_client(company)
    draft = factories.draft(
        company, customer, lines=[factories.line(unit_price=amount)], payment_terms_days=terms
    )
    return facture_emettre(facture=draft, user=None, today=issued)


def pay(facture, amount, day=TODAY):
    return paiement_enregistrer(
        company=facture.company, user=None, client=facture.client, day=day,
        amount=Decimal(amount), method="virement",
        allocations=[Allocation(facture.pk, Decimal(amount))],
    )  # fmt: skip


def credit(facture, amount_excl_vat, day=TODAY):
    draft = avoir_creer(
        facture=facture, user=None, amount_excl_vat=Decimal(amount_excl_vat),
        vat_rate=Decimal("20"),
    )  # fmt: skip
    return facture_emettre(facture=draft, user=None, today=day)


def due_everywhere(company) -> dict[int, Decimal]:
    return dict(
        with_amount_due(Facture.objects.filter(company=company, status=Status.ISSUED))
        .exclude(kind="avoir")
        .values_list("pk", "amount_due")
    )


def kept(company) -> dict[int, Decimal]:
    return dict(ResteDu.objects.filter(company=company).values_list("facture_id", "amount_due"))


# What is owed, kept beside the invoice -----------------------------------------------------


def test_the_triggers_cover_every_registered_reduction():
    """A reduction registered later (a new way of settling an invoice) must be added to the
    triggers' function: this fails until it is (comptabilite/tableaux/sql.py)."""
    assert set(map(id, SETTLEMENTS)) == {
        id(MONTANT_REGLE),
        id(IMPUTATIONS_RECUES),
        id(IMPUTATIONS_FAITES),
    }


def test_the_amount_kept_is_the_one_amount_due_through_every_change(seller):
    """Issue, partial and full payments, a reversal, a credit note, a credit note
    set against another invoice, a deposit invoice: after each, the kept amount equals
    `with_amount_due` for every invoice, and a rebuild from scratch gives the same."""
    customer = factories.business_client(seller)
    a = invoice(seller, customer, "1000")
    b = invoice(seller, customer, "500")
    c = invoice(seller, customer, "50")
    assert (
        kept(seller)
        == due_everywhere(seller)
        == {a.pk: Decimal("1200.00"), b.pk: Decimal("600.00"), c.pk: Decimal("60.00")}
    )
    pay(a, "200")
    assert kept(seller) == due_everywhere(seller)
    payment = pay(c, "60")
    assert kept(seller)[c.pk] == Decimal("0.00") == due_everywhere(seller)[c.pk]
    paiement_annuler(paiement=payment, user=None, day=TODAY)
    assert kept(seller)[c.pk] == Decimal("60.00") == due_everywhere(seller)[c.pk]
    pay(c, "60")
    note = credit(a, "100")  # 120 incl. VAT
    assert kept(seller)[a.pk] == Decimal("880.00") == due_everywhere(seller)[a.pk]
    refund = credit(c, "50")  # c paid, then credited: owes -60 until the credit serves
    assert kept(seller)[c.pk] == Decimal("-60.00") == due_everywhere(seller)[c.pk]
    avoir_imputer(avoir=refund, facture=b, amount=Decimal("60"), user=None)
    assert kept(seller) == due_everywhere(seller)
    assert kept(seller)[b.pk] == Decimal("540.00")
    assert kept(seller)[c.pk] == Decimal("0.00")  # its credit note went to b
    pay(b, "540")
    assert kept(seller) == due_everywhere(seller)
    row = ResteDu.objects.get(facture=b)
    assert (row.amount_due, row.settled_on) == (Decimal("0.00"), TODAY)
    assert note.pk not in kept(seller)  # a credit note owes nothing
    draft = factories.draft(seller, customer)
    assert draft.pk not in kept(seller)
    before = kept(seller)
    ResteDu.objects.filter(company=seller).delete()
    tableaux.reste_du_reconstruire(company=seller)
    assert kept(seller) == before == due_everywhere(seller)


# Receivables -------------------------------------------------------------------------------


def test_aging_buckets_at_their_boundaries(seller):
    """Due today: not due; 1 and 30 days late: 1-30; 31 and 60: 31-60; 61 and 90: 61-90;
    91: over 90. The same buckets as the receivables list's filters."""
    customer = factories.business_client(seller)
    for late in (0, 1, 30, 31, 60, 61, 90, 91):
        invoice(seller, customer, "100", issued=TODAY - timedelta(days=late), terms=0)
    invoice(seller, customer, "100", issued=TODAY, terms=1)  # due tomorrow
    aging = tableaux.balance_agee(company=seller, today=TODAY)
    (line,) = aging["lines"]
    assert line.buckets == {
        "a_echoir": Decimal("240.00"), "retard_1_30": Decimal("240.00"),
        "retard_31_60": Decimal("240.00"), "retard_61_90": Decimal("240.00"),
        "retard_90": Decimal("120.00"),
    }  # fmt: skip
    assert aging["total"] == line.total == Decimal("1080.00")
    assert aging["overdue"] == Decimal("840.00")


def test_the_aging_balance_equals_the_open_invoices_amounts_due(seller):
    one, two = factories.business_client(seller, "Un SARL"), factories.business_client(seller)
    a = invoice(seller, one, "1000", issued=TODAY - timedelta(days=75))
    invoice(seller, one, "300", issued=TODAY - timedelta(days=10))
    b = invoice(seller, two, "400", issued=TODAY - timedelta(days=45))
    paid = invoice(seller, two, "100")
    pay(a, "500")
    credit(b, "100")
    pay(paid, "120")
    other = factories.issuing_company("Autre SAS")
    invoice(other, amount="999")
    aging = tableaux.balance_agee(company=seller, today=TODAY)
    open_invoices = factures_ouvertes(company=seller, today=TODAY)
    assert aging["total"] == sum(f.amount_due for f in open_invoices) == Decimal("1420.00")
    by_customer = {line.client_id: line for line in aging["lines"]}
    assert by_customer[one.pk].total == Decimal("1060.00")  # 700 + 360
    assert by_customer[one.pk].buckets["retard_31_60"] == Decimal("700.00")
    assert by_customer[two.pk].buckets["retard_1_30"] == Decimal("360.00")
    totals = tableaux.encours(company=seller, today=TODAY)
    assert totals["due"] == aging["total"]
    assert totals["overdue"] == aging["overdue"] == Decimal("1060.00")
    assert totals["overdue_count"] == 2


def test_dso_over_the_last_90_days(seller):
    customer = factories.business_client(seller)
    invoice(seller, customer, "1000", issued=TODAY - timedelta(days=100))  # before the window
    a = invoice(seller, customer, "1000", issued=TODAY - timedelta(days=60))
    invoice(seller, customer, "500", issued=TODAY - timedelta(days=5))
    pay(a, "1200")
    # owed: 1200 (old) + 600 = 1800; sales of the 90 days: 1200 + 600 = 1800 → 90 days
    assert tableaux.dso(company=seller, today=TODAY, outstanding=Decimal("1800")) == Decimal("90.0")
    assert tableaux.dso(company=seller, today=TODAY, outstanding=Decimal("900")) == Decimal("45.0")
    empty = factories.issuing_company("Vide SAS")
    assert tableaux.dso(company=empty, today=TODAY, outstanding=Decimal("0")) is None


def test_expected_cash_in_follows_promises_and_the_customers_own_delay(seller):
    """A customer that paid 14 days late is expected 14 days after each due date; a promise
    to pay moves its invoice to the promised day; an invoice over 90 days late is doubtful."""
    slow, plain = factories.business_client(seller, "Lent SARL"), factories.business_client(seller)
    past = invoice(seller, slow, "100", issued=TODAY - timedelta(days=100), terms=30)
    pay(past, "120", day=TODAY - timedelta(days=56))  # due TODAY-70, paid 14 days late
    invoice(seller, slow, "1000", issued=TODAY, terms=0)  # due today, expected in 2 weeks
    invoice(seller, plain, "500", issued=TODAY, terms=7)  # next week
    promised = invoice(seller, plain, "200", issued=TODAY, terms=0)
    promesse_enregistrer(
        facture=promised, day=TODAY + timedelta(days=30), amount=Decimal("240"), user=None,
        today=TODAY,
    )  # fmt: skip
    invoice(seller, plain, "50", issued=TODAY - timedelta(days=130), terms=30)  # 100 days late
    invoice(seller, plain, "10", issued=TODAY - timedelta(days=20), terms=0)  # late, this week
    forecast = tableaux.previsions(company=seller, today=TODAY)  # a Monday
    weeks = [w["amount"] for w in forecast["weeks"]]
    assert forecast["weeks"][0]["start"] == TODAY
    assert weeks == [
        Decimal("12.00"), Decimal("600.00"), Decimal("1200.00"), Decimal("0"),
        Decimal("240.00"), Decimal("0"), Decimal("0"), Decimal("0"),
    ]  # fmt: skip
    assert forecast["doubtful"] == Decimal("60.00")
    assert forecast["later"] == Decimal("0")


# Sales -------------------------------------------------------------------------------------


def test_revenue_by_month_is_invoices_minus_credit_notes_excl_vat_against_last_year(seller):
    customer = factories.business_client(seller)
    may = invoice(seller, customer, "1000", issued=date(2026, 5, 10))
    invoice(seller, customer, "300", issued=date(2026, 5, 20))
    credit(may, "200", day=date(2026, 6, 2))
    invoice(seller, customer, "700", issued=date(2025, 5, 3))
    factories.draft(seller, customer)  # a draft is no sale
    periode = tableaux.Periode.parse("2026-04", "2026-06", today=TODAY)
    months = tableaux.ventes_par_mois(company=seller, periode=periode)
    assert [(m["month"], m["amount"], m["previous"]) for m in months] == [
        (date(2026, 4, 1), Decimal("0"), Decimal("0")),
        (date(2026, 5, 1), Decimal("1300.00"), Decimal("700.00")),
        (date(2026, 6, 1), Decimal("-200.00"), Decimal("0")),
    ]
    tab = tableaux.ventes_tableau(company=seller, periode=periode)
    assert (tab["total"], tab["previous_total"]) == (Decimal("1100.00"), Decimal("700.00"))


def test_top_customers_with_their_share_and_the_80_20_count(seller):
    amounts = {"A": "6000", "B": "2000", "C": "1000", "D": "500", "E": "500"}
    for name, amount in amounts.items():
        invoice(seller, factories.business_client(seller, f"{name} SARL"), amount)
    periode = tableaux.Periode.last_months(TODAY)
    top = tableaux.meilleurs_clients(company=seller, periode=periode, limit=3)
    assert [line["client"] for line in top["lines"]] == ["A SARL", "B SARL", "C SARL"]
    assert [line["share"] for line in top["lines"]] == [Decimal("0.6"), Decimal("0.2"),
                                                        Decimal("0.1")]  # fmt: skip
    assert top["lines"][2]["cumulated"] == Decimal("0.9")
    assert (top["total"], top["customers"], top["pareto"]) == (Decimal("10000.00"), 5, 2)


def test_a_period_is_whole_months_and_falls_back_to_the_last_12():
    assert tableaux.Periode.parse("2026-02", "2026-03", today=TODAY) == tableaux.Periode(
        date(2026, 2, 1), date(2026, 3, 31)
    )
    last = tableaux.Periode(date(2025, 7, 1), date(2026, 6, 30))
    assert tableaux.Periode.parse("", "", today=TODAY) == last
    assert tableaux.Periode.parse("2026-05", "2026-01", today=TODAY) == last
    assert tableaux.Periode.parse("2020-01", "2026-06", today=TODAY).start == date(2023, 7, 1)


def test_dashboard_figures_need_a_flat_number_of_queries(seller, django_assert_num_queries):
    customer = factories.business_client(seller)
    for _ in range(3):
        pay(invoice(seller, customer, "100", issued=TODAY - timedelta(days=40)), "50")
    periode = tableaux.Periode.last_months(TODAY)
    connection.queries_log.clear()
    # aging and its names, DSO, forecast; top customers and their names
    with django_assert_num_queries(6):
        tableaux.creances_tableau(company=seller, today=TODAY)
        tableaux.meilleurs_clients(company=seller, periode=periode)
