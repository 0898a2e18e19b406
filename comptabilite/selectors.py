"""Reads on the register and its closures: periods, period totals, the closure of a date."""

import json
import re
from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from comptabilite.models import Archive, Cloture, ClotureKind, PremierExercice
from encaissement.selectors import paiements_scelles, totaux_encaissements
from pgi import registre
from pgi.models import Company, Enregistrement, Registre
from pgi.money import ZERO

SERIES_RE = re.compile(r"^(?P<prefix>.*?)(?P<counter>\d+)(?P<suffix>\D*)$")


# Periods ---------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


_FIRST = "_premier_exercice"


def premier_exercice(company: Company) -> PremierExercice | None:
    """The company's first fiscal year if declared; read once per company object (a
    request's, a command's), as the periods below ask for it often."""
    if not hasattr(company, _FIRST):
        setattr(company, _FIRST, PremierExercice.objects.filter(company=company).first())
    return getattr(company, _FIRST)


def fiscal_year_start(company: Company, day: date) -> date:
    """The first day of the fiscal year holding `day` (`company.fiscal_year_start_month`;
    the first fiscal year's own dates when it is longer or shorter, `PremierExercice`)."""
    first = premier_exercice(company)
    if first is not None and first.start <= day <= first.end:
        return first.start
    month = company.fiscal_year_start_month or 1
    year = day.year if day.month >= month else day.year - 1
    return date(year, month, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        """`2026-01` for a month; `2026` for a fiscal year ending in 2026 (« exercice 2026 »)."""
        if self.kind == ClotureKind.MONTHLY:
            return f"{self.start:%Y-%m}"
        return f"{self.end:%Y}"

    @property
    def reference(self) -> str:
        letter = "M" if self.kind == ClotureKind.MONTHLY else "E"
        return f"CLOTURE-{letter}-{self.label}"

    @property
    def months(self) -> list[date]:
        months, current = [], self.start
        while current <= self.end:
            months.append(current)
            current = add_months(current, 1)
        return months


def period_of(*, company: Company, kind: str, period_start: date) -> Period:
    """The month, or the fiscal year, starting on `period_start` (which must be a 1st)."""
    if kind == ClotureKind.MONTHLY:
        return Period(kind, period_start, month_end(period_start))
    first = premier_exercice(company)
    if first is not None and period_start == first.start:
        return Period(kind, first.start, first.end)
    return Period(kind, period_start, add_months(period_start, 12) - date.resolution)


def period_from_label(*, company: Company, label: str) -> Period:
    """`YYYY-MM` is a month; `YYYY` is the fiscal year that ends in YYYY."""
    if re.fullmatch(r"\d{4}-\d{2}", label):
        year, month = map(int, label.split("-"))
        if not 1 <= month <= 12:
            raise ValueError(label)
        start = date(year, month, 1)
        return period_of(company=company, kind=ClotureKind.MONTHLY, period_start=start)
    if re.fullmatch(r"\d{4}", label):
        first = premier_exercice(company)
        if first is not None and first.end.year == int(label):
            return Period(ClotureKind.FISCAL_YEAR, first.start, first.end)
        month = company.fiscal_year_start_month or 1
        year = int(label) if month == 1 else int(label) - 1
        start = date(year, month, 1)
        if first is not None and start <= first.end and add_months(start, 12) > first.start:
            raise ValueError(label)  # a year that overlaps the first fiscal year
        return period_of(company=company, kind=ClotureKind.FISCAL_YEAR, period_start=start)
    raise ValueError(label)


# Closures --------------------------------------------------------------------------------


def cloture_lister(*, company: Company) -> QuerySet[Cloture]:
    return Cloture.objects.filter(company=company).select_related("closed_by")


def archive_lister(*, company: Company) -> QuerySet[Archive]:
    return Archive.objects.for_company(company).select_related("cloture", "created_by")


def cloture_lire(*, company: Company, period: Period) -> Cloture | None:
    return Cloture.objects.filter(
        company=company, kind=period.kind, period_start=period.start
    ).first()


def cloture_covering(*, company: Company, day: date) -> Cloture | None:
    """The latest closure ending on or after `day`: closures follow each other, so every
    date up to the end of the last closure belongs to a closed period."""
    closures = Cloture.objects.filter(company=company, period_end__gte=day)
    return closures.order_by("-period_end").only("reference", "period_end").first()


def chain_head(company: Company) -> tuple[int, str]:
    head = Registre.objects.filter(company=company).first()
    return (head.last_sequence, head.last_fingerprint) if head else (0, "")


# Period totals ---------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def amounts(excl_vat: Decimal, vat: Decimal) -> dict[str, str]:
    return {"excl_vat": _money(excl_vat), "vat": _money(vat), "incl_vat": _money(excl_vat + vat)}


def period_document_numbers(*, company: Company, start: date, end: date) -> list[tuple]:
    """(kind, number) of every document issued in the period, from the live rows."""
    return registre.documents_issued(company=company, start=start, end=end)


def period_document_records(*, company: Company, start: date, end: date) -> list[tuple]:
    """(sequence, kind, number, payload bytes) of every document issued in the period, in
    sealing order."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, number in period_document_numbers(company=company, start=start, end=end):
        by_kind[kind].append(number)
    found = []
    for kind, references in by_kind.items():
        records = Enregistrement.objects.filter(
            company=company, kind=kind, reference__in=references
        ).values_list("sequence", "kind", "reference", "payload")
        found += [(seq, k, ref, bytes(payload)) for seq, k, ref, payload in records.iterator()]
    return sorted(found)


def period_sealed_documents(*, company: Company, start: date, end: date) -> list[tuple]:
    """(sequence, kind, number, sealed document) of every document issued in the period.

    Read from the sealed records, not from the live rows: the closure totals what was sealed.
    """
    return [
        (sequence, kind, number, json.loads(payload)["doc"])
        for sequence, kind, number, payload in period_document_records(
            company=company, start=start, end=end
        )
    ]


def period_totals(documents: list[tuple]) -> dict:
    """Counts, series and totals per VAT rate of the sealed documents of a period."""
    # A credit note corrects a sale: it counts negatively in every total
    # (BOI-TVA-DECLA-30-10-30); each app declares the sign of its kinds (pgi.registre).
    signs = registre.document_signs()
    counts = {kind: 0 for kind in signs}
    per_rate: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    series: dict[tuple[str, str], dict] = {}
    for _sequence, kind, number, doc in documents:
        counts[kind] += 1
        sign = signs[kind]
        for row in doc["vat_breakdown"]:
            rate = per_rate[row["rate"]]
            rate[0] += sign * Decimal(row["base"])
            rate[1] += sign * Decimal(row["vat"])
        match = SERIES_RE.match(number)
        name = f"{match['prefix']}#{match['suffix']}" if match else number
        entry = series.setdefault(
            (kind, name), {"kind": kind, "series": name, "first": number, "count": 0}
        )
        entry["last"] = number  # documents come in sealing order: their numbering order
        entry["count"] += 1
    total_excl = sum((base for base, _vat in per_rate.values()), ZERO)
    total_vat = sum((vat for _base, vat in per_rate.values()), ZERO)
    return {
        "documents": counts,
        "series": [series[key] for key in sorted(series)],
        "vat": [
            {"rate": rate, **amounts(*per_rate[rate])}
            for rate in sorted(per_rate, key=Decimal, reverse=True)
        ],
        "totals": amounts(total_excl, total_vat),
    }


def grand_total_before(*, company: Company, kind: str, start: date) -> dict[str, str]:
    """The perpetual grand total of everything dated before `start`.

    The previous closure of the same kind ending the day before carries it; without one
    (the first closure) it is summed from the sealed documents, usually nothing.
    """
    previous = Cloture.objects.filter(
        company=company, kind=kind, period_end=start - date.resolution
    ).first()
    if previous:
        return previous.totals["grand_total"]
    first_day = registre.first_document_day(company=company)
    if first_day is None or first_day >= start:
        return amounts(ZERO, ZERO)
    before = period_totals(
        period_sealed_documents(company=company, start=first_day, end=start - date.resolution)
    )
    return before["totals"]


def add_amounts(a: dict[str, str], b: dict[str, str]) -> dict[str, str]:
    return amounts(
        Decimal(a["excl_vat"]) + Decimal(b["excl_vat"]), Decimal(a["vat"]) + Decimal(b["vat"])
    )


def period_payments(*, company: Company, start: date, end: date) -> dict:
    """Payments of the period, from their sealed records: count, total, total per method."""
    return totaux_encaissements(paiements_scelles(company=company, start=start, end=end))


def payments_grand_total_before(*, company: Company, kind: str, start: date) -> str:
    """The perpetual total of payments dated before `start` (BOI-TVA-DECLA-30-10-30: software
    recording a consumer's payments keeps their perpetual total). The previous closure of the
    same kind carries it (closures from before payments existed count none)."""
    previous = Cloture.objects.filter(
        company=company, kind=kind, period_end=start - date.resolution
    ).first()
    if previous:
        return previous.totals.get("payments_grand_total", "0.00")
    return period_payments(company=company, start=date.min, end=start - date.resolution)["total"]
