from django import template

from pgi.money import format_eur

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
    text = format(value.normalize() if hasattr(value, "normalize") else value, "f")
    return text.replace(".", ",") + "\u00a0%"
