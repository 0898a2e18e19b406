"""Tasks take an id, load the row, call a service; they are idempotent.

The services queue these tasks after commit, so each task imports its service when it runs:
a module-level import would make facturation.services and this module import each other.
"""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_facture_pdf(self, facture_id: int) -> None:
    from facturation.models import Facture
    from facturation.services import facture_pdf_generer

    try:
        facture_pdf_generer(facture_id=facture_id)
    except Facture.DoesNotExist:
        # Only an issued document is rendered; a message for another database (a reset
        # development database, say) has nothing to do.
        logger.warning("render_facture_pdf: no issued document %s", facture_id)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
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
