"""Tasks take an id, load the row, call a service; they are idempotent.

The services queue these tasks after commit, so each task imports its service when it runs:
a module-level import would make facturation.services and this module import each other.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from pgi.queue import publish

logger = logging.getLogger(__name__)
# Transient: the mail server or the network (OSError, smtplib's errors included), the database
# restarting (OperationalError, InterfaceError). Retried with backoff; the sweeper comes after.
TRANSIENT = (OSError, OperationalError, InterfaceError)
# The messenger's head start: the sweeper leaves younger work to the task already queued.
GRACE = timedelta(minutes=2)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def render_facture_pdf(self, facture_id: int) -> None:
    from facturation.models import Facture
    from facturation.services import facture_pdf_generer

    try:
        facture_pdf_generer(facture_id=facture_id)
    except Facture.DoesNotExist:
        # Only an issued document is rendered; a message for another database (a reset
        # development database, say) has nothing to do.
        logger.warning("render_facture_pdf: no issued document %s", facture_id)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def send_facture_email(self, envoi_id: int) -> None:
    from facturation.services import envoi_expedier

    envoi_expedier(envoi_id=envoi_id)


@shared_task
def generate_recurring_invoices() -> int:
    """Daily (Celery beat): one task per due template, so one failure never blocks the rest."""
    from facturation.recurrence import recurrences_dues

    count = 0
    for recurrence_id in recurrences_dues():
        generate_recurring_invoice.delay(recurrence_id)
        count += 1
    return count


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def generate_recurring_invoice(self, recurrence_id: int) -> None:
    from facturation.recurrence import recurrence_generer

    # Catch up on missed periods (the worker was down): each call generates one due date.
    while recurrence_generer(recurrence_id=recurrence_id) is not None:
        pass


@shared_task
def sweep_pending() -> dict[str, int]:
    """Every few minutes (Celery beat): publishes again the PDFs and emails still pending
    after GRACE, whose task was lost (broker down at commit, worker killed, database
    restarted). The tasks are idempotent: work already done is not done twice."""
    from facturation import selectors

    now = timezone.now()
    pdfs = selectors.pdfs_en_attente(before=now - GRACE)
    envois = selectors.envois_en_attente(before=now - GRACE, now=now)
    for facture_id in pdfs:
        publish(render_facture_pdf, facture_id)
    for envoi_id in envois:
        publish(send_facture_email, envoi_id)
    if pdfs or envois:
        logger.warning("sweeper: %d PDF(s) and %d email(s) were pending", len(pdfs), len(envois))
    return {"pdfs": len(pdfs), "emails": len(envois)}
