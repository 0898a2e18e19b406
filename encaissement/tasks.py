"""Celery: the sweeper of online payments whose webhook never came (the dunning tasks live in
encaissement/relances/tasks.py)."""

import logging

from celery import shared_task
from django.utils import timezone

from pgi.queue import publish

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def verify_online_session(self, session_id: int) -> str | None:
    from encaissement.online import session_verifier
    from encaissement.providers import ProviderError

    try:
        effet = session_verifier(session_id=session_id)
    except ProviderError:
        logger.warning("online session %s: provider unreachable, asked again later", session_id)
        return None
    return str(effet) if effet else None


@shared_task
def sweep_online_sessions() -> int:
    """Every 15 minutes (Celery beat): asks the provider about the checkouts still open or
    processing long after they began, in case their webhook was lost."""
    from encaissement.online import sessions_a_verifier

    pending = sessions_a_verifier(now=timezone.now())
    for session_id in pending:
        publish(verify_online_session, session_id)
    return len(pending)
