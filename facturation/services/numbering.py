"""Number formats of the gapless series (CGI art. 242 nonies A)."""

from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from facturation.exceptions import FactureError
from facturation.models import DEFAULT_FORMATS, Kind
from pgi.models import Company, NumberingFormat, User


def numbering_pattern(company: Company, kind: str) -> str:
    # Raw SQL: this runs on every issue, and the ORM's query compilation costs more here
    # than the query itself (bench/invoicing.py).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pattern FROM facturation_numberingformat WHERE company_id = %s AND kind = %s",
            [company.pk, kind],
        )
        row = cursor.fetchone()
    return row[0] if row else DEFAULT_FORMATS[kind]


def _period(pattern: str, day: date) -> str:
    if "{mois" in pattern:
        return f"{day:%Y%m}"
    if "{annee" in pattern:
        return f"{day:%Y}"
    return ""


def numbering_preview(pattern: str, day: date | None = None, number: int = 42) -> str:
    """`pattern` formatted for a sample number; raises FactureError when it is unusable."""
    day = day or timezone.localdate()
    if "{numero" not in pattern:
        raise FactureError(
            _("Le format doit contenir {numero}, par exemple F-{annee}-{numero:05d}.")
        )
    try:
        return pattern.format(annee=day.year, mois=f"{day.month:02d}", numero=number)
    except (KeyError, ValueError, IndexError) as exc:
        raise FactureError(
            _("Format invalide : variables permises {annee}, {mois}, {numero} (ex. {numero:05d}).")
        ) from exc


@transaction.atomic
def numerotation_modifier(*, company: Company, kind: str, pattern: str, user: User | None) -> None:
    """Changes a series' number format. A format without {annee} never restarts at 1."""
    from pgi.events import event_record
    from pgi.models import EventKind

    pattern = pattern.strip()
    numbering_preview(pattern)
    if kind not in Kind.values:
        raise FactureError(_("Type de document inconnu."))
    current = numbering_pattern(company, kind)
    if pattern == current:
        return
    NumberingFormat.objects.update_or_create(
        company=company, series=kind, defaults={"pattern": pattern}
    )
    event_record(
        kind=EventKind.IDENTITY, company=company, user=user,
        summary=f"Numérotation {kind} : {current} → {pattern}",
        details={"kind": kind, "from": current, "to": pattern},
    )  # fmt: skip
