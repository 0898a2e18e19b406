from django import template

from pgi.forms_utils import french_input
from pgi.money import format_eur, to_decimal

register = template.Library()


@register.filter
def eur(value) -> str:
    """`{{ amount|eur }}` → `1 234,50 €`."""
    if value in (None, ""):
        return "—"
    return format_eur(value)


@register.filter
def rate(value) -> str:
    """`20.00` → `20 %`, `5.50` → `5,5 %`."""
    if value in (None, ""):
        return ""
    text = format(to_decimal(value).normalize(), "f")
    return text.replace(".", ",") + "\u00a0%"


@register.filter
def french_amount(value):
    """The value of an amount input, as `FrenchDecimalField` shows it back (`29,9`)."""
    return french_input(value)
