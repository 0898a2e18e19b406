"""What the inalterable register (`pgi.registre`) needs to know of invoices, credit notes,
deposits and their PDFs, registered at start-up (`FacturationConfig.ready`).

- `verify_registre`: each sealed document is rebuilt from the live rows (the invoice, its
  lines and the frozen parties) and compared, once serialised canonically, with the sealed
  content; each sealed PDF hash is compared with the stored file; every issued document
  must have its record; and no numbering counter is ahead of the numbers issued.
- closures and archives: which documents were issued in a period, with which sign in the
  totals, and their stored PDFs.
"""

import hashlib
import json
from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone

from facturation.documents import document_content
from facturation.models import DocumentPDF, Facture, Kind, Status
from pgi.models import Company, NumberingSeries, RecordKind
from pgi.registre import (
    DocumentSource,
    Finding,
    SealedDocument,
    canonical_json,
    register_coverage_check,
    register_document_check,
    register_document_source,
)

DOCUMENT_KINDS = (RecordKind.INVOICE, RecordKind.CREDIT_NOTE, RecordKind.DEPOSIT)


def _normalised(doc: dict) -> dict:
    return json.loads(canonical_json(doc))


@register_document_check(*DOCUMENT_KINDS)
def check_documents(company: Company, sealed: list[SealedDocument]) -> list[Finding]:
    findings = []
    live = {
        f.number: f
        for f in Facture.objects.filter(company=company, number__in=[s.reference for s in sealed])
        .select_related("origin")
        .prefetch_related("lines")
    }
    for record in sealed:
        facture = live.get(record.reference)
        if facture is None:
            findings.append(Finding(record.sequence, record.reference, "document introuvable"))
            continue
        if facture.status != Status.ISSUED or facture.kind != record.kind:
            findings.append(Finding(record.sequence, record.reference, "statut ou type modifié"))
            continue
        rebuilt = _normalised(document_content(facture, seller=facture.seller, buyer=facture.buyer))
        if rebuilt != _normalised(record.doc):
            changed = sorted(k for k in rebuilt.keys() | record.doc.keys()
                             if rebuilt.get(k) != _normalised(record.doc).get(k))  # fmt: skip
            findings.append(
                Finding(
                    record.sequence,
                    record.reference,
                    "le document diffère de son enregistrement (" + ", ".join(changed) + ")",
                )
            )
        totals = (str(facture.total_excl_vat), str(facture.total_vat), str(facture.total_incl_vat))
        if totals != (
            record.doc["total_excl_vat"], record.doc["total_vat"], record.doc["total_incl_vat"]
        ):  # fmt: skip
            findings.append(Finding(record.sequence, record.reference, "totaux modifiés"))
    return findings


@register_document_check(RecordKind.PDF)
def check_pdfs(company: Company, sealed: list[SealedDocument]) -> list[Finding]:
    findings = []
    pdfs = {
        p.facture.number: p
        for p in DocumentPDF.objects.filter(
            facture__company=company, facture__number__in=[s.reference for s in sealed]
        ).select_related("facture")
    }
    for record in sealed:
        pdf = pdfs.get(record.reference)
        if pdf is None:
            findings.append(Finding(record.sequence, record.reference, "PDF introuvable"))
            continue
        try:
            with pdf.file.open("rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            findings.append(Finding(record.sequence, record.reference, "fichier PDF absent"))
            continue
        if digest != record.doc["sha256"] or pdf.sha256 != record.doc["sha256"]:
            findings.append(
                Finding(record.sequence, record.reference, "le PDF diffère de l'empreinte scellée")
            )
    return findings


@register_coverage_check
def check_every_issued_document_is_sealed(
    company: Company, sealed: set[tuple[str, str]]
) -> list[Finding]:
    issued = Facture.objects.filter(
        company=company, status=Status.ISSUED, kind__in=[k.value for k in Kind]
    ).values_list("kind", "number")
    return [
        Finding(None, number, "document émis absent du registre (enregistrement supprimé ?)")
        for kind, number in issued.iterator()
        if (kind, number) not in sealed
    ]


# Past this, an issued document without its PDF is a finding: the task and the sweeper
# (facturation.tasks.sweep_pending, every 5 minutes) have both had their chances.
PDF_GRACE = timedelta(minutes=30)
PDF_MISSING = "PDF absent depuis plus de 30 minutes : rendu perdu (voir le balayeur)"


@register_coverage_check
def check_every_issued_document_has_its_pdf(
    company: Company, sealed: set[tuple[str, str]]
) -> list[Finding]:
    missing = Facture.objects.filter(
        company=company, status=Status.ISSUED, pdf__isnull=True,
        issued_at__lt=timezone.now() - PDF_GRACE,
    ).order_by("issued_at")  # fmt: skip
    return [
        Finding(None, number, PDF_MISSING) for number in missing.values_list("number", flat=True)
    ]


COUNTER_AHEAD = (
    "compteur de numérotation en avance : {taken} numéros attribués pour {issued} documents "
    "émis, le prochain document laisserait un trou (n° {first} à {last} jamais émis)"
)
COUNTERS_AHEAD = (
    "compteurs de numérotation en avance : {taken} numéros attribués pour {issued} documents "
    "émis, le prochain document laisserait un trou"
)


def _counter_reference(series: str, period: str) -> str:
    return f"numérotation {series} {period}".strip()


@register_coverage_check
def check_no_counter_is_ahead(company: Company, sealed: set[tuple[str, str]]) -> list[Finding]:
    """A counter ahead of the last number issued is a future gap (CGI art. 242 nonies A).

    Every number a counter gave was committed with the document it numbered (a rollback
    gives it back), so a counter (series, period) has given exactly as many numbers as there
    are issued documents of that kind numbered in it. A document's counter is the one of its
    issue date's year or month, or the single counter of a format without {annee}: after a
    format change the period a document used is not stored, so each counter is compared with
    the documents that can have used it, then the whole series with all its documents.
    A series continued from another tool counts from the number it was continued at.
    """
    counters = list(
        NumberingSeries.objects.filter(company=company, series__in=[k.value for k in Kind])
        .order_by("series", "period")
        .values_list("series", "period", "first_number", "next_number")
    )
    if not counters:
        return []
    issued: dict[tuple[str, str], int] = {}
    months = (
        Facture.objects.filter(company=company, status=Status.ISSUED)
        .values_list("kind", "issue_date__year", "issue_date__month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for kind, year, month, n in months:
        for period in ("", f"{year:04d}", f"{year:04d}{month:02d}"):
            issued[kind, period] = issued.get((kind, period), 0) + n
    findings = []
    ahead_series = set()
    taken_per_series: dict[str, int] = {}
    for series, period, first_number, next_number in counters:
        # A series continued from another tool starts at its `first_number` (issue #15).
        taken = next_number - first_number
        taken_per_series[series] = taken_per_series.get(series, 0) + taken
        possible = issued.get((series, period), 0)
        if taken > possible:
            ahead_series.add(series)
            problem = COUNTER_AHEAD.format(
                taken=taken, issued=possible, first=first_number + possible, last=next_number - 1
            )
            findings.append(Finding(None, _counter_reference(series, period), problem))
    for series, taken in taken_per_series.items():
        total = issued.get((series, ""), 0)
        if series not in ahead_series and taken > total:
            problem = COUNTERS_AHEAD.format(taken=taken, issued=total)
            findings.append(Finding(None, _counter_reference(series, ""), problem))
    return findings


def _issued(company: Company, start: date, end: date) -> list[tuple[str, str]]:
    return list(
        Facture.objects.filter(
            company=company, status=Status.ISSUED, issue_date__range=(start, end)
        ).values_list("kind", "number")
    )


def _first_day(company: Company) -> date | None:
    issued = Facture.objects.filter(company=company, status=Status.ISSUED)
    return issued.order_by("issue_date").values_list("issue_date", flat=True).first()


def _pdfs(company: Company, numbers: list[str]) -> dict[str, DocumentPDF]:
    return {
        pdf.facture.number: pdf
        for pdf in DocumentPDF.objects.filter(
            facture__company=company, facture__number__in=numbers
        ).select_related("facture")
    }


register_document_source(
    DocumentSource(
        # A credit note corrects a sale: it counts negatively in every total.
        signs={Kind.INVOICE.value: 1, Kind.DEPOSIT.value: 1, Kind.CREDIT_NOTE.value: -1},
        issued=_issued,
        first_day=_first_day,
        files=_pdfs,
    )
)
