"""PDF rendering of issued invoices, credit notes and deposits, from the frozen content only.

The layout, the stylesheet and the rendering are the kernel's (pgi.pdf, where the rendering
times are, and templates/documents/pdf/); this module adds what only an invoice prints: its
title, the nature and date of the operation, and the Factur-X XML embedded in the PDF.
"""

from decimal import Decimal

from django.template.loader import render_to_string

from facturation.facturx import embed_facturx
from pgi.epc import epc_png_data_uri, epc_qr
from pgi.pdf import layout_context, render_pdf

TITLES = {"facture": "Facture", "avoir": "Avoir", "acompte": "Facture d'acompte"}

# Décret 2022-1299: the nature of the operation is printed.
NATURES = {
    "biens": "Livraison de biens",
    "services": "Prestation de services",
    "mixte": "Livraison de biens et prestation de services",
}
OPERATION_DATE_LABELS = {
    "biens": "Date de livraison",
    "services": "Date de la prestation",
    "mixte": "Date de la vente / prestation",
}


def transfer_qr(content: dict) -> str | None:
    """The EPC QR code ("SEPA QR") of the transfer that pays the document, as printed: the
    amount due at issue (its total incl. VAT), the seller's IBAN and the document's number as
    the reference; none for a credit note or without an IBAN. Read from the sealed content
    only, like the rest of the page."""
    payment = content.get("payment") or {}
    if content["type"] == "avoir" or not payment.get("iban") or not content.get("number"):
        return None  # a credit note, no account, or a draft's preview (no number yet)
    qr = epc_qr(
        name=content["seller"]["legal_name"], iban=payment["iban"], bic=payment.get("bic") or "",
        amount=Decimal(content["total_incl_vat"]), text=content["number"],
    )  # fmt: skip
    return epc_png_data_uri(qr) if qr else None


def document_context(content: dict, *, logo_path: str | None = None) -> dict:
    return {
        **layout_context(content, logo_path=logo_path),
        "title": TITLES.get(content["type"], "Facture"),
        "is_credit_note": content["type"] == "avoir",
        "nature": NATURES.get(content["nature"], ""),
        "operation_date_label": OPERATION_DATE_LABELS.get(content["nature"], "Date"),
        "transfer_qr": transfer_qr(content),
    }


# The mark of a draft's preview, on the banner and across every page; « un avoir » is masculine.
PREVIEW_MARKS = {"facture": "APERÇU — non émise", "avoir": "APERÇU — non émis",
                 "acompte": "APERÇU — non émise"}  # fmt: skip


def render_preview_pdf(content: dict, *, logo_path: str | None = None) -> bytes:
    """Renders a draft's content (facturation.documents.preview_content) as the invoice
    would print, marked as a preview across every page; no Factur-X, nothing stored."""
    context = document_context(content, logo_path=logo_path)
    context["preview_mark"] = PREVIEW_MARKS.get(content["type"], PREVIEW_MARKS["facture"])
    # Nothing to pay on a preview: no number yet, and a scanned transfer would have no reference.
    context["transfer_qr"] = None
    html = render_to_string("facturation/pdf/document.html", context)
    return render_pdf(html, logo=context["logo"])


def render_document_pdf(content: dict, *, logo_path: str | None = None) -> bytes:
    """Renders the sealed `content` of a document to PDF bytes (Factur-X when possible)."""
    context = document_context(content, logo_path=logo_path)
    html = render_to_string("facturation/pdf/document.html", context)
    return embed_facturx(render_pdf(html, logo=context["logo"]), content)
