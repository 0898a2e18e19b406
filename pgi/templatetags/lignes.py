"""The line editor's catalogue: what an article supplies to a line, for static/js/app.js."""

from django import template
from django.utils.html import format_html, format_html_join

from pgi.forms_utils import FrenchDecimalField
from pgi.lignes import ARTICLE_FIELD_NAMES
from pgi.lignes.forms import LigneDocumentForm
from pgi.lignes.spec import VAT_EXEMPTION_LIST
from pgi.mentions import VAT_EXEMPTION_WORDINGS

# The columns typed the French way in the editor get their value in French ("65", "29,9").
_FRENCH = set(LigneDocumentForm.Meta.field_classes)

register = template.Library()


@register.filter
def article_fields(article) -> list[tuple[str, str]]:
    """(field, value) of each column an article fills on a line (`ARTICLE_FIELD_NAMES`)."""
    french = FrenchDecimalField()
    return [
        (name, str(french.prepare_value(value) if name in _FRENCH else value))
        for name in ARTICLE_FIELD_NAMES
        for value in [getattr(article, name)]
    ]


@register.simple_tag
def vat_exemption_datalist() -> str:
    """The standard exemption wordings (pgi.mentions) that a zero-rated line's reason input
    offers; free text stays possible."""
    options = format_html_join(
        "", '<option value="{}"></option>', ((w,) for w in VAT_EXEMPTION_WORDINGS)
    )
    return format_html('<datalist id="{}">{}</datalist>', VAT_EXEMPTION_LIST, options)
