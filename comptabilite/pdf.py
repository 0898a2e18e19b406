"""The closure PDF (WeasyPrint), rendered on demand from the sealed closure content only.

Everything printed comes from the document sealed in the register (`Cloture.totals`), so the
PDF says, years later, exactly what was closed; the text is French whatever the language.
"""

from datetime import date, datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from comptabilite.models import Cloture, ClotureKind
from pgi.money import format_eur
from pgi.pdf import LocalFileFetcher

KIND_LABELS = {
    ClotureKind.MONTHLY: "Clôture mensuelle",
    ClotureKind.FISCAL_YEAR: "Clôture d'exercice",
}
DOCUMENT_LABELS = {"facture": "Factures", "acompte": "Factures d'acompte", "avoir": "Avoirs"}
METHOD_LABELS = {
    "virement": "Virement", "cheque": "Chèque", "especes": "Espèces", "carte": "Carte bancaire",
    "prelevement": "Prélèvement",
}  # fmt: skip


def _day(value: str) -> str:
    return f"{date.fromisoformat(value):%d/%m/%Y}"


def _moment(value: str) -> str:
    local = timezone.localtime(datetime.fromisoformat(value))
    return f"{local:%d/%m/%Y à %H:%M:%S} ({local:%Z})"


def _eur(amounts: dict[str, str]) -> dict[str, str]:
    return {name: format_eur(Decimal(value)) for name, value in amounts.items()}


def _rate(value: str) -> str:
    return f"{Decimal(value).normalize():f}".replace(".", ",") + "\u202f%"


def cloture_context(cloture: Cloture) -> dict:
    doc = cloture.totals
    return {
        "doc": doc,
        "reference": cloture.reference,
        "title": KIND_LABELS.get(doc["kind"], "Clôture"),
        "start": _day(doc["period"]["start"]),
        "end": _day(doc["period"]["end"]),
        "closed_at": _moment(doc["closed_at"]),
        "documents": [
            {"label": label, "count": doc["documents"].get(kind, 0)}
            for kind, label in DOCUMENT_LABELS.items()
        ],
        "vat": [{"rate": _rate(row["rate"]), **_eur(row)} for row in doc["vat"]],
        "totals": _eur(doc["totals"]),
        "grand_total_before": _eur(doc["grand_total_before"]),
        "grand_total": _eur(doc["grand_total"]),
        # Closures sealed before payments existed have none.
        "payments": [
            {
                "label": METHOD_LABELS.get(row["method"], row["method"]),
                "amount": format_eur(Decimal(row["amount"])),
            }
            for row in doc.get("payments", {}).get("per_method", [])
        ],  # fmt: skip
        "payments_count": doc.get("payments", {}).get("count", 0),
        "payments_total": format_eur(Decimal(doc.get("payments", {}).get("total", "0"))),
        "payments_before": format_eur(Decimal(doc.get("payments_grand_total_before", "0"))),
        "payments_grand_total": format_eur(Decimal(doc.get("payments_grand_total", "0"))),
        "sequence": cloture.sequence,
        "fingerprint": cloture.fingerprint,
    }


def render_cloture_pdf(cloture: Cloture) -> bytes:
    """The closure as a one- or two-page French table; nothing is fetched from outside."""
    from weasyprint import HTML  # loads Pango: only the processes that render pay for it

    html = render_to_string("comptabilite/pdf/cloture.html", cloture_context(cloture))
    # No file allowed: the page loads nothing (system fonts, no image); an URL would only warn.
    return HTML(string=html, url_fetcher=LocalFileFetcher(set())).write_pdf()
