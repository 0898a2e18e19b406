"""Money: `Decimal` only, rounded half-up to the cent in one place.

EN 16931 rounds each line net amount to the cent, then computes VAT per rate on the sum of
the line nets of that rate (BR-CO-17), never line by line.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# The largest amount an amount column holds: DecimalField(max_digits=14, decimal_places=2).
MAX_AMOUNT = Decimal("999999999999.99")


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


# French typography (Imprimerie nationale): a narrow no-break space groups thousands and comes
# before `%`; a no-break space comes before `€`.
NNBSP = "\u202f"
NBSP = "\u00a0"


def format_number(value, *, min_places: int = 0, max_places: int | None = None) -> str:
    """`1234.500` → `1 234,5`: decimal comma, trailing zeros dropped down to `min_places`."""
    number = to_decimal(value)
    if max_places is not None:
        number = round(number, max_places)
    sign = "-" if number < 0 else ""
    whole, _, frac = f"{abs(number):f}".partition(".")
    frac = frac.rstrip("0").ljust(min_places, "0")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{NNBSP.join(groups)}{',' + frac if frac else ''}"


def format_eur(value) -> str:
    """`1234.5` → `1 234,50 €` (French grouping with a narrow no-break space)."""
    return f"{format_number(cents(value), min_places=2)}{NBSP}€"


def format_eur_whole(value) -> str:
    """Legal amounts drop zero cents: `40.00` → `40 €`, `5000` → `5 000 €`, `12.5` → `12,50 €`."""
    amount = cents(value)
    if amount == amount.to_integral_value():
        return f"{format_number(amount.to_integral_value())}{NBSP}€"
    return format_eur(amount)


def format_percent(value) -> str:
    """`20.00` → `20 %`, `5.50` → `5,5 %`, `12.15` → `12,15 %`."""
    return f"{format_number(value)}{NNBSP}%"
