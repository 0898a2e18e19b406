"""Closures freeze a period, seal its totals and the perpetual grand total, and anchor the chain."""

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from comptabilite.exceptions import ComptabiliteError
from comptabilite.models import Cloture, ClotureKind
from comptabilite.pdf import render_cloture_pdf
from comptabilite.selectors import period_from_label
from comptabilite.services import cloture_effectuer
from facturation.services import avoir_creer, facture_emettre
from pgi.exceptions import DomainError, PeriodeCloturee
from pgi.models import Enregistrement, Evenement, EventKind, RecordKind
from pgi.registre import periode_verifier_ouverte, verify_chain
from tests import factories
from tests.db_owner import triggers_disabled

MONTHLY, FISCAL_YEAR = ClotureKind.MONTHLY, ClotureKind.FISCAL_YEAR


def issue(company, day: date, lines=None):
    return facture_emettre(facture=factories.draft(company, lines=lines), user=None, today=day)


def close(company, start: date, kind: str = MONTHLY, **extra) -> Cloture:
    return cloture_effectuer(company=company, kind=kind, period_start=start, user=None, **extra)


def problems_of(excinfo) -> str:
    return " ".join(excinfo.value.problems)


@pytest.fixture
def company(db):
    return factories.issuing_company()


def test_months_close_one_after_the_other(company):
    """Each closure seals a "cloture" record in the same transaction and keeps the chain whole."""
    issue(company, date(2026, 1, 15))
    issue(company, date(2026, 1, 20))
    january = close(company, date(2026, 1, 1))
    february = close(company, date(2026, 2, 1))

    assert (january.period_start, january.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert january.reference == "CLOTURE-M-2026-01"
    record = Enregistrement.objects.get(company=company, sequence=january.sequence)
    assert record.kind == RecordKind.CLOSURE and record.fingerprint == january.fingerprint
    assert json.loads(bytes(record.payload))["doc"] == january.totals
    assert january.totals["head"]["sequence"] == january.sequence - 1
    assert february.totals["previous_closure"]["reference"] == january.reference
    assert february.totals["head"] == {
        "sequence": january.sequence,
        "fingerprint": january.fingerprint,
    }
    assert verify_chain(company).ok
    events = Evenement.objects.filter(company=company, kind=EventKind.CLOSURE)
    assert list(events.order_by("sequence").values_list("summary", flat=True)) == [
        "Clôture 2026-01 (CLOTURE-M-2026-01)",
        "Clôture 2026-02 (CLOTURE-M-2026-02)",
    ]


def test_a_month_is_not_closed_before_it_ends(company):
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2026, 3, 1), today=date(2026, 3, 31))
    assert "n'est pas terminée" in problems_of(excinfo)
    assert close(company, date(2026, 3, 1), today=date(2026, 4, 1))


def test_a_month_is_closed_only_once(company):
    close(company, date(2026, 1, 1))
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2026, 1, 1))
    assert "déjà clôturée (CLOTURE-M-2026-01)" in problems_of(excinfo)
    assert Cloture.objects.filter(company=company).count() == 1


def test_a_month_waits_for_the_previous_one(company):
    issue(company, date(2026, 1, 15))
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2026, 2, 1))
    assert "Le mois précédent (01/2026) n'est pas clôturé" in problems_of(excinfo)
    close(company, date(2026, 1, 1))
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2026, 3, 1))
    assert "Le mois précédent (02/2026)" in problems_of(excinfo)


def test_an_earlier_month_cannot_be_closed_after_a_later_one(company):
    """With nothing before it, the first closure may be any month; then they follow each other."""
    close(company, date(2026, 3, 1))
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2026, 2, 1))
    assert "postérieure est déjà clôturée" in problems_of(excinfo)


def test_every_problem_is_reported_at_once(company):
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2026, 11, 5), today=date(2026, 11, 24))
    assert len(excinfo.value.problems) == 2  # not a 1st, and not over
    assert isinstance(excinfo.value, DomainError)


def test_grand_total_accumulates_and_a_credit_note_counts_negatively(company):
    invoice = issue(company, date(2026, 1, 15))  # 100 + 20 % VAT
    issue(company, date(2026, 1, 20), lines=[factories.line("B", "2", "50")])  # 100 + 20
    january = close(company, date(2026, 1, 1))
    assert january.totals["totals"] == {"excl_vat": "200.00", "vat": "40.00", "incl_vat": "240.00"}
    assert january.totals["grand_total"] == january.totals["totals"]
    assert january.totals["documents"] == {"facture": 2, "avoir": 0, "acompte": 0}
    assert january.totals["series"] == [
        {"kind": "facture", "series": "F-2026-#", "first": "F-2026-00001",
         "last": "F-2026-00002", "count": 2},
    ]  # fmt: skip

    facture_emettre(
        facture=avoir_creer(facture=invoice, user=None), user=None, today=date(2026, 2, 3)
    )
    issue(company, date(2026, 2, 10), lines=[factories.line("C", "1", "50", vat_rate="10")])
    february = close(company, date(2026, 2, 1))

    doc = february.totals
    assert doc["vat"] == [
        {"rate": "20.00", "excl_vat": "-100.00", "vat": "-20.00", "incl_vat": "-120.00"},
        {"rate": "10.00", "excl_vat": "50.00", "vat": "5.00", "incl_vat": "55.00"},
    ]
    assert doc["totals"] == {"excl_vat": "-50.00", "vat": "-15.00", "incl_vat": "-65.00"}
    assert doc["grand_total_before"] == january.totals["grand_total"]
    assert doc["grand_total"] == {"excl_vat": "150.00", "vat": "25.00", "incl_vat": "175.00"}
    assert doc["documents"] == {"facture": 1, "avoir": 1, "acompte": 0}
    assert [s["series"] for s in doc["series"]] == ["AV-2026-#", "F-2026-#"]

    march = close(company, date(2026, 3, 1))  # an empty month carries the grand total over
    assert march.totals["totals"]["incl_vat"] == "0.00"
    assert march.totals["grand_total"] == doc["grand_total"]


def test_a_fiscal_year_closes_once_all_its_months_are_closed(company):
    """The first fiscal year may start before the first closure: those months are empty."""
    issue(company, date(2025, 11, 15))
    issue(company, date(2025, 12, 15))
    close(company, date(2025, 11, 1))
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2025, 1, 1), FISCAL_YEAR)
    assert "Mois de l'exercice non clôturés : 12/2025." in problems_of(excinfo)

    december = close(company, date(2025, 12, 1))
    year = close(company, date(2025, 1, 1), FISCAL_YEAR)
    assert (year.period_start, year.period_end, year.reference) == (
        date(2025, 1, 1), date(2025, 12, 31), "CLOTURE-E-2025",
    )  # fmt: skip
    assert year.totals["totals"]["incl_vat"] == "240.00"
    assert year.totals["grand_total"] == december.totals["grand_total"]
    assert [m["reference"] for m in year.totals["months"]] == [
        "CLOTURE-M-2025-11",
        "CLOTURE-M-2025-12",
    ]
    january = close(company, date(2026, 1, 1))
    assert january.totals["grand_total_before"]["incl_vat"] == "240.00"
    assert verify_chain(company).ok


def test_fiscal_years_follow_the_company_start_month(db):
    company = factories.issuing_company(fiscal_year_start_month=7)
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2025, 1, 1), FISCAL_YEAR)
    assert "commencent le 1er juillet" in problems_of(excinfo)

    for month in range(12):
        close(company, date(2025 + (6 + month) // 12, (6 + month) % 12 + 1, 1))
    year = close(company, date(2025, 7, 1), FISCAL_YEAR)
    assert (year.period_end, year.label) == (date(2026, 6, 30), "2026")
    assert period_from_label(company=company, label="2026").start == date(2025, 7, 1)


def test_the_next_fiscal_year_waits_for_the_previous_one(company):
    for month in (11, 12):
        close(company, date(2025, month, 1))
    for month in range(1, 11):
        close(company, date(2026, month, 1))
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2026, 1, 1), FISCAL_YEAR, today=date(2027, 1, 2))
    problems = problems_of(excinfo)
    assert "L'exercice précédent n'est pas clôturé." in problems
    assert "Mois de l'exercice non clôturés : 11/2026, 12/2026." in problems


def test_no_document_can_be_dated_in_a_closed_period(company):
    issue(company, date(2026, 1, 15))
    close(company, date(2026, 1, 1))
    with pytest.raises(PeriodeCloturee) as excinfo:
        periode_verifier_ouverte(company=company, day=date(2026, 1, 31))
    assert "clôturée jusqu'au 31/01/2026 (CLOTURE-M-2026-01)" in str(excinfo.value)
    with pytest.raises(PeriodeCloturee):  # before the first closure: nothing may go there
        periode_verifier_ouverte(company=company, day=date(2025, 12, 1))
    periode_verifier_ouverte(company=company, day=date(2026, 2, 1))
    other = factories.issuing_company("Voisine SAS")
    periode_verifier_ouverte(company=other, day=date(2026, 1, 15))


def test_a_closure_is_never_updated_nor_deleted(company):
    january = close(company, date(2026, 1, 1))
    # The message of the trigger cloture_append_only (pgtrigger.Protect).
    append_only = "pgtrigger: Cannot update or delete rows from comptabilite_cloture table"
    with pytest.raises(DatabaseError, match=append_only), transaction.atomic():
        Cloture.objects.filter(pk=january.pk).update(totals={})
    with pytest.raises(DatabaseError, match=append_only), transaction.atomic():
        Cloture.objects.filter(pk=january.pk).delete()


def _rewind_head_to(cursor, company, sequence: int) -> None:
    cursor.execute(
        "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence > %s",
        [company.pk, sequence],
    )
    cursor.execute(
        "UPDATE comptabilite_registre SET last_sequence = %s, last_fingerprint = "
        "(SELECT fingerprint FROM comptabilite_enregistrement WHERE company_id = %s "
        "AND sequence = %s) WHERE company_id = %s",
        [sequence, company.pk, sequence, company.pk],
    )


@pytest.mark.django_db(transaction=True)
def test_a_tail_truncated_before_a_closure_is_detected(company):
    """Delete the records after a closure and rewind the head: the chain alone is consistent,
    but the later closure still names a record (and a head) that is gone."""
    issue(company, date(2026, 1, 15))
    january = close(company, date(2026, 1, 1))
    february = close(company, date(2026, 2, 1))  # nothing issued in February
    assert verify_chain(company).ok
    with triggers_disabled() as cursor:
        _rewind_head_to(cursor, company, january.sequence)

    report = verify_chain(company)
    assert not report.ok
    assert [(f.sequence, f.reference) for f in report.findings] == [
        (february.sequence, "CLOTURE-M-2026-02")
    ]
    assert "registre tronqué ou réécrit avant cette clôture" in report.findings[0].problem
    assert verify_chain(company, check_documents=False).ok  # the chain alone cannot tell


@pytest.mark.django_db(transaction=True)
def test_a_tail_truncated_through_the_closures_reports_them_and_their_heads(company):
    issue(company, date(2026, 1, 15))
    issue(company, date(2026, 1, 16))
    january = close(company, date(2026, 1, 1))
    close(company, date(2026, 2, 1))
    with triggers_disabled() as cursor:
        _rewind_head_to(cursor, company, january.sequence - 2)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_registre", company=company.siren, stdout=out)
    assert exit_info.value.code == 1
    text = out.getvalue()
    assert "CLOTURE-M-2026-01" in text and "CLOTURE-M-2026-02" in text
    assert f"la tête de chaîne consignée (#{january.sequence - 1}) est absente" in text


@pytest.mark.django_db(transaction=True)
def test_a_closure_row_changed_behind_the_application_is_reported(company):
    issue(company, date(2026, 1, 15))
    january = close(company, date(2026, 1, 1))
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE comptabilite_cloture SET totals = jsonb_set(totals, "
            "'{grand_total,incl_vat}', '\"1.00\"') WHERE id = %s",
            [january.pk],
        )
    report = verify_chain(company)
    assert [str(f) for f in report.findings] == [
        f"#{january.sequence} CLOTURE-M-2026-01 : la clôture diffère de son enregistrement"
    ]


def test_the_closure_pdf_is_rendered_on_demand(company):
    issue(company, date(2026, 1, 15))
    january = close(company, date(2026, 1, 1))
    assert render_cloture_pdf(january).startswith(b"%PDF")
    assert Decimal(january.totals["grand_total"]["incl_vat"]) == Decimal("120")


@pytest.mark.django_db(transaction=True)
def test_a_period_whose_documents_lost_their_records_is_not_closed(company):
    issue(company, date(2026, 1, 15))
    second = issue(company, date(2026, 1, 16))
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND reference = %s",
            [company.pk, second.number],
        )
    with pytest.raises(ComptabiliteError) as excinfo:
        close(company, date(2026, 1, 1))
    assert f"Documents émis absents du registre : {second.number}." in problems_of(excinfo)


def test_a_first_fiscal_year_of_18_months_closes_as_one(company):
    """C. com.: the first fiscal year may run up to 24 months; closures, the books' periods
    and the FEC follow it; the next one is twelve months long again."""
    from comptabilite.livres.selectors import exercices
    from comptabilite.selectors import fiscal_year_start
    from comptabilite.services import premier_exercice_definir

    with pytest.raises(ComptabiliteError) as excinfo:
        premier_exercice_definir(company=company, start=date(2024, 7, 1), end=date(2026, 12, 31))
    assert "24 mois" in problems_of(excinfo)
    with pytest.raises(ComptabiliteError) as excinfo:
        premier_exercice_definir(company=company, start=date(2024, 7, 1), end=date(2025, 11, 30))
    assert "1er janvier" in problems_of(excinfo)
    first = premier_exercice_definir(
        company=company, start=date(2024, 7, 1), end=date(2025, 12, 31)
    )
    assert period_from_label(company=company, label="2025").start == date(2024, 7, 1)
    assert fiscal_year_start(company, date(2025, 3, 1)) == first.start
    with pytest.raises(ValueError):
        period_from_label(company=company, label="2024")  # inside the first fiscal year
    assert [p.label for p in exercices(company=company, today=date(2026, 3, 1))] == [
        "2025", "2026",
    ]  # fmt: skip
    issue(company, date(2024, 7, 15))
    for month in range(18):
        close(company, date(2024 + (6 + month) // 12, (6 + month) % 12 + 1, 1))
    closure = close(company, date(2024, 7, 1), FISCAL_YEAR)
    assert (closure.period_start, closure.period_end) == (date(2024, 7, 1), date(2025, 12, 31))
    assert closure.reference == "CLOTURE-E-2025"
    with pytest.raises(ComptabiliteError) as excinfo:
        premier_exercice_definir(company=company, start=date(2024, 7, 1), end=date(2025, 12, 31))
    assert "déjà clôturé" in problems_of(excinfo)
