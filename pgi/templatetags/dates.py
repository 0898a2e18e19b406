from datetime import datetime

from django import template

register = template.Library()


@register.filter
def iso_datetime(value):
    """`{{ text|iso_datetime|date:"d/m/Y H:i" }}`: an ISO 8601 string (as the cache and the
    tasks keep times) back to a datetime, which `date` shows in local time (Europe/Paris),
    not the UTC of the string (issue #15)."""
    if isinstance(value, datetime) or not value:
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return value
