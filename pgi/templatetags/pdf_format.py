"""French formats for printed documents, independent of the active language.

A sealed document's content has dates as ISO strings and amounts as decimal strings once it
has been through JSON; these filters take those (or `date` / `Decimal`) and print them the
French way whatever language the worker runs in: 15/03/2026, 1 234,50 €, 5,5 %.
"""

import gettext
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

import pycountry
from django import template

from pgi.identifiers import format_siren
from pgi.money import NBSP, format_eur, format_eur_whole, format_number, format_percent, to_decimal

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return to_decimal(value)
    except InvalidOperation:
        return None


@register.filter
def date_fr(value) -> str:
    """`2026-03-15` → `15/03/2026`."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value:%d/%m/%Y}"


@register.filter
def eur(value) -> str:
    """`1234.5` → `1 234,50 €`."""
    number = _decimal(value)
    return "" if number is None else format_eur(number)


@register.filter
def eur_round(value) -> str:
    """Whole amounts without cents, for legal amounts: `40.00` → `40 €`, `12.5` → `12,50 €`."""
    number = _decimal(value)
    return "" if number is None else format_eur_whole(number)


@register.filter
def price(value) -> str:
    """Unit prices keep up to 4 decimals: `12.5000` → `12,50 €`, `0.1234` → `0,1234 €`."""
    number = _decimal(value)
    if number is None:
        return ""
    return f"{format_number(number, min_places=2, max_places=4)}{NBSP}€"


@register.filter
def quantity(value) -> str:
    """`2.000` → `2`, `1.50` → `1,5`, `1500` → `1 500`."""
    number = _decimal(value)
    return "" if number is None else format_number(number)


@register.filter
def percent(value) -> str:
    """`20.00` → `20 %`, `5.50` → `5,5 %`, `12.15` → `12,15 %`."""
    number = _decimal(value)
    return "" if number is None else format_percent(number)


@register.filter
def siren(value) -> str:
    """`123456789` → `123 456 789`; a SIRET keeps its NIC apart: `123 456 789 00012`."""
    return format_siren(value)


@register.filter
def iban(value) -> str:
    """IBAN in groups of four, as banks print it."""
    value = (value or "").replace(" ", "").upper()
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


@cache
def _country_names() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])


@register.filter
def country(code) -> str:
    """`DE` → `Allemagne`; France is never printed on a French invoice's addresses."""
    code = (code or "").upper()
    if code in ("", "FR"):
        return ""
    found = pycountry.countries.get(alpha_2=code)
    return _country_names().gettext(found.name) if found else code
