"""Tasks take an id, load the row, call a service; they are idempotent.

Daily (Celery beat): quotes past their validity expire, and the customers of those about to
expire get their reminder. Every few minutes: the emails whose task was lost are sent.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from facturation.tasks import GRACE, TRANSIENT
from pgi.queue import publish

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def send_devis_email(self, envoi_id: int) -> None:
    from devis.delivery import envoi_devis_expedier

    envoi_devis_expedier(envoi_id=envoi_id)


@shared_task
def expire_quotes() -> dict[str, int]:
    """Expires the quotes past their validity date, then sends the reminders due."""
    from devis import selectors, services
    from devis.models import Devis

    today = timezone.localdate()
    expired = reminded = 0
    for devis_id in selectors.devis_a_expirer(today=today):
        devis = services.devis_expirer(devis=Devis(pk=devis_id), today=today)
        expired += devis.status == "expire"
    for devis_id in selectors.devis_a_rappeler(today=today):
        services.devis_rappeler(devis=Devis(pk=devis_id))
        reminded += 1
    return {"expired": expired, "reminded": reminded}


@shared_task
def sweep_devis_emails() -> int:
    """Publishes again the quote emails still unsent after GRACE (their task was lost)."""
    from devis import selectors

    now = timezone.now()
    pending = selectors.envois_en_attente(before=now - GRACE, now=now)
    for envoi_id in pending:
        publish(send_devis_email, envoi_id)
    if pending:
        logger.warning("sweeper: %d quote email(s) were pending", len(pending))
    return len(pending)


CLAIM_EXPIRY = timedelta(minutes=10)
