"""Gapless numbering series, one service for every app (CGI art. 242 nonies A).

An app declares its series at start-up (`register_series` in its `AppConfig.ready`): a key
such as "facture", a French label for the settings page and a default number format. The
kernel keeps, per company, the chosen format of each series (`NumberingFormat`) and one
counter per series and period (`NumberingSeries`); `numero_attribuer` takes the next number
inside the issuing transaction, so a rollback gives it back: no gap, no duplicate.

A format holds `{numero}` and may hold `{annee}` and `{mois}`; with `{annee}` the series
restarts at 1 every year, with `{mois}` every month, without either it never restarts.
A format is checked when it is saved, never at the next issue: it must render, fit the
column of the documents' numbers, and give no number already issued in the series (the
register's records of a series' documents carry the series' key as their kind; a series
whose documents are not sealed, quotes, gives its own `issued` numbers).

A business that moves here mid-year continues its series once, before the first number of
the period: `numerotation_reprendre` (the counter's `first_number`, which the database
accepts only when the counter is created).
"""

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pgi.events import event_record
from pgi.exceptions import NumerotationError
from pgi.models import (
    Company,
    Enregistrement,
    EventKind,
    NumberingFormat,
    NumberingSeries,
    User,
)


@dataclass(frozen=True)
class Series:
    """A declared series: its key (stored with each counter), settings label, default format,
    and the width of the column its numbers are stored in."""

    key: str
    label: str | Promise
    default_pattern: str
    max_length: int
    # The numbers already given in the series, for a series whose documents are not sealed
    # in the register under its key; None: the register's records of kind `key`.
    issued: Callable[[Company], Iterable[str]] | None = None


_registry: dict[str, Series] = {}

# The largest number a format must still fit for: a million documents in one period.
LONGEST_NUMBER = 999_999
LONGEST_DAY = date(2099, 12, 31)


def register_series(
    key: str, *, label: str | Promise, default_pattern: str, max_length: int | None = None,
    issued: Callable[[Company], Iterable[str]] | None = None,
) -> Series:  # fmt: skip
    """Declares a series; call it from the owning app's `AppConfig.ready`. `max_length` is
    the width of the app's column for the number (the register's reference at most);
    `issued(company)`, the numbers given so far when its documents are not sealed under
    `key` (a module-level function: registering twice must compare equal)."""
    width = NumberingSeries._meta.get_field("series").max_length or 0
    if not key or len(key) > width:
        raise ImproperlyConfigured(f"Numbering series key {key!r}: 1 to {width} characters.")
    reference_width = Enregistrement._meta.get_field("reference").max_length or 0
    max_length = min(max_length or reference_width, reference_width)
    try:
        _check_length(default_pattern, max_length)
    except NumerotationError as exc:
        raise ImproperlyConfigured(f"Numbering series {key!r}: {exc}") from exc
    series = Series(
        key=key, label=label, default_pattern=default_pattern, max_length=max_length,
        issued=issued,
    )  # fmt: skip
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


# `{numero}` may be zero-padded or given a width ({numero:05d}); the dates take no option.
NUMBER_SPEC = re.compile(r"0?[1-9]?[0-9]?d?")
A_YEAR = re.compile(r"(?<![0-9])(19|20)[0-9]{2}(?![0-9])")


def _fields(pattern: str) -> list[tuple[str, str | None]]:
    """The literal texts and variables of a format: [(text, variable or None)], checked."""
    invalid = NumerotationError(
        _("Format invalide : variables permises {annee}, {mois}, {numero} (ex. {numero:05d}).")
    )
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:  # an unmatched brace
        raise invalid from exc
    parts: list[tuple[str, str | None]] = []
    for text, name, spec, conversion in parsed:
        if name is None:
            parts.append((text, None))
            continue
        # `{numero[0]}`, `{numero.real}`, `{numero!r}` or `{annee:x}` would render oddly or
        # fail at the next issue: only the three plain variables are accepted.
        allowed_spec = NUMBER_SPEC.fullmatch(spec or "") if name == "numero" else not spec
        if name not in ("annee", "mois", "numero") or conversion or not allowed_spec:
            raise invalid
        parts.append((text, name))
    return parts


def numerotation_apercu(pattern: str, day: date | None = None, number: int = 42) -> str:
    """`pattern` formatted for a sample number; raises NumerotationError when it is unusable."""
    day = day or timezone.localdate()
    if "{numero" not in pattern:
        raise NumerotationError(
            _("Le format doit contenir {numero}, par exemple F-{annee}-{numero:05d}.")
        )
    parts = _fields(pattern)
    names = {name for _text, name in parts}
    if "mois" in names and "annee" not in names:
        # The counter restarts every month: without the year, March's numbers come back
        # next March (CGI art. 242 nonies A: a number is never given twice).
        raise NumerotationError(
            _("Avec {mois}, le format doit aussi contenir {annee} : sinon les numéros de mars "
              "reviendraient en mars prochain.")
        )  # fmt: skip
    if "annee" not in names and any(A_YEAR.search(text) for text, _name in parts):
        raise NumerotationError(
            _("L'année est écrite en chiffres dans le format : écrivez {annee} à la place, "
              "sinon les numéros de l'an prochain porteraient encore cette année.")
        )  # fmt: skip
    return _format(pattern, day, number)


def _check_length(pattern: str, max_length: int) -> None:
    numerotation_apercu(pattern)
    longest = _format(pattern, LONGEST_DAY, LONGEST_NUMBER)
    if len(longest) > max_length:
        raise NumerotationError(
            _("Ce format donne des numéros trop longs (%(n)s caractères pour le n° "
              "%(longest)s) : %(max)s caractères au plus.")
            % {"n": len(longest), "longest": longest, "max": max_length}
        )  # fmt: skip


def _pattern_regex(pattern: str) -> re.Pattern:
    """A regular expression reading a number back into its year, month and counter."""
    regex, seen = "", set()
    for text, name in _fields(pattern):
        regex += re.escape(text)
        if name in seen:
            regex += f"(?P={name})"
        elif name is not None:
            seen.add(name)
            digits = {"annee": "[0-9]{4}", "mois": "[0-9]{2}"}.get(name, "[0-9]+")
            regex += f"(?P<{name}>{digits})"
    return re.compile(regex)


def _first_collision(
    *, company: Company, series: str, pattern: str, starts: dict[str, int] | None = None
) -> str | None:
    """The first number already issued in `series` that `pattern` would give again, if any.

    A number of a period is given again when the period's counter (or `starts`, the counter
    about to be set) has not passed it yet.
    """
    regex = _pattern_regex(pattern)
    counters = dict(
        NumberingSeries.objects.filter(company=company, series=series).values_list(
            "period", "next_number"
        )
    )
    counters.update(starts or {})
    for reference in _issued_numbers(company=company, series=series):
        match = regex.fullmatch(reference)
        if match is None:
            continue
        found = match.groupdict()
        try:
            day = date(int(found.get("annee") or 2000), int(found.get("mois") or 1), 1)
        except ValueError:
            continue
        number = int(found["numero"])
        if _format(pattern, day, number) != reference:
            continue  # another padding: this format never gives this very text
        if number >= counters.get(_period(pattern, day), 1):
            return reference
    return None


def _issued_numbers(*, company: Company, series: str) -> Iterable[str]:
    """Every number given so far in `series` to the documents of `company`."""
    declared = _series(series)
    if declared.issued is not None:
        return declared.issued(company)
    sealed = Enregistrement.objects.filter(company=company, kind=series)
    return sealed.values_list("reference", flat=True).iterator(chunk_size=5000)


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


def numerotation_prochain(*, company: Company, series: str, day: date | None = None) -> str:
    """The number the next document of `series` dated `day` (today) will take."""
    day = day or timezone.localdate()
    pattern = numerotation_format(company=company, series=series)
    counter = (
        NumberingSeries.objects.filter(company=company, series=series, period=_period(pattern, day))
        .values_list("next_number", flat=True)
        .first()
    )
    return _format(pattern, day, counter or 1)


def numerotation_entamee(*, company: Company, series: str, day: date | None = None) -> bool:
    """True once the series' counter of the period of `day` exists: a number was given in it,
    or its next number was set; then the next number can no longer be changed."""
    day = day or timezone.localdate()
    pattern = numerotation_format(company=company, series=series)
    return NumberingSeries.objects.filter(
        company=company, series=series, period=_period(pattern, day)
    ).exists()


@transaction.atomic
def numerotation_reprendre(
    *, company: Company, series: str, next_number: int, user: User | None,
    day: date | None = None,
) -> str:  # fmt: skip
    """Continues a series numbered until now in another tool: its next number in the period
    of `day` (today) becomes `next_number`. Once, before the period's first number; the
    database refuses any other start (the counter's trigger). Returns that next number.
    """
    day = day or timezone.localdate()
    pattern = numerotation_format(company=company, series=series)
    period = _period(pattern, day)
    if next_number < 1:
        raise NumerotationError(_("Le prochain numéro doit être un nombre entier positif."))
    if numerotation_entamee(company=company, series=series, day=day):
        raise NumerotationError(
            _("Cette série a déjà commencé sur cette période : son prochain numéro ne peut "
              "plus être changé (une série ne saute ni ne reprend aucun numéro).")
        )  # fmt: skip
    upcoming = _format(pattern, day, next_number)
    if len(upcoming) > _series(series).max_length:
        raise NumerotationError(_("Ce numéro est trop grand pour le format de la série."))
    taken = _first_collision(
        company=company, series=series, pattern=pattern, starts={period: next_number}
    )
    if taken:
        raise NumerotationError(
            _("Le numéro %(n)s a déjà été émis dans cette série : choisissez un numéro "
              "suivant.") % {"n": taken}
        )  # fmt: skip
    try:
        with transaction.atomic():  # a concurrent first issue created the counter meanwhile
            NumberingSeries.objects.create(
                company=company, series=series, period=period,
                first_number=next_number, next_number=next_number,
            )  # fmt: skip
    except IntegrityError as exc:
        raise NumerotationError(
            _("Cette série vient de commencer : son prochain numéro ne peut plus être changé.")
        ) from exc
    event_record(
        kind=EventKind.IDENTITY, company=company, user=user,
        summary=f"Numérotation {series} reprise au n° {next_number} ({upcoming})",
        details={"kind": series, "period": period, "next_number": next_number,
                 "next": upcoming},
    )  # fmt: skip
    return upcoming


@transaction.atomic
def numerotation_modifier(
    *, company: Company, series: str, pattern: str, user: User | None
) -> None:
    """Changes a series' number format. A format without {annee} never restarts at 1.

    Refused, with its French reason, when it cannot render, gives numbers longer than their
    column, or would give again a number already issued in the series.
    """
    pattern = pattern.strip()
    _check_length(pattern, _series(series).max_length)
    current = numerotation_format(company=company, series=series)
    if pattern == current:
        return
    taken = _first_collision(company=company, series=series, pattern=pattern)
    if taken:
        raise NumerotationError(
            _("Avec ce format, la série redonnerait le numéro %(n)s, déjà émis : gardez une "
              "partie qui le distingue (un préfixe, {annee}…).") % {"n": taken}
        )  # fmt: skip
    NumberingFormat.objects.update_or_create(
        company=company, series=series, defaults={"pattern": pattern}
    )
    event_record(
        kind=EventKind.IDENTITY, company=company, user=user,
        summary=gettext_noop("Numérotation %(series)s : %(from)s → %(to)s"),
        params={"series": series, "from": current, "to": pattern},
        details={"kind": series, "from": current, "to": pattern},
    )  # fmt: skip
