"""Send dates: business days in metropolitan France (`holidays`), weekends excluded."""

from datetime import date, timedelta
from functools import cache, lru_cache

import holidays


@cache
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


@lru_cache(maxsize=65536)
def send_date(due_date: date, delay_days: int) -> date:
    """When the level `delay_days` after `due_date` goes out: that day if it is a business
    day, otherwise the next one; before the due date, the business day before instead, so a
    courtesy reminder still arrives ahead of the due date."""
    day = due_date + timedelta(days=delay_days)
    step = timedelta(days=-1 if delay_days < 0 else 1)
    while not is_business_day(day):
        day += step
    return day
