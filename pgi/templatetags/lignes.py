"""The line editor's catalogue: what an article supplies to a line, for static/js/app.js."""

from django import template

from pgi.forms_utils import FrenchDecimalField
from pgi.lignes import ARTICLE_FIELD_NAMES
from pgi.lignes.forms import LigneDocumentForm

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
