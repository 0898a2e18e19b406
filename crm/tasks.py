"""Celery: the daily email of the tasks due today (beat), one email per member."""

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task
def remind_tasks_due_today() -> int:
    """Daily (Celery beat): emails each member their open tasks due today, once; a failed
    email is logged and its tasks are tried again at the next run of the day."""
    from crm.pipeline import rappel_taches_envoyer, rappels_du_jour

    today = timezone.localdate()
    sent = 0
    for company_id, user_id in rappels_du_jour(today=today):
        try:
            sent += bool(rappel_taches_envoyer(company_id=company_id, user_id=user_id, today=today))
        except OSError:
            logger.exception("task reminder to user %s failed", user_id)
    return sent


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_portal_link(self, acces_id: int) -> None:
    from crm.portail import portail_expedier

    portail_expedier(acces_id=acces_id)


@shared_task
def sweep_portal_links() -> int:
    """Every few minutes: publishes again the portal links recorded and not sent."""
    from datetime import timedelta

    from crm.models import AccesPortail
    from pgi.queue import publish

    now = timezone.now()
    pending = list(
        AccesPortail.objects.filter(
            sent_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now,
            created_at__lt=now - timedelta(minutes=2),
        ).values_list("pk", flat=True)[:500]
    )  # fmt: skip
    for pk in pending:
        publish(send_portal_link, pk)
    return len(pending)
