"""The totals engine shared by quotes, invoices and credit notes (EN 16931 rules).

- line net (BT-131) = quantity × unit price − line allowance, rounded to the cent;
- line allowance (BT-136) = quantity × unit price × discount %, rounded to the cent;
- per VAT rate: base = sum of the line nets of that rate (BR-CO-17),
  VAT = base × rate, rounded to the cent once per rate;
- total excl. VAT (BT-109) = sum of line nets; total VAT (BT-110) = sum of VAT per rate;
- total incl. VAT (BT-112) = total excl. VAT + total VAT.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _

from pgi.money import MAX_AMOUNT, ZERO, cents, format_eur, percent_of, to_decimal


class LineLike(Protocol):
    quantity: Decimal
    unit_price: Decimal
    discount_rate: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class LineTotals:
    gross: Decimal
    allowance: Decimal
    net: Decimal


@dataclass(frozen=True)
class VatBreakdown:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    lines: list[LineTotals]
    breakdown: list[VatBreakdown] = field(default_factory=list)
    total_excl_vat: Decimal = ZERO
    total_vat: Decimal = ZERO
    total_incl_vat: Decimal = ZERO


def line_totals(*, quantity, unit_price, discount_rate=ZERO) -> LineTotals:
    gross = cents(to_decimal(quantity) * to_decimal(unit_price))
    allowance = percent_of(gross, to_decimal(discount_rate or ZERO))
    return LineTotals(gross=gross, allowance=allowance, net=gross - allowance)


def compute_totals(lines: Iterable[LineLike]) -> Totals:
    per_line: list[LineTotals] = []
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        totals = line_totals(
            quantity=line.quantity, unit_price=line.unit_price, discount_rate=line.discount_rate
        )
        per_line.append(totals)
        rate = to_decimal(line.vat_rate).normalize()
        bases[rate] = bases.get(rate, ZERO) + totals.net
    breakdown = [
        VatBreakdown(rate=rate, base=base, vat=percent_of(base, rate))
        for rate, base in sorted(bases.items(), reverse=True)
    ]
    total_excl = sum((line.net for line in per_line), ZERO)
    total_vat = sum((b.vat for b in breakdown), ZERO)
    return Totals(
        lines=per_line,
        breakdown=breakdown,
        total_excl_vat=total_excl,
        total_vat=total_vat,
        total_incl_vat=total_excl + total_vat,
    )


@dataclass(frozen=True)
class RateShare:
    """The part of an amount incl. VAT that falls on one VAT rate: base + VAT = amount."""

    rate: Decimal
    base: Decimal
    vat: Decimal
    amount: Decimal


def split_by_rate(amount, breakdown: list[VatBreakdown]) -> list[RateShare]:
    """Splits `amount` (incl. VAT, paid or credited on a document) pro rata of the document's
    VAT breakdown, to the cent, so that the shares add up to `amount` exactly.

    Each rate gets `amount × (base + VAT) / total incl. VAT`, rounded; the last rate takes the
    rounding difference. Within a rate, VAT = share × VAT / (base + VAT), rounded, and
    base = share − VAT. Used for payments (VAT on services is due when cashed, CGI art. 269)
    and the e-invoicing "encaissée" status (amount cashed per rate).
    """
    amount = cents(amount)
    total = sum((b.base + b.vat for b in breakdown), ZERO)
    if not breakdown or total == ZERO:
        return []
    shares: list[RateShare] = []
    left = amount
    for index, b in enumerate(breakdown):
        gross = b.base + b.vat
        share = left if index == len(breakdown) - 1 else cents(amount * gross / total)
        left -= share
        vat = cents(share * b.vat / gross) if gross else ZERO
        shares.append(RateShare(rate=b.rate, base=share - vat, vat=vat, amount=share))
    return shares


def amount_problems(totals: Totals) -> list[str]:
    """The amounts that the money columns (14 digits, 2 decimals) cannot store, one message
    each: refused when the draft is saved, not by the database when it is issued (issue #15:
    a line of 99 999 999 999 × 9 999 999 999 € answered 500 at issue)."""
    limit = format_eur(MAX_AMOUNT)
    problems = [
        _("Ligne %(n)d : le montant (%(a)s) dépasse le maximum de %(max)s.")
        % {"n": position, "a": format_eur(line.gross), "max": limit}
        for position, line in enumerate(totals.lines, start=1)
        if abs(line.gross) > MAX_AMOUNT
    ]
    if abs(totals.total_incl_vat) > MAX_AMOUNT or abs(totals.total_excl_vat) > MAX_AMOUNT:
        problems.append(
            _("Le total du document (%(a)s TTC) dépasse le maximum de %(max)s.")
            % {"a": format_eur(totals.total_incl_vat), "max": limit}
        )
    return problems
