"""Slots the dashboards leave for figures other parts compute: VAT due comes from the books
(`comptabilite.livres`, issue #19), which register their function here when they exist."""

from collections.abc import Callable
from datetime import date

from pgi.models import Company

# company, start, end -> [{"rate": Decimal, "base": Decimal, "vat": Decimal}, ...]
TvaDue = Callable[..., list[dict]]
TVA_DUE: list[TvaDue] = []


def register_tva_due(func: TvaDue) -> TvaDue:
    TVA_DUE.append(func)
    return func


def tva_due(*, company: Company, start: date, end: date) -> list[dict] | None:
    """VAT due per rate over the period, from the registered source; None when there is none
    yet (the dashboard then says so)."""
    if not TVA_DUE:
        return None
    return TVA_DUE[0](company=company, start=start, end=end)
