"""A payment's receipt (reçu) as PDF, on request: the kernel's printed layout
(templates/documents/pdf/base.html, pgi.pdf) filled with what the sealed payment says.

Rendered each time it is asked for and never stored: the payment sealed in the register is
the record; the receipt only shows it (with the record's sequence and fingerprint, so that the
paper can be checked against the register)."""

from django.template.loader import render_to_string

from encaissement.models import Paiement
from facturation.documents import buyer_snapshot, seller_snapshot
from pgi.models import Enregistrement, RecordKind
from pgi.pdf import layout_context, render_pdf


def receipt_content(paiement: Paiement) -> dict:
    """What the layout reads: the seller and the customer as they are today, the payment and
    its allocations (the sealed ones and those made later from the credit)."""
    affectations = list(paiement.affectations.select_related("facture").order_by("pk"))
    allocated = sum((a.amount for a in affectations), start=paiement.amount * 0)
    return {
        "type": "recu",
        "number": paiement.number,
        "seller": seller_snapshot(paiement.company),
        "buyer": buyer_snapshot(paiement.client),
        "lines": [],
        "vat_case": "normal",
        "date": paiement.date,
        "amount": paiement.amount,
        "method": paiement.get_method_display(),
        "payer": paiement.payer,
        "reference": paiement.reference,
        "allocations": [
            {"number": a.facture.number, "issue_date": a.facture.issue_date, "amount": a.amount}
            for a in affectations
        ],
        "unallocated": paiement.amount - allocated,
    }


def render_receipt_pdf(paiement: Paiement) -> bytes:
    content = receipt_content(paiement)
    logo = paiement.company.logo.path if paiement.company.logo else None
    record = Enregistrement.objects.filter(
        company_id=paiement.company_id, kind=RecordKind.PAYMENT, reference=paiement.number
    ).first()
    reversal = Paiement.objects.filter(reverses=paiement).first()
    context = {
        **layout_context(content, logo_path=logo),
        "title": "Reçu",
        "record": record,
        # The fingerprint without its scheme ("hmac-sha256-v1:"), shortened for the paper.
        "fingerprint": record.fingerprint.rsplit(":", 1)[-1][:16] if record else "",
        "reversal": reversal,
    }
    html = render_to_string("encaissement/pdf/recu.html", context)
    return render_pdf(html, logo=context["logo"])
