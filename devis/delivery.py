"""After commit: the signed copy rendered once, the emails of a quote sent once.

As for invoices (`facturation.services.delivery`): the PDF is rendered and stored first, in
its own short transaction; then the email is claimed, sent outside any transaction, and
marked sent; a sender that fails gives its claim back, so the retry sends it.
"""

import hashlib

from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from devis.models import Acceptation, EnvoiDevis, Motif
from devis.pdf import render_devis_pdf
from devis.services import devis_pdf_generer
from facturation.services.delivery import customer_sender
from pgi.locks import lock_draft

# The emails that carry the quote's PDF, and the one that carries the signed copy.
WITH_QUOTE = (Motif.QUOTE, Motif.REMINDER)


def acceptation_pdf_generer(*, acceptation_id: int) -> Acceptation:
    """The signed copy: the quote's frozen content with the options ticked and the totals
    accepted, and the "Bon pour accord" block filled in; rendered once, stored with its
    SHA-256."""
    acceptation = Acceptation.objects.select_related("devis__company").get(pk=acceptation_id)
    if acceptation.signed_sha256:
        return acceptation
    devis = acceptation.devis
    content = dict(devis.content)
    content["lines"] = [
        {**line, "chosen": line.get("position") in acceptation.options} for line in content["lines"]
    ]
    for name in ("total_excl_vat", "total_vat", "total_incl_vat"):
        content[name] = format(getattr(devis, name), "f")
    content["vat_breakdown"] = _accepted_breakdown(devis)
    when = timezone.localtime(acceptation.accepted_at).strftime("%d/%m/%Y à %H:%M")
    evidence = {
        "name": acceptation.name, "at": when, "pdf_sha256": acceptation.pdf_sha256,
        "options": acceptation.options, "signature": acceptation.signature,
    }  # fmt: skip
    logo = devis.company.logo.path if devis.company.logo else None
    data = render_devis_pdf(content, logo_path=logo, acceptance=evidence)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        acceptation = lock_draft(Acceptation, acceptation_id)
        if acceptation.signed_sha256:
            return acceptation
        name = f"{devis.company_id}/{devis.reference}-signe.pdf"
        field = acceptation.signed_pdf
        field.storage.delete(field.field.generate_filename(acceptation, name))
        field.save(name, ContentFile(data), save=False)
        acceptation.signed_sha256 = digest
        acceptation.save(update_fields=["signed_pdf", "signed_sha256"])
    return acceptation


def _accepted_breakdown(devis) -> list[dict]:
    from devis.documents import counted
    from pgi.totals import compute_totals

    totals = compute_totals(counted(list(devis.lines.order_by("position", "pk"))))
    return [
        {"rate": format(b.rate, "f"), "base": format(b.base, "f"), "vat": format(b.vat, "f")}
        for b in totals.breakdown
    ]


def _attachment(envoi: EnvoiDevis) -> tuple[str, bytes] | None:
    devis = envoi.devis
    if envoi.motif in WITH_QUOTE:
        devis = devis_pdf_generer(devis_id=devis.pk)
        with devis.pdf.open("rb") as handle:
            return f"{devis.reference}.pdf", handle.read()
    if envoi.motif in (Motif.SIGNED_COPY, Motif.OWNER_ACCEPTED):
        acceptation = acceptation_pdf_generer(acceptation_id=devis.acceptation.pk)
        with acceptation.signed_pdf.open("rb") as handle:
            return f"{devis.reference}-signe.pdf", handle.read()
    return None


def envoi_devis_expedier(*, envoi_id: int) -> None:
    """Sends one recorded email once, holding no lock while it talks to the mail server."""
    envoi = EnvoiDevis.objects.select_related("devis__company").get(pk=envoi_id)
    if envoi.sent_at is not None:
        return  # a retried task never sends twice
    attachment = _attachment(envoi)
    now = timezone.now()
    from devis.tasks import CLAIM_EXPIRY

    claimed = (
        EnvoiDevis.objects.filter(pk=envoi_id, sent_at=None)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_EXPIRY))
        .update(claimed_at=now)
    )
    if not claimed:
        return
    sender, reply_to = customer_sender(envoi.devis.company)
    message = EmailMessage(
        subject=envoi.subject, body=envoi.body, to=envoi.recipients.split(", "),
        from_email=sender, reply_to=reply_to,
    )  # fmt: skip
    if attachment is not None:
        message.attach(attachment[0], attachment[1], "application/pdf")
    try:
        message.send()
    except Exception:
        EnvoiDevis.objects.filter(pk=envoi_id, claimed_at=now).update(claimed_at=None)
        raise
    EnvoiDevis.objects.filter(pk=envoi_id).update(sent_at=timezone.now())
