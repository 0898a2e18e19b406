"""Late penalties (C. com. L441-10, LEGAL.md §6): ECB rate of the half-year + 10 points, never
below three times the legal interest rate, actual/365 to the day, 40 € per business invoice."""

from datetime import date
from decimal import Decimal

import pytest

from encaissement.models import ModePenalites, TauxBCE
from encaissement.relances.penalites import Bareme, TauxManquant, penalites_calculer

D = Decimal
START = date(2000, 1, 1)


def _owed(amount: str) -> list[tuple[date, Decimal]]:
    return [(START, D(amount))]


@pytest.mark.django_db
def test_the_rate_of_each_half_year_is_the_one_in_force_on_1_january_or_1_july():
    """The seeded table: the ECB went to 2.15 % on 11 June 2025, but the first half of 2025
    keeps the rate of 1 January (3.15 % → 13.15 %); from 1 July, 12.15 %. Ten late days on
    each side of the boundary on 1,000 €: (10 × 13.15 % + 10 × 12.15 %) × 1000 / 365."""
    result = penalites_calculer(
        due_date=date(2025, 6, 20), as_of=date(2025, 7, 10), balances=_owed("1000.00"),
        bareme=Bareme.load(),
    )  # fmt: skip
    assert [(p.start, p.end, p.rate) for p in result.periods] == [
        (date(2025, 6, 21), date(2025, 6, 30), D("13.15")),
        (date(2025, 7, 1), date(2025, 7, 10), D("12.15")),
    ]
    assert result.interest == D("6.93")  # 25.30 / 365 × 100 = 6.9315...
    assert result.days_late == 20
    assert result.indemnity == D("40.00")


@pytest.mark.django_db
def test_the_first_half_of_2026_uses_2_15_percent_plus_10_points():
    """LEGAL.md §6: 2.15 % in early 2026, so 12.15 %, across the 1 January boundary too."""
    result = penalites_calculer(
        due_date=date(2025, 12, 21), as_of=date(2026, 1, 10), balances=_owed("3650.00"),
        bareme=Bareme.load(),
    )  # fmt: skip
    assert {p.rate for p in result.periods} == {D("12.15")}
    assert result.interest == D("24.30")  # 3650 × 12.15 % × 20 / 365


def test_a_29_february_is_one_more_late_day_at_1_365():
    """Leap years, decided: actual/365 always. 27 Feb → 2 Mar counts 28, 29 Feb, 1, 2 March
    in 2024 (4 days) and 3 days in 2023, each day 1/365 of the annual rate."""
    bareme = Bareme(ecb=[(date(2022, 1, 1), D("0"))], legal=[])
    leap = penalites_calculer(
        due_date=date(2024, 2, 27), as_of=date(2024, 3, 2), balances=_owed("36500.00"),
        bareme=bareme,
    )  # fmt: skip
    common = penalites_calculer(
        due_date=date(2023, 2, 27), as_of=date(2023, 3, 2), balances=_owed("36500.00"),
        bareme=bareme,
    )  # fmt: skip
    assert (leap.days_late, common.days_late) == (4, 3)
    assert leap.interest == D("40.00")  # 36500 × 10 % × 4 / 365
    assert common.interest == D("30.00")


def test_a_whole_leap_year_late_costs_366_days_of_the_rate():
    bareme = Bareme(ecb=[(date(2022, 1, 1), D("0"))], legal=[])
    result = penalites_calculer(
        due_date=date(2023, 12, 31), as_of=date(2024, 12, 31), balances=_owed("1000.00"),
        bareme=bareme,
    )  # fmt: skip
    assert result.days_late == 366
    assert result.interest == D("100.27")  # 1000 × 10 % × 366 / 365


@pytest.mark.django_db
def test_a_company_rate_below_three_times_the_legal_rate_is_raised_to_it():
    """Never below 3 × the legal interest rate (2nd half 2025: 2.76 % → 8.28 %)."""
    result = penalites_calculer(
        due_date=date(2025, 9, 30), as_of=date(2025, 10, 30), balances=_owed("1000.00"),
        bareme=Bareme.load(), mode=ModePenalites.SOCIETE, invoice_rate=D("5.00"),
    )  # fmt: skip
    assert result.periods[0].rate == D("8.28")
    higher = penalites_calculer(
        due_date=date(2025, 9, 30), as_of=date(2025, 10, 30), balances=_owed("1000.00"),
        bareme=Bareme.load(), mode=ModePenalites.SOCIETE, invoice_rate=D("15.00"),
    )  # fmt: skip
    assert higher.periods[0].rate == D("15.00")


def test_a_partial_payment_stops_the_penalties_on_what_it_paid_from_its_date():
    bareme = Bareme(ecb=[(date(2022, 1, 1), D("0"))], legal=[])
    result = penalites_calculer(
        due_date=date(2025, 9, 30), as_of=date(2025, 10, 20),
        balances=[(START, D("3650.00")), (date(2025, 10, 11), D("1825.00"))], bareme=bareme,
    )  # fmt: skip
    assert [(p.days, p.amount) for p in result.periods] == [(10, D("3650.00")), (10, D("1825.00"))]
    assert result.interest == D("15.00")  # (3650 × 10 + 1825 × 10) × 10 % / 365


def test_a_paid_invoice_accrues_nothing_more_and_the_indemnity_is_for_businesses_only():
    bareme = Bareme(ecb=[(date(2022, 1, 1), D("0"))], legal=[])
    paid = penalites_calculer(
        due_date=date(2025, 9, 30), as_of=date(2025, 12, 1),
        balances=[(START, D("100.00")), (date(2025, 10, 1), D("0.00"))], bareme=bareme,
    )  # fmt: skip
    assert paid.interest == D("0.00")
    consumer = penalites_calculer(
        due_date=date(2025, 9, 30), as_of=date(2025, 10, 30), balances=_owed("100.00"),
        bareme=bareme, business=False,
    )  # fmt: skip
    assert consumer.indemnity == D("0")
    not_late = penalites_calculer(
        due_date=date(2025, 9, 30), as_of=date(2025, 9, 30), balances=_owed("100.00"),
        bareme=bareme,
    )  # fmt: skip
    assert (not_late.interest, not_late.indemnity) == (D("0.00"), D("0"))
    printed = penalites_calculer(
        due_date=date(2025, 9, 30), as_of=date(2025, 10, 1), balances=_owed("100.00"),
        bareme=bareme, indemnity=D("60.00"),
    )  # fmt: skip
    assert printed.indemnity == D("60.00")


@pytest.mark.django_db
def test_a_half_year_without_a_known_ecb_rate_is_refused_not_guessed():
    """Rates are never fetched nor invented: before the first entered value, an error."""
    TauxBCE.objects.all().delete()
    with pytest.raises(TauxManquant):
        penalites_calculer(
            due_date=date(2025, 9, 30), as_of=date(2025, 10, 30), balances=_owed("100.00"),
            bareme=Bareme.load(),
        )  # fmt: skip
