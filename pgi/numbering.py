"""Gapless numbering series, one service for every app (CGI art. 242 nonies A).

An app declares its series at start-up (`register_series` in its `AppConfig.ready`): a key
such as "facture", a French label for the settings page and a default number format. The
kernel keeps, per company, the chosen format of each series (`NumberingFormat`) and one
counter per series and period (`NumberingSeries`); `numero_attribuer` takes the next number
inside the issuing transaction, so a rollback gives it back: no gap, no duplicate.

A format holds `{numero}` and may hold `{annee}` and `{mois}`; with `{annee}` the series
restarts at 1 every year, with `{mois}` every month, without either it never restarts.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pgi.events import event_record
from pgi.exceptions import NumerotationError
from pgi.models import Company, EventKind, NumberingFormat, NumberingSeries, User


@dataclass(frozen=True)
class Series:
    """A declared series: its key (stored with each counter), settings label, default format."""

    key: str
    label: str | Promise
    default_pattern: str


_registry: dict[str, Series] = {}


def register_series(key: str, *, label: str | Promise, default_pattern: str) -> Series:
    """Declares a series; call it from the owning app's `AppConfig.ready`."""
    width = NumberingSeries._meta.get_field("series").max_length or 0
    if not key or len(key) > width:
        raise ImproperlyConfigured(f"Numbering series key {key!r}: 1 to {width} characters.")
    try:
        numerotation_apercu(default_pattern)
    except NumerotationError as exc:
        raise ImproperlyConfigured(f"Numbering series {key!r}: {exc}") from exc
    series = Series(key=key, label=label, default_pattern=default_pattern)
    if _registry.setdefault(key, series) != series:
        raise ImproperlyConfigured(f"Numbering series {key!r} is already registered.")
    return series


def registered_series() -> list[Series]:
    """Every declared series, in the order the apps declared them."""
    return list(_registry.values())


def _series(key: str) -> Series:
    try:
        return _registry[key]
    except KeyError:
        raise NumerotationError(_("Type de document inconnu.")) from None


def numerotation_format(*, company: Company, series: str) -> str:
    """The company's number format for `series`, or the series' default."""
    default = _series(series).default_pattern
    pattern = (
        NumberingFormat.objects.filter(company=company, series=series)
        .values_list("pattern", flat=True)
        .first()
    )
    return pattern or default


def _period(pattern: str, day: date) -> str:
    """The counter a format numbers in: one per month, per year, or a single one."""
    if "{mois" in pattern:
        return f"{day:%Y%m}"
    if "{annee" in pattern:
        return f"{day:%Y}"
    return ""


def _format(pattern: str, day: date, number: int) -> str:
    return pattern.format(annee=day.year, mois=f"{day.month:02d}", numero=number)


def numerotation_apercu(pattern: str, day: date | None = None, number: int = 42) -> str:
    """`pattern` formatted for a sample number; raises NumerotationError when it is unusable."""
    day = day or timezone.localdate()
    if "{numero" not in pattern:
        raise NumerotationError(
            _("Le format doit contenir {numero}, par exemple F-{annee}-{numero:05d}.")
        )
    try:
        return _format(pattern, day, number)
    except (KeyError, ValueError, IndexError) as exc:
        raise NumerotationError(
            _("Format invalide : variables permises {annee}, {mois}, {numero} (ex. {numero:05d}).")
        ) from exc


def _counter_next(*, company: Company, series: str, period: str) -> int:
    """Takes the next number of a counter in one round trip, locking its row until commit.

    Second in the lock order (pgi.locks): after the document, before the register head.
    """
    table = NumberingSeries._meta.db_table  # `series` is its column `kind`, as above
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (company_id, kind, period, next_number)
            VALUES (%s, %s, %s, 2)
            ON CONFLICT (company_id, kind, period)
            DO UPDATE SET next_number = {table}.next_number + 1
            RETURNING next_number - 1
            """,
            [company.pk, series, period],
        )
        return cursor.fetchone()[0]


def numero_attribuer(*, company: Company, series: str, day: date) -> str:
    """The next number of `series` for a document dated `day`, formatted.

    Call it inside the issuing transaction, once everything else is checked: the counter
    stays locked until commit, and a rollback gives the number back (no gap).
    """
    pattern = numerotation_format(company=company, series=series)
    number = _counter_next(company=company, series=series, period=_period(pattern, day))
    return _format(pattern, day, number)


@transaction.atomic
def numerotation_modifier(
    *, company: Company, series: str, pattern: str, user: User | None
) -> None:
    """Changes a series' number format. A format without {annee} never restarts at 1."""
    pattern = pattern.strip()
    numerotation_apercu(pattern)
    current = numerotation_format(company=company, series=series)
    if pattern == current:
        return
    NumberingFormat.objects.update_or_create(
        company=company, series=series, defaults={"pattern": pattern}
    )
    event_record(
        kind=EventKind.IDENTITY, company=company, user=user,
        summary=gettext_noop("Numérotation %(series)s : %(from)s → %(to)s"),
        params={"series": series, "from": current, "to": pattern},
        details={"kind": series, "from": current, "to": pattern},
    )  # fmt: skip
