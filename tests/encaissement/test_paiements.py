"""Payments: recorded, allocated, reversed, sealed (issue #16, LEGAL.md §4 and §6)."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.utils import timezone

from encaissement.models import Affectation, Paiement
from encaissement.selectors import solde_client
from encaissement.services import (
    Allocation,
    PaiementError,
    paiement_affecter,
    paiement_annuler,
    paiement_enregistrer,
)
from facturation.models import Facture
from facturation.selectors import EtatPaiement, etat_paiement, facture_lire
from facturation.services import avoir_creer, facture_emettre
from pgi.models import Enregistrement
from pgi.totals import VatBreakdown, split_by_rate
from tests import factories

D = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def company(db):
    return factories.issuing_company()


@pytest.fixture
def customer(company):
    return factories.business_client(company)


def _due(facture: Facture) -> Decimal:
    return facture_lire(company=facture.company, pk=facture.pk).amount_due


def _pay(company, customer, amount, *allocations, day=TODAY, method="virement"):
    return paiement_enregistrer(
        company=company, user=None, client=customer, day=day, amount=D(amount), method=method,
        allocations=[Allocation(f.pk, D(a)) for f, a in allocations],
    )  # fmt: skip


def test_split_by_rate_adds_up_to_the_amount_and_follows_the_breakdown():
    """The VAT split of an allocation is the pro rata of the invoice's breakdown, to the cent,
    and its shares add up to the amount paid exactly (the books and the "encaissée" status)."""
    breakdown = [
        VatBreakdown(rate=D("20"), base=D("100.00"), vat=D("20.00")),
        VatBreakdown(rate=D("5.5"), base=D("10.00"), vat=D("0.55")),
    ]
    shares = split_by_rate(D("50.00"), breakdown)
    assert [(s.rate, s.base, s.vat, s.amount) for s in shares] == [
        (D("20"), D("38.30"), D("7.66"), D("45.96")),
        (D("5.5"), D("3.83"), D("0.21"), D("4.04")),
    ]
    assert sum(s.amount for s in shares) == D("50.00")
    whole = split_by_rate(D("130.55"), breakdown)
    assert [(s.base, s.vat) for s in whole] == [(D("100.00"), D("20.00")), (D("10.00"), D("0.55"))]


def test_a_partial_then_a_full_payment_settle_the_invoice(company, customer):
    """The amount due and the payment state are derived from allocations, never typed."""
    facture = factories.issued(company, customer)  # 120.00 incl. VAT
    assert etat_paiement(facture_lire(company=company, pk=facture.pk), today=TODAY) == (
        EtatPaiement.UNPAID
    )
    _pay(company, customer, "20", (facture, "20"))
    assert _due(facture) == D("100.00")
    assert etat_paiement(facture_lire(company=company, pk=facture.pk), today=TODAY) == (
        EtatPaiement.PARTLY_PAID
    )
    _pay(company, customer, "100,00".replace(",", "."), (facture, "100"))
    assert _due(facture) == D("0.00")
    assert etat_paiement(facture_lire(company=company, pk=facture.pk), today=TODAY) == (
        EtatPaiement.PAID
    )


def test_an_unpaid_invoice_past_its_due_date_is_overdue(company, customer):
    facture = factories.issued(company, customer)
    later = facture.due_date + timedelta(days=1)
    assert etat_paiement(facture_lire(company=company, pk=facture.pk), today=later) == (
        EtatPaiement.OVERDUE
    )


def test_the_allocation_keeps_its_split_per_vat_rate(company, customer):
    facture = factories.issued(
        company, customer,
        lines=[factories.line(unit_price="100"), factories.line(unit_price="10", vat_rate="5.5")],
    )  # fmt: skip
    paiement = _pay(company, customer, "50", (facture, "50"))
    assert paiement.affectations.get().ventilation == [
        {"rate": "20", "base": "38.30", "vat": "7.66", "amount": "45.96"},
        {"rate": "5.5", "base": "3.83", "vat": "0.21", "amount": "4.04"},
    ]


def test_what_is_not_allocated_stays_as_credit_and_is_allocated_later(company, customer):
    first = factories.issued(company, customer)
    second = factories.issued(company, customer)
    paiement = _pay(company, customer, "200", (first, "120"))
    assert solde_client(customer) == D("80.00")
    paiement_affecter(paiement=paiement, user=None, allocations=[Allocation(second.pk, D("80"))])
    assert solde_client(customer) == D("0.00")
    assert _due(second) == D("40.00")
    with pytest.raises(PaiementError, match="dépassent le montant disponible"):
        paiement_affecter(paiement=paiement, user=None, allocations=[Allocation(second.pk, D("1"))])


def test_over_allocation_and_other_customers_invoices_are_refused(company, customer):
    facture = factories.issued(company, customer)
    other = factories.issued(company, factories.business_client(company, name="Autre SAS"))
    draft = factories.draft(company, customer)
    with pytest.raises(PaiementError, match="il ne reste que 120,00"):
        _pay(company, customer, "500", (facture, "130"))
    with pytest.raises(PaiementError, match="n'est pas une facture de"):
        _pay(company, customer, "120", (other, "120"))
    with pytest.raises(PaiementError, match="seule une facture émise"):
        _pay(company, customer, "120", (draft, "120"))
    with pytest.raises(PaiementError, match="dépassent le montant disponible"):
        _pay(company, customer, "100", (facture, "110"))
    with pytest.raises(PaiementError, match="positif"):
        _pay(company, customer, "0")
    with pytest.raises(PaiementError, match="futur"):
        _pay(company, customer, "10", day=TODAY + timedelta(days=1))
    assert not Paiement.objects.exists()


def test_a_credit_note_reduces_what_is_left_to_pay(company, customer):
    facture = factories.issued(company, customer)
    avoir = avoir_creer(facture=facture, user=None, amount_excl_vat=D("20"), vat_rate=D("20"))
    facture_emettre(facture=avoir, user=None)
    _pay(company, customer, "96", (facture, "96"))
    assert _due(facture) == D("0.00")


def test_a_reversal_is_a_new_sealed_record_and_the_invoice_is_due_again(company, customer):
    """A payment is never edited or deleted: a mistake is reversed by a new record
    (CGI art. 286-I-3° bis), which un-allocates what the payment settled."""
    facture = factories.issued(company, customer)
    paiement = _pay(company, customer, "120", (facture, "120"))
    reversal = paiement_annuler(paiement=paiement, user=None, reason="Chèque impayé")
    assert reversal.amount == D("-120.00") and reversal.reverses == paiement
    assert _due(facture) == D("120.00")
    assert solde_client(customer) == D("0.00")
    kinds = list(
        Enregistrement.objects.filter(company=company, kind__in=["encaissement", "annulation"])
        .order_by("sequence")
        .values_list("kind", "reference")
    )
    assert kinds == [("encaissement", paiement.number), ("annulation", reversal.number)]
    with pytest.raises(PaiementError, match="déjà annulé"):
        paiement_annuler(paiement=paiement, user=None)
    with pytest.raises(PaiementError, match="ne s'annule pas"):
        paiement_annuler(paiement=reversal, user=None)


def test_payments_are_numbered_without_gap_per_company(company, customer):
    numbers = [_pay(company, customer, "10").number for _ in range(3)]
    year = TODAY.year
    assert numbers == [f"ENC-{year}-00001", f"ENC-{year}-00002", f"ENC-{year}-00003"]


@pytest.mark.django_db(transaction=True)
def test_a_payment_never_changes_in_the_database(company, customer):
    facture = factories.issued(company, customer)
    paiement = _pay(company, customer, "120", (facture, "120"))
    for sql in (
        f"UPDATE encaissement_paiement SET amount = 1 WHERE id = {paiement.pk}",
        f"DELETE FROM encaissement_paiement WHERE id = {paiement.pk}",
        "UPDATE encaissement_affectation SET amount = 1",
        "DELETE FROM encaissement_affectation",
    ):
        with pytest.raises((InternalError, IntegrityError, ProgrammingError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert Affectation.objects.get().amount == D("120.00")


def test_a_payment_dated_in_a_closed_period_is_refused(company, customer):
    from comptabilite.services import cloture_effectuer

    day = date(TODAY.year - 1, 1, 15)
    _pay(company, customer, "10", day=day)
    cloture_effectuer(
        company=company, kind="mensuelle", period_start=date(day.year, 1, 1), user=None
    )
    with pytest.raises(PaiementError, match="clôturée"):
        _pay(company, customer, "10", day=day)


def test_the_register_verifies_with_payments_and_reports_an_altered_one(company, customer):
    from tests.comptabilite.test_verify_registre import triggers_disabled

    facture = factories.issued(company, customer)
    paiement = _pay(company, customer, "120", (facture, "120"))
    paiement_annuler(paiement=paiement, user=None)
    out = StringIO()
    call_command("verify_registre", company=company.siren, stdout=out)
    assert "intègre" in out.getvalue()
    with triggers_disabled():
        Paiement.objects.filter(pk=paiement.pk).update(amount=D("12.00"))
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_registre", company=company.siren, stdout=out)
    assert f"{paiement.number} : l'encaissement diffère de son enregistrement (amount)" in (
        out.getvalue()
    )


def test_the_dashboard_s_due_and_overdue_follow_payments(company, customer):
    from facturation.selectors import dashboard_figures

    facture = factories.issued(company, customer)
    later = facture.due_date + timedelta(days=1)
    assert dashboard_figures(company=company, today=later)["overdue"] == D("120.00")
    _pay(company, customer, "20", (facture, "20"))
    figures = dashboard_figures(company=company, today=later)
    assert (figures["due"], figures["overdue"]) == (D("100.00"), D("100.00"))
    _pay(company, customer, "100", (facture, "100"))
    assert dashboard_figures(company=company, today=later)["overdue_count"] == 0


def test_closures_keep_the_payments_of_the_period_per_method_and_their_perpetual_total(
    company, customer
):
    """LEGAL.md §4 (BOI-TVA-DECLA-30-10-30): a closure totals the payments of its period per
    method, reversals negative, and carries their perpetual total to the next one."""
    from comptabilite.pdf import cloture_context
    from comptabilite.services import cloture_effectuer

    year = TODAY.year - 1
    january, february = date(year, 1, 10), date(year, 2, 10)
    cash = _pay(company, customer, "30", day=january, method="especes")
    _pay(company, customer, "70", day=january, method="cheque")
    paiement_annuler(paiement=cash, user=None, day=date(year, 1, 20))
    _pay(company, customer, "5", day=february, method="carte")
    first = cloture_effectuer(company=company, kind="mensuelle", period_start=date(year, 1, 1),
                              user=None)  # fmt: skip
    second = cloture_effectuer(company=company, kind="mensuelle", period_start=date(year, 2, 1),
                               user=None)  # fmt: skip
    per_method = {r["method"]: r["amount"] for r in first.totals["payments"]["per_method"]}
    assert per_method == {"virement": "0.00", "cheque": "70.00", "especes": "0.00",
                          "carte": "0.00", "prelevement": "0.00"}  # fmt: skip
    assert (first.totals["payments"]["count"], first.totals["payments"]["total"]) == (3, "70.00")
    assert first.totals["payments_grand_total"] == "70.00"
    assert second.totals["payments_grand_total_before"] == "70.00"
    assert second.totals["payments_grand_total"] == "75.00"
    context = cloture_context(second)
    assert context["payments_grand_total"] == "75,00\u00a0€"


def test_a_credit_note_on_a_paid_invoice_is_set_against_another_invoice(company, customer):
    """Issue #16: a credit note can be set against an invoice. Its own invoice, paid before it
    was credited, would otherwise show a negative balance forever."""
    from encaissement.services import avoir_imputer

    paid = factories.issued(company, customer)
    _pay(company, customer, "120", (paid, "120"))
    avoir = avoir_creer(facture=paid, user=None, amount_excl_vat=D("20"), vat_rate=D("20"))
    avoir = facture_emettre(facture=avoir, user=None)
    assert _due(paid) == D("-24.00")
    other = factories.issued(company, customer)
    with pytest.raises(PaiementError, match="Il reste 24,00"):
        avoir_imputer(avoir=avoir, facture=other, amount=D("30"), user=None)
    avoir_imputer(avoir=avoir, facture=other, amount=D("24"), user=None)
    assert (_due(paid), _due(other)) == (D("0.00"), D("96.00"))
    with pytest.raises(PaiementError, match="Il reste 0,00"):
        avoir_imputer(avoir=avoir, facture=other, amount=D("1"), user=None)
    stranger = factories.issued(company, factories.business_client(company, name="Autre SAS"))
    with pytest.raises(PaiementError, match="même client"):
        avoir_imputer(avoir=avoir, facture=stranger, amount=D("1"), user=None)


def test_a_credit_note_whose_invoice_is_unpaid_cannot_serve_elsewhere(company, customer):
    from encaissement.services import avoir_imputer

    unpaid = factories.issued(company, customer)
    avoir = facture_emettre(
        facture=avoir_creer(facture=unpaid, user=None, amount_excl_vat=D("20"), vat_rate=D("20")),
        user=None,
    )
    other = factories.issued(company, customer)
    with pytest.raises(PaiementError, match="Il reste 0,00"):
        avoir_imputer(avoir=avoir, facture=other, amount=D("10"), user=None)
    assert (_due(unpaid), _due(other)) == (D("96.00"), D("120.00"))
