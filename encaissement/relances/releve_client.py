"""A customer's statement (relevé de compte), on request: every open invoice with what is
still owed and how late it is, every payment not allocated yet, and the balance. The kernel's
printed layout (templates/documents/pdf/base.html) filled from facturation's one "reste dû"
and this app's payments; rendered each time, never stored. Sent by email on request through
`EnvoiReleve`, recorded first and sent once after commit (relances.tasks)."""

from datetime import date

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Client
from encaissement.models import EnvoiReleve, EtatRelance, Paiement
from encaissement.relances.services import RelanceError, _recipients
from encaissement.selectors import with_available
from facturation.documents import buyer_snapshot, seller_snapshot
from facturation.models import Facture, Kind, Status
from facturation.selectors import with_amount_due
from facturation.services.delivery import customer_sender
from pgi.envoi import envoyer_reclame
from pgi.models import User
from pgi.money import ZERO
from pgi.pdf import layout_context, render_pdf
from pgi.queue import publish_after_commit


def releve_content(client: Client, *, today: date) -> dict:
    """What the statement shows of `client` on `today`."""
    factures = (
        with_amount_due(Facture.objects.filter(client=client, status=Status.ISSUED))
        .exclude(kind=Kind.CREDIT_NOTE)
        .filter(amount_due__gt=0)
        .order_by("due_date", "pk")
    )
    open_invoices = [
        {
            "number": f.number, "issue_date": f.issue_date, "due_date": f.due_date,
            "total": f.total_incl_vat, "amount_due": f.amount_due,
            "days_late": max((today - f.due_date).days, 0) if f.due_date else 0,
        }
        for f in factures
    ]  # fmt: skip
    payments = [
        {"number": p.number, "date": p.date, "method": p.get_method_display(),
         "amount": p.amount, "available": p.available}
        for p in with_available(
            Paiement.objects.filter(client=client, reverses__isnull=True, reversal__isnull=True)
        ).filter(available__gt=0).order_by("date", "pk")
    ]  # fmt: skip
    owed = sum((i["amount_due"] for i in open_invoices), ZERO)
    credit = sum((p["available"] for p in payments), ZERO)
    return {
        "type": "releve",
        "number": "",
        "seller": seller_snapshot(client.company),
        "buyer": buyer_snapshot(client),
        "lines": [],
        "vat_case": "normal",
        "date": today,
        "invoices": open_invoices,
        "payments": payments,
        "owed": owed,
        "overdue": sum((i["amount_due"] for i in open_invoices if i["days_late"]), ZERO),
        "credit": credit,
        "balance": owed - credit,
        "in_favour": credit > owed,
        "balance_shown": abs(owed - credit),
    }


def render_releve_pdf(client: Client, *, today: date) -> bytes:
    content = releve_content(client, today=today)
    logo = client.company.logo.path if client.company.logo else None
    context = {**layout_context(content, logo_path=logo), "title": "Relevé de compte"}
    html = render_to_string("encaissement/pdf/releve_compte.html", context)
    return render_pdf(html, logo=context["logo"])


def filename(client: Client, today: date) -> str:
    return f"releve-{client.pk}-{today.isoformat()}.pdf"


@transaction.atomic
def releve_envoyer(*, client: Client, user: User | None, to: str = "") -> EnvoiReleve:
    """Records the statement's email to the customer; it leaves after commit, once."""
    from encaissement.relances.tasks import send_releve_client

    to = to.strip() or _recipients(client)
    if not to:
        raise RelanceError(_("Ce client n'a pas d'adresse e-mail : indiquez-en une."))
    envoi = EnvoiReleve.objects.create(
        company_id=client.company_id, client=client, recipients=to, created_by=user
    )
    publish_after_commit(send_releve_client, envoi.pk)
    return envoi


def releve_expedier(*, envoi_id: int) -> str | None:
    """Sends one recorded statement at most once (claimed in its own commit, sent outside
    any transaction, then recorded), with the PDF as of the day it leaves."""
    now = timezone.now()
    rows = EnvoiReleve.objects.filter(pk=envoi_id)
    if not rows.filter(state=EtatRelance.PREVUE).update(state=EtatRelance.ENVOI, claimed_at=now):
        return None
    envoi = EnvoiReleve.objects.select_related("client__company").get(pk=envoi_id)
    client, company = envoi.client, envoi.client.company
    today = timezone.localdate()
    content = releve_content(client, today=today)
    sender, reply_to = customer_sender(company)
    values = {"client": client.name, "societe": company.display_name,
              "solde": content["balance"], "date": today}  # fmt: skip
    message = EmailMultiAlternatives(
        subject=_("Votre relevé de compte chez %(societe)s") % values,
        body=render_to_string("encaissement/email/releve_compte.txt", values),
        from_email=sender, to=envoi.recipients.split(", "), reply_to=reply_to,
    )  # fmt: skip
    message.attach(
        filename(client, today), render_releve_pdf(client, today=today), "application/pdf"
    )
    done = envoyer_reclame(
        message, rows, claimed_at=now,
        sent={"state": EtatRelance.ENVOYEE, "sent_at": timezone.now(),
              "balance": content["balance"]},
        refused={"state": EtatRelance.REFUSEE},
        released={"state": EtatRelance.PREVUE, "claimed_at": None},
    )  # fmt: skip
    if not done:
        return EtatRelance.REFUSEE
    return EtatRelance.ENVOYEE
