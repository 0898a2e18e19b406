"""After issue: the PDF rendered once and sealed, emails sent exactly once."""

import hashlib
import json
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from facturation.activite import facture_activite
from facturation.exceptions import FactureError
from facturation.models import (
    DocumentPDF,
    Envoi,
    Facture,
    LienClient,
    Status,
)
from facturation.pdf import render_document_pdf
from facturation.selectors import CLAIM_EXPIRY
from pgi import registre
from pgi.locks import lock_draft
from pgi.models import Company, Enregistrement, RecordKind, User
from pgi.queue import publish_after_commit
from pgi.text import clean_strings, clean_text


def facture_pdf_generer(*, facture_id: int) -> DocumentPDF:
    """Renders the PDF of an issued document once, stores it, and seals its SHA-256.

    Outside the numbering lock (PERFORMANCE.md); a second call returns the stored PDF, so a
    retried task never renders nor seals twice.
    """
    existing = DocumentPDF.objects.filter(facture_id=facture_id).first()
    if existing:
        return existing
    facture = Facture.objects.select_related("company").get(pk=facture_id, status=Status.ISSUED)
    record = Enregistrement.objects.get(
        company_id=facture.company_id, kind=facture.kind, reference=facture.number
    )
    # What was sealed, without the control characters older inputs may have let in (pgi.text):
    # the register keeps the exact bytes; the paper and the XML show clean text.
    content = clean_strings(json.loads(bytes(record.payload))["doc"])
    logo = facture.company.logo.path if facture.company.logo else None
    data = render_document_pdf(content, logo_path=logo)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        # One renderer at a time per document (lock order: the document, then the register
        # head), so the check below and the file name are this transaction's alone.
        lock_draft(Facture, facture_id)
        existing = DocumentPDF.objects.filter(facture_id=facture_id).first()
        if existing:
            return existing
        pdf = DocumentPDF(facture=facture, sha256=digest)
        # One name per document (numbers repeat across companies). A file already there was
        # left by an attempt that died before its commit (a killed worker, a lost database
        # connection): no row names it, it is no one's PDF, and it is replaced.
        name = f"{facture.company_id}/{facture.number}.pdf"
        pdf.file.storage.delete(pdf.file.field.generate_filename(pdf, name))
        pdf.file.save(name, ContentFile(data), save=False)
        pdf.save()
        record = registre.seal(
            company=facture.company, kind=RecordKind.PDF, reference=facture.number,
            document={"document": facture.number, "sha256": digest}, at=timezone.now(),
        )  # fmt: skip
        facture_activite(facture, gettext_noop("PDF produit, empreinte scellée (%(r)s)"),
                         {"r": f"#{record.sequence}"}, icon="file-earmark-pdf",
                         at=record.recorded_at)  # fmt: skip
    return pdf


def customer_sender(company: Company) -> tuple[str, list[str]]:
    """The From and Reply-To of an email to a customer, who reads the company, not Encaisse:
    the company's name on DEFAULT_FROM_EMAIL's address (the one the mail server may send
    for), and its contact address to answer to (issue #15)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    name = clean_text(company.display_name, single_line=True)
    return str(Address(display_name=name, addr_spec=address)), [
        company.email
    ] if company.email else []


@transaction.atomic
def facture_envoyer(
    *, facture: Facture, user: User | None, recipients: list[str], subject: str, body: str
) -> Envoi:
    """Records an email of an issued document; the PDF is attached and sent after commit."""

    # facturation.tasks calls these services: the task is imported when it is queued.
    from facturation.tasks import send_facture_email

    if facture.status != Status.ISSUED:
        raise FactureError(_("Seul un document émis peut être envoyé."))
    recipients = [r.strip() for r in recipients if r.strip()]
    if not recipients:
        raise FactureError(_("Indiquez au moins un destinataire."))
    envoi = Envoi.objects.create(
        company_id=facture.company_id, facture=facture, recipients=", ".join(recipients),
        subject=subject, body=body, created_by=user,
    )  # fmt: skip
    facture_activite(facture, gettext_noop("Envoyée à %(to)s"), {"to": envoi.recipients},
                     icon="envelope", user=user, at=envoi.created_at)  # fmt: skip
    publish_after_commit(send_facture_email, envoi.pk)  # the sweeper covers a lost one
    return envoi


def envoi_expedier(*, envoi_id: int) -> None:
    """Sends one recorded email once, holding no lock while it talks to the mail server.

    The PDF is rendered and sealed first, in its own short transaction; then the email is
    claimed (one sender at a time), sent outside any transaction, and marked sent. A sender
    that fails gives its claim back, so the task's retry sends it; one that dies mid-send
    leaves a claim that expires after CLAIM_EXPIRY (the message may then leave twice: a
    mail server cannot take part in our transaction, so "once" means "at least once, and
    never again after `sent_at`").
    """
    envoi = Envoi.objects.select_related("facture__company").get(pk=envoi_id)
    if envoi.sent_at is not None:
        return  # a retried task never sends twice
    pdf = facture_pdf_generer(facture_id=envoi.facture_id)
    now = timezone.now()
    claimed = (
        Envoi.objects.filter(pk=envoi_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRY))
        .update(claimed_at=now)
    )
    if not claimed:
        return  # sent meanwhile, or another sender has it
    sender, reply_to = customer_sender(envoi.facture.company)
    message = EmailMessage(
        subject=envoi.subject, body=envoi.body, to=envoi.recipients.split(", "),
        from_email=sender, reply_to=reply_to,
    )  # fmt: skip
    with pdf.file.open("rb") as handle:
        message.attach(f"{envoi.facture.number}.pdf", handle.read(), "application/pdf")
    try:
        message.send()
    except Exception:
        Envoi.objects.filter(pk=envoi_id, claimed_at=now).update(claimed_at=None)
        raise
    Envoi.objects.filter(pk=envoi_id).update(sent_at=timezone.now())


@transaction.atomic
def lien_client_renouveler(*, facture: Facture, user: User | None) -> LienClient:
    """Replaces the customer link of an issued document: the link's version goes up, and
    every link sent before answers "revoked" (`facturation.public`)."""
    if facture.status != Status.ISSUED:
        raise FactureError(_("Seul un document émis a un lien client."))
    lien, _created = LienClient.objects.get_or_create(
        facture=facture, defaults={"company_id": facture.company_id}
    )
    # One UPDATE: two renewals at once each move the version, none is lost.
    LienClient.objects.filter(pk=lien.pk).update(
        version=F("version") + 1, renewed_at=timezone.now(), renewed_by=user
    )
    lien.refresh_from_db()
    return lien
