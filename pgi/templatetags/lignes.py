"""The line editor's catalogue: what an article supplies to a line, for static/js/app.js."""

from django import template

from pgi.lignes import ARTICLE_FIELD_NAMES

register = template.Library()


@register.filter
def article_fields(article) -> list[tuple[str, str]]:
    """(field, value) of each column an article fills on a line (`ARTICLE_FIELD_NAMES`)."""
    return [(name, str(getattr(article, name))) for name in ARTICLE_FIELD_NAMES]
