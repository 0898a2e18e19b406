"""Late penalties and the recovery indemnity (C. com. L441-10 and D441-5; LEGAL.md §6).

Penalties are due from the day after the due date, without any reminder. Their rate is, by
default, the ECB main refinancing rate in force on 1 January (for the first half-year) or on
1 July (for the second) plus 10 points; a company may apply instead the rate printed on its
invoice. Either way never below three times the legal interest rate of the half-year.

Day count: actual/365, leap years included. Each late day accrues `rate / 365` of the amount
then owed, so a 29 February is one more day of penalties and a whole leap year costs 366/365
of the annual rate. We chose this over actual/actual (1/366 in a leap year) because it is the
count the statute's "taux annuel" is usually applied with in France, it gives the same daily
amount all year round, and it is what the customer can recompute from the reminder.

The rates are read from the dated tables `TauxBCE` and `TauxInteretLegal` (entered by hand,
never fetched at run time). Amounts are rounded to the cent once, on the total.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from encaissement.models import ModePenalites, TauxBCE, TauxInteretLegal
from pgi.money import ZERO, cents, to_decimal

DAYS_PER_YEAR = Decimal("365")
ECB_MARGIN = Decimal("10")
LEGAL_FLOOR_FACTOR = Decimal("3")
DEFAULT_INDEMNITY = Decimal("40.00")  # C. com. D441-5
# The mode for a private customer: the legal interest rate, from the formal notice only.
INTERET_LEGAL = "interet_legal"


class TauxManquant(Exception):
    """No ECB rate is known for a half-year: an admin must enter it."""


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year(start: date) -> date:
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


@dataclass(frozen=True)
class Bareme:
    """The dated rates, loaded once (two small queries) and read for any number of invoices."""

    ecb: list[tuple[date, Decimal]]  # (in force from, rate), oldest first
    legal: list[tuple[date, Decimal]]  # (half-year, rate "autres cas"), oldest first

    @classmethod
    def load(cls) -> "Bareme":
        return cls(
            ecb=list(TauxBCE.objects.order_by("date_effet").values_list("date_effet", "taux")),
            legal=list(
                TauxInteretLegal.objects.order_by("semestre").values_list("semestre", "taux_autres")
            ),
        )

    @staticmethod
    def _in_force(table: list[tuple[date, Decimal]], day: date) -> Decimal | None:
        found = None
        for start, rate in table:
            if start > day:
                break
            found = rate
        return found

    def ecb_rate(self, half_year: date) -> Decimal:
        """The ECB rate in force on the first day of the half-year (1 January or 1 July)."""
        rate = self._in_force(self.ecb, half_year)
        if rate is None:
            raise TauxManquant(half_year)
        return rate

    def legal_floor(self, half_year: date) -> Decimal:
        """Three times the legal interest rate of the half-year (the latest known one if the
        arrêté for it has not been entered yet); zero if none is known at all."""
        rate = self._in_force(self.legal, half_year)
        return LEGAL_FLOOR_FACTOR * rate if rate is not None else ZERO

    def annual_rate(self, half_year: date, *, mode: str, invoice_rate: Decimal | None) -> Decimal:
        if mode == INTERET_LEGAL:
            # A private customer owes the legal interest rate (C. civ. 1231-6), nothing more.
            rate = self._in_force(self.legal, half_year)
            return rate if rate is not None else ZERO
        if mode == ModePenalites.SOCIETE and invoice_rate is not None:
            rate = to_decimal(invoice_rate)
        else:
            rate = self.ecb_rate(half_year) + ECB_MARGIN
        return max(rate, self.legal_floor(half_year))


@dataclass(frozen=True)
class Periode:
    """Part of the late period with one amount owed and one annual rate."""

    start: date  # first late day counted
    end: date  # last late day counted
    amount: Decimal
    rate: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def penalty(self) -> Decimal:
        return self.amount * self.rate / 100 * self.days / DAYS_PER_YEAR


@dataclass(frozen=True)
class Penalites:
    periods: list[Periode]
    interest: Decimal  # rounded to the cent
    indemnity: Decimal

    @property
    def days_late(self) -> int:
        return sum(p.days for p in self.periods) if self.periods else 0

    @property
    def total(self) -> Decimal:
        return self.interest + self.indemnity


def penalites_calculer(
    *,
    due_date: date,
    as_of: date,
    balances: list[tuple[date, Decimal]],
    bareme: Bareme,
    mode: str = ModePenalites.BCE,
    invoice_rate: Decimal | None = None,
    business: bool = True,
    indemnity: Decimal | None = None,
) -> Penalites:
    """Penalties on an invoice due on `due_date`, counted up to `as_of` included.

    `balances`: what was owed from each date on ((date, amount), oldest first, the first one
    dated on or before the due date): a payment dated D stops the penalties on what it paid
    from D on (the day the money arrives is not late for it). The 40 € indemnity (or the
    higher amount printed on the invoice) is due by a business customer once the invoice is
    late (C. com. L441-10 II).
    """
    periods: list[Periode] = []
    day = due_date + timedelta(days=1)
    while day <= as_of:
        owed, change = ZERO, as_of + timedelta(days=1)
        for start, amount in balances:
            if start > day:
                change = min(change, start)
                break
            owed = amount
        half = half_year_start(day)
        end = min(as_of, next_half_year(half) - timedelta(days=1), change - timedelta(days=1))
        if owed > 0:
            rate = bareme.annual_rate(half, mode=mode, invoice_rate=invoice_rate)
            periods.append(Periode(start=day, end=end, amount=owed, rate=rate))
        day = end + timedelta(days=1)
    interest = cents(sum((p.penalty for p in periods), ZERO))
    late = as_of > due_date
    fee = ZERO
    if business and late:
        fee = max(to_decimal(indemnity), DEFAULT_INDEMNITY) if indemnity else DEFAULT_INDEMNITY
    return Penalites(periods=periods, interest=interest, indemnity=fee)
