"""Celery: the daily dunning (beat), one task per company, and the sweeper of reminders."""

import logging
from datetime import date, timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from pgi.queue import publish

logger = logging.getLogger(__name__)
TRANSIENT = (OSError, OperationalError, InterfaceError)
GRACE = timedelta(minutes=2)


@shared_task
def run_dunning() -> int:
    """Daily (Celery beat): one pass over every company's open invoices finds those with a
    reminder due today (bench/dunning.py), then one task per such company records and sends
    them, so one failure never blocks the others."""
    from encaissement.relances.planning import relances_a_faire

    today = timezone.localdate()
    plan = relances_a_faire(today=today)
    companies = sorted({action.facture.company_id for action in plan.actions})
    for company_id in companies:
        publish(run_company_dunning, company_id, today.isoformat())
    return len(companies)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def run_company_dunning(self, company_id: int, day: str) -> int:
    from encaissement.relances.services import relances_executer
    from pgi.models import Company

    company = Company.objects.get(pk=company_id)
    return relances_executer(company=company, today=date.fromisoformat(day)).sent


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def send_relance(self, relance_id: int) -> None:
    from encaissement.relances.services import relance_expedier

    relance_expedier(relance_id=relance_id)


@shared_task
def sweep_relances() -> dict[str, int]:
    """Every few minutes: publishes again the reminders recorded and not sent (their send
    failed on a transient error), and marks "à vérifier" those whose sender died mid-send."""
    from encaissement.models import EnvoiReleve, EtatRelance, Relance
    from encaissement.relances.services import relances_interrompues
    from facturation.selectors import CLAIM_EXPIRY

    now = timezone.now()
    interrupted = relances_interrompues(now=now)
    pending = list(
        Relance.objects.filter(state=EtatRelance.PREVUE, created_at__lt=now - GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for relance_id in pending:
        publish(send_relance, relance_id)
    statements = list(
        EnvoiReleve.objects.filter(state=EtatRelance.PREVUE, created_at__lt=now - GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for envoi_id in statements:
        publish(send_releve_client, envoi_id)
    EnvoiReleve.objects.filter(state=EtatRelance.ENVOI, claimed_at__lt=now - CLAIM_EXPIRY).update(
        state=EtatRelance.INCERTAINE
    )
    if pending or interrupted:
        logger.warning("dunning sweeper: %d pending, %d interrupted", len(pending), interrupted)
    return {"pending": len(pending), "interrupted": interrupted}


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def send_releve_client(self, envoi_id: int) -> None:
    from encaissement.relances.releve_client import releve_expedier

    releve_expedier(envoi_id=envoi_id)
