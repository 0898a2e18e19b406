"""Writes on the register's periods: closures (clôtures) and the check that a date is open.

CGI art. 286-I-3° bis, BOI-TVA-DECLA-30-10-30 (conservation): a closure at least per fiscal
year freezes its period and seals, in a chained record, the period's totals and the perpetual
grand total since the first record; no record may then be dated in a closed period.
"""

import hashlib
import json
import tempfile
from datetime import date
from decimal import Decimal

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from comptabilite.archives import archive_exporter
from comptabilite.exceptions import ComptabiliteError
from comptabilite.models import Archive, Cloture, ClotureKind, PremierExercice
from comptabilite.selectors import (
    Period,
    add_amounts,
    add_months,
    cloture_lire,
    grand_total_before,
    month_end,
    payments_grand_total_before,
    period_document_numbers,
    period_of,
    period_payments,
    period_sealed_documents,
    period_totals,
    premier_exercice,
)
from pgi import registre
from pgi.events import event_record
from pgi.locks import lock_registre_head
from pgi.models import Company, Enregistrement, EventKind, RecordKind, User

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def _month(day: date) -> str:
    return f"{day:%m/%Y}"


def _closure_problems(company: Company, period: Period, today: date) -> list[str]:
    """Every reason the period cannot be closed now, all at once."""
    problems = []
    if period.start.day != 1:
        problems.append(_("Une période commence le premier jour d'un mois."))
    first = premier_exercice(company)
    if (
        period.kind == ClotureKind.FISCAL_YEAR
        and period.start.month != (company.fiscal_year_start_month or 1)
        and (first is None or period.start != first.start)
    ):
        problems.append(
            _("Les exercices de la société commencent le 1er %(m)s.")
            % {"m": MONTHS[(company.fiscal_year_start_month or 1) - 1]}
        )
    if period.end >= today:
        problems.append(
            _("La période du %(s)s au %(e)s n'est pas terminée.")
            % {"s": f"{period.start:%d/%m/%Y}", "e": f"{period.end:%d/%m/%Y}"}
        )
    existing = cloture_lire(company=company, period=period)
    if existing:
        problems.append(_("La période est déjà clôturée (%(r)s).") % {"r": existing.reference})
        return problems
    same_kind = Cloture.objects.filter(company=company, kind=period.kind)
    if same_kind.filter(period_start__gt=period.start).exists():
        problems.append(
            _("Une période postérieure est déjà clôturée : les clôtures se suivent dans l'ordre.")
        )
    if period.kind == ClotureKind.MONTHLY:
        problems += _monthly_order_problems(company, period)
    else:
        problems += _fiscal_year_problems(company, period)
    return problems


def _monthly_order_problems(company: Company, period: Period) -> list[str]:
    """The previous month must be closed, unless nothing at all precedes this month."""
    months = Cloture.objects.filter(company=company, kind=ClotureKind.MONTHLY)
    previous = add_months(period.start, -1)
    if months.filter(period_start=previous).exists():
        return []
    earlier_closure = months.filter(period_start__lt=period.start).exists()
    first_day = registre.first_document_day(company=company)
    earlier_document = first_day is not None and first_day < period.start
    if earlier_closure or earlier_document:
        return [
            _("Le mois précédent (%(m)s) n'est pas clôturé : les clôtures se suivent.")
            % {"m": _month(previous)}
        ]
    return []


def _fiscal_year_problems(company: Company, period: Period) -> list[str]:
    """Every month of the fiscal year is closed (those before the first closure excepted:
    nothing can be dated there), and so is the previous fiscal year if it had activity."""
    problems = []
    closed = set(
        Cloture.objects.filter(
            company=company,
            kind=ClotureKind.MONTHLY,
            period_start__range=(period.start, period.end),
        ).values_list("period_start", flat=True)  # fmt: skip
    )
    first = (
        Cloture.objects.filter(company=company, kind=ClotureKind.MONTHLY)
        .order_by("period_start")
        .values_list("period_start", flat=True)
        .first()
    )
    missing = [
        month
        for month in period.months
        if month not in closed and (first is None or month >= first or month == period.months[-1])
    ]
    if missing:
        problems.append(
            _("Mois de l'exercice non clôturés : %(m)s.")
            % {"m": ", ".join(_month(month) for month in missing)}
        )
    before = add_months(period.start, -1)
    previous_closed = Cloture.objects.filter(
        company=company, kind=ClotureKind.FISCAL_YEAR, period_end=period.start - date.resolution
    ).exists()
    had_activity = Cloture.objects.filter(
        company=company, kind=ClotureKind.MONTHLY, period_start=before
    ).exists()
    if had_activity and not previous_closed:
        problems.append(_("L'exercice précédent n'est pas clôturé."))
    return problems


def _unsealed_numbers(company: Company, period: Period, documents: list[tuple]) -> list[str]:
    """Issued documents of the period without their record: the totals would miss them."""
    sealed = {(doc_kind, number) for _seq, doc_kind, number, _doc in documents}
    issued = period_document_numbers(company=company, start=period.start, end=period.end)
    return sorted(number for doc_kind, number in issued if (doc_kind, number) not in sealed)


def _normalised(document: dict) -> dict:
    return json.loads(registre.canonical_json(document))


@transaction.atomic
def cloture_effectuer(
    *, company: Company, kind: str, period_start: date, user: User | None,
    today: date | None = None,
) -> Cloture:  # fmt: skip
    """Closes a month or a fiscal year: seals its totals and the perpetual grand total.

    Invariants: closures of a kind follow each other; a fiscal year closes after its months.
    Lock order (pgi.locks): the register head is the only lock, taken first and held until
    commit, so no document is sealed between the totals and the closure record, and the head
    recorded in the closure is the record right before it.
    """
    if kind not in ClotureKind.values:
        raise ComptabiliteError(_("Type de clôture inconnu : %(k)s.") % {"k": kind})
    now = timezone.now()
    today = today or timezone.localdate(now)
    head_sequence, head_fingerprint, _closed_until, _reference = lock_registre_head(company)
    period = period_of(company=company, kind=kind, period_start=period_start)
    problems = _closure_problems(company, period, today)
    if problems:
        raise ComptabiliteError(problems)

    documents = period_sealed_documents(company=company, start=period.start, end=period.end)
    unsealed = _unsealed_numbers(company, period, documents)
    if unsealed:
        raise ComptabiliteError(
            _("Documents émis absents du registre : %(n)s. Lancez verify_registre.")
            % {"n": ", ".join(unsealed)}
        )
    totals = period_totals(documents)
    before = grand_total_before(company=company, kind=kind, start=period.start)
    payments = period_payments(company=company, start=period.start, end=period.end)
    payments_before = payments_grand_total_before(company=company, kind=kind, start=period.start)
    grand_total = add_amounts(before, totals["totals"])
    previous = (
        Cloture.objects.filter(company=company, kind=kind, period_start__lt=period.start)
        .order_by("-period_start")
        .first()
    )
    document = {
        "type": "cloture",
        "kind": kind,
        "period": {"label": period.label, "start": period.start, "end": period.end},
        "company": {"siren": company.siren, "legal_name": company.legal_name},
        "closed_at": now,
        "closed_by": user.email if user else None,
        # The chain head at closing time, kept in the closure (and its PDF, and the archive
        # manifest): a chain later truncated or rewritten before this point disagrees with it.
        "head": {"sequence": head_sequence, "fingerprint": head_fingerprint or registre.GENESIS},
        "previous_closure": {
            "reference": previous.reference,
            "sequence": previous.sequence,
            "fingerprint": previous.fingerprint,
        }
        if previous
        else None,
        **totals,
        "grand_total_before": before,
        "grand_total": grand_total,
        # Payments of the period per method, and their perpetual total (LEGAL.md §4).
        "payments": payments,
        "payments_grand_total_before": payments_before,
        "payments_grand_total": format(Decimal(payments_before) + Decimal(payments["total"]), "f"),
    }
    if kind == ClotureKind.FISCAL_YEAR:
        months = list(
            Cloture.objects.filter(
                company=company, kind=ClotureKind.MONTHLY,
                period_start__range=(period.start, period.end),
            ).order_by("period_start")
        )  # fmt: skip
        document["months"] = [
            {"reference": m.reference, "sequence": m.sequence, "fingerprint": m.fingerprint}
            for m in months
        ]
        if months and months[-1].totals["grand_total"] != grand_total:
            raise ComptabiliteError(
                _(
                    "Le grand total de l'exercice (%(a)s) diffère de celui de la clôture "
                    "%(r)s (%(b)s) : vérifiez le registre."
                )
                % {
                    "a": grand_total["incl_vat"],
                    "r": months[-1].reference,
                    "b": months[-1].totals["grand_total"]["incl_vat"],
                }
            )
    # The closure's own event is logged first, so that the head of the event log recorded in
    # the closure includes it: a log truncated from this event on disagrees with the closure.
    # Lock order (pgi.locks): the register head, held since the start, then the log's head;
    # the closure's record will be the one after that head.
    event = event_record(
        kind=EventKind.CLOSURE, company=company, user=user,
        summary=gettext_noop("Clôture %(period)s (%(reference)s)"),
        params={"period": period.label, "reference": period.reference},
        details={"reference": period.reference, "sequence": head_sequence + 1,
                 "grand_total": grand_total},
    )  # fmt: skip
    document["events_head"] = {"sequence": event.sequence, "fingerprint": event.fingerprint}
    record = registre.seal(
        company=company, kind=RecordKind.CLOSURE, reference=period.reference,
        document=document, at=now, closes=period.end,
    )  # fmt: skip
    return Cloture.objects.create(
        company=company, kind=kind, period_start=period.start, period_end=period.end,
        reference=period.reference, closed_at=now, closed_by=user, sequence=record.sequence,
        fingerprint=record.fingerprint, totals=_normalised(document),
    )  # fmt: skip


@transaction.atomic
def premier_exercice_definir(*, company: Company, start: date, end: date) -> PremierExercice:
    """Sets the company's first fiscal year: from a first of a month, up to 24 months, ending
    the day before the month its fiscal years start in; only before any fiscal year closure.

    Lock order (pgi.locks): the register head, as closures take it, so that no closure nor
    document comes in between."""
    lock_registre_head(company)
    month = company.fiscal_year_start_month or 1
    problems = []
    if start.day != 1:
        problems.append(_("Un exercice commence le premier jour d'un mois."))
    if end != month_end(end) or end.month != (month - 2) % 12 + 1:
        problems.append(
            _("Le premier exercice se termine à la fin du mois qui précède le début des "
              "exercices de la société (le 1er %(m)s).") % {"m": MONTHS[month - 1]}
        )  # fmt: skip
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if not 1 <= months <= 24:
        problems.append(_("Le premier exercice dure au plus 24 mois."))
    first_day = registre.first_document_day(company=company)
    if first_day is not None and first_day < start:
        problems.append(
            _("Un document est daté du %(d)s, avant le début du premier exercice.")
            % {"d": f"{first_day:%d/%m/%Y}"}
        )
    if Cloture.objects.filter(company=company, kind=ClotureKind.FISCAL_YEAR).exists():
        problems.append(_("Un exercice est déjà clôturé : le premier exercice est fixé."))
    if problems:
        raise ComptabiliteError(problems)
    first, _created = PremierExercice.objects.update_or_create(
        company=company, defaults={"start": start, "end": end}
    )
    company._premier_exercice = first  # type: ignore[attr-defined]  (selectors' memo)
    return first


@transaction.atomic
def archive_creer(*, company: Company, cloture: Cloture, user: User | None) -> Archive:
    """Builds the signed archive of a closed period, seals the operation and keeps the zip.

    Invariants: the "archive" record, its event and the row of the stored file commit
    together, so an archive is never sealed without the bytes it seals (a file whose row
    fails is deleted); the temporary folder is always removed. Lock order (pgi.locks): the
    register head, taken by the seal, is held while the zip is copied into the media storage
    (a local disk): the cost of committing the record and the file's row together.
    """
    with tempfile.TemporaryDirectory(prefix="encaisse-archive-") as folder:
        path = archive_exporter(company=company, period=cloture.label, output_dir=folder, user=user)
        # The seal holds the head lock until commit: the last record is this archive's.
        record = Enregistrement.objects.filter(company=company).latest("sequence")
        archive = Archive(
            company=company, cloture=cloture, sequence=record.sequence,
            created_at=record.recorded_at, created_by=user,
        )  # fmt: skip
        with path.open("rb") as handle:
            archive.sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
            handle.seek(0)
            archive.file.save(path.name, File(handle), save=False)
    try:
        archive.save()
    except BaseException:
        archive.file.delete(save=False)
        raise
    return archive
