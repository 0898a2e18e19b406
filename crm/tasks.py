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
