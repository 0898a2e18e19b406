"""Every dashboard table as rows (a header, then values), and those rows as CSV or XLSX.

The tables are built from the selectors the pages show, so an export says what the screen
says. CSV as French Excel reads it (semicolon, UTF-8 with BOM, decimal comma, dd/mm/yyyy);
XLSX with real numbers and dates (openpyxl, write-only)."""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptabilite.tableaux import selectors
from comptabilite.tableaux.selectors import Periode
from pgi.models import Company

Rows = list[list]


@dataclass(frozen=True)
class Export:
    slug: str
    title: object  # lazy text: the sheet's name and the file's
    rows: Callable[[Company, date, Periode], Rows]


def _aging(company: Company, today: date, periode: Periode) -> Rows:
    aging = selectors.balance_agee(company=company, today=today)
    header = [_("Client"), *[str(b.label) for b in aging["buckets"]], _("Total")]
    rows = [[line.client, *line.buckets.values(), line.total] for line in aging["lines"]]
    return [header, *rows, [_("Total"), *aging["totals"].values(), aging["total"]]]


def _forecast(company: Company, today: date, periode: Periode) -> Rows:
    forecast = selectors.previsions(company=company, today=today)
    rows = [[w["start"], w["count"], w["amount"]] for w in forecast["weeks"]]
    return [[_("Semaine du"), _("Factures"), _("Encaissement attendu TTC")], *rows]


def _months(company: Company, today: date, periode: Periode) -> Rows:
    months = selectors.ventes_par_mois(company=company, periode=periode)
    header = [_("Mois"), _("Chiffre d'affaires HT"), _("Même mois, année précédente")]
    return [header, *[[m["month"], m["amount"], m["previous"]] for m in months]]


def _top(company: Company, today: date, periode: Periode) -> Rows:
    top = selectors.meilleurs_clients(company=company, periode=periode, limit=10_000)
    header = [_("Client"), _("Chiffre d'affaires HT"), _("Part"), _("Part cumulée")]
    rows = [
        [line["client"], line["amount"], round(line["share"], 4), round(line["cumulated"], 4)]
        for line in top["lines"]
    ]
    return [header, *rows]


def _dunning(company: Company, today: date, periode: Periode) -> Rows:
    rows = selectors.relances_tableau(company=company, periode=periode)["efficacite"]
    header = [_("Niveau"), _("Relances"), _("Encaissé sous 15 jours")]
    return [header, *[[r["level"], r["count"], r["paid"]] for r in rows]]


def _vat(company: Company, today: date, periode: Periode) -> Rows:
    rows = selectors.relances_tableau(company=company, periode=periode)["tva"] or []
    header = [_("Taux"), _("Base HT"), _("TVA due")]
    return [header, *[[r["rate"], r["base"], r["vat"]] for r in rows]]


EXPORTS = {
    e.slug: e
    for e in (
        Export("balance-agee", gettext_lazy("Balance âgée"), _aging),
        Export("previsions", gettext_lazy("Prévisions d'encaissement"), _forecast),
        Export("ventes-par-mois", gettext_lazy("Ventes par mois"), _months),
        Export("meilleurs-clients", gettext_lazy("Meilleurs clients"), _top),
        Export("relances", gettext_lazy("Efficacité des relances"), _dunning),
        Export("tva-due", gettext_lazy("TVA due"), _vat),
    )
}


def portefeuille_rows(rows: list[dict]) -> Rows:
    """The portfolio page's table (`selectors.portefeuille`), one company a line."""
    header = [_("Société"), _("Rôle"), _("En retard TTC"), _("Factures en retard"),
              _("TVA due (mois)"), _("Dernière clôture"), _("Intégrité")]  # fmt: skip
    lines = []
    for row in rows:
        integrity = row["integrity"]
        lines.append([
            row["company"].display_name, row["membership"].get_role_display(), row["overdue"],
            row["overdue_count"],
            "" if row["tva"] is None else sum((r["vat"] for r in row["tva"]), Decimal("0")),
            row["closure"].reference if row["closure"] else "",
            "" if not integrity else _("Intègre") if integrity.get("ok") else _("Anomalies"),
        ])  # fmt: skip
    return [header, *lines]


def _csv_cell(value) -> object:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return value


def as_csv(rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: Iterable[list], title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_response(export: Export, fmt: str, *, company: Company, today: date,
                    periode: Periode) -> HttpResponse:  # fmt: skip
    rows = export.rows(company, today, periode)
    return rows_response(rows, fmt, title=str(export.title), name=f"{export.slug}-{today:%Y-%m-%d}")


def rows_response(rows: Rows, fmt: str, *, title: str, name: str) -> HttpResponse:
    body = as_csv(rows) if fmt == "csv" else as_xlsx(rows, title)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
