"""Money: `Decimal` only, rounded half-up to the cent in one place.

EN 16931 rounds each line net amount to the cent, then computes VAT per rate on the sum of
the line nets of that rate (BR-CO-17), never line by line.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # Floats are never money: go through their shortest repr, not their binary value.
        return Decimal(repr(value))
    return Decimal(str(value))


def cents(value) -> Decimal:
    """Rounds to the cent, half away from zero (the French and EN 16931 convention)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    return cents(to_decimal(amount) * to_decimal(rate) / HUNDRED)


def format_eur(value) -> str:
    """`1234.5` → `1 234,50 €` (French grouping with a narrow no-break space)."""
    amount = cents(value)
    sign = "-" if amount < 0 else ""
    whole, frac = f"{abs(amount):.2f}".split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{'\u202f'.join(groups)},{frac}\u00a0€"
