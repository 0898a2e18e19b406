"""The frozen content of a sent quote: parties, lines (options included), totals, terms.

Built from the rows when the quote is sent, stored on the quote (`Devis.content`) and printed
by its PDF; the parties' snapshots, the line snapshot and the VAT case are the invoice's own
(`facturation.documents`, `pgi.lignes`, `pgi.mentions`), so a quote and the invoice made from
it describe the seller, the customer and a line the same way.
"""

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from devis.models import Devis, LigneDevis, ParametresDevis
from facturation.documents import buyer_snapshot, seller_snapshot
from pgi.lignes import line_snapshot
from pgi.mentions import operation_nature, vat_case
from pgi.models import VatRegime
from pgi.text import clean_strings
from pgi.totals import compute_totals


def _d(value) -> str | None:
    return None if value is None else format(Decimal(value), "f")


def counted(lines: list[LigneDevis]) -> list[LigneDevis]:
    """The lines in the quote's total: firm lines and the options the customer ticked."""
    return [line for line in lines if line.counts]


def devis_content(
    devis: Devis, *, lines: list[LigneDevis], parametres: ParametresDevis
) -> dict[str, Any]:
    """What a quote prints and freezes: the invoice's layout keys (`pgi.pdf.layout_context`)
    and the quote's own terms under "quote"."""
    seller, buyer = seller_snapshot(devis.company), buyer_snapshot(devis.client)
    totals = compute_totals(counted(lines))
    options = [line for line in lines if line.optional]
    option_totals = compute_totals(options)
    insurance = None
    if parametres.insurance_required:
        insurance = {"insurer": parametres.insurer, "area": parametres.insurance_area}
    return {
        "type": "devis",
        "number": devis.reference,
        "issue_date": devis.issue_date,
        "valid_until": devis.valid_until,
        "currency": "EUR",
        "subject": devis.subject,
        "notes": devis.notes,
        "seller": seller,
        "buyer": buyer,
        "vat_case": vat_case(seller, buyer),
        "nature": operation_nature(lines),
        "debits_option": seller["vat_regime"] == VatRegime.DEBITS,
        "lines": [
            {
                "position": line.position,
                **line_snapshot(line, lt),
                "category": line.category,
                "optional": line.optional,
                "chosen": line.chosen,
            }
            for line, lt in zip(lines, compute_totals(lines).lines, strict=True)
        ],
        "vat_breakdown": [
            {"rate": _d(b.rate.quantize(Decimal("0.01"))), "base": _d(b.base), "vat": _d(b.vat)}
            for b in totals.breakdown
        ],
        "total_excl_vat": _d(totals.total_excl_vat),
        "total_vat": _d(totals.total_vat),
        "total_incl_vat": _d(totals.total_incl_vat),
        "options_total_excl_vat": _d(option_totals.total_excl_vat) if options else None,
        "options_total_incl_vat": _d(option_totals.total_incl_vat) if options else None,
        "payment": {},  # no late-payment mentions on a quote: it is not a claim
        "quote": {
            "version": devis.version,
            "validity_days": devis.validity_days,
            "start_date": devis.start_date,
            "duration": devis.duration,
            "deposit_percent": _d(devis.deposit_percent),
            "deposit_amount": _d(devis.deposit_amount),
            "payment_terms": devis.payment_terms,
            "execution_terms": devis.execution_terms,
            "after_sales_terms": devis.after_sales_terms,
            "price_revision_terms": devis.price_revision_terms,
            "is_paid_quote": devis.is_paid_quote,
            "quote_price": _d(devis.quote_price),
            "cgv": devis.cgv,
            "insurance": insurance,
        },
    }


def preview_content(devis: Devis, *, today: date, parametres: ParametresDevis) -> dict[str, Any]:
    """What a draft would print if sent `today`, without a number; the draft is untouched."""
    from datetime import timedelta

    draft = copy.copy(devis)
    draft.issue_date = today
    draft.valid_until = devis.valid_until or today + timedelta(days=devis.validity_days)
    lines = list(devis.lines.order_by("position", "pk"))
    return clean_strings(devis_content(draft, lines=lines, parametres=parametres))
