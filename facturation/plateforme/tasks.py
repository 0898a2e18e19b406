"""Tasks of the e-invoicing platform: they take an id, call a service, retry; the beat
sweeper publishes again what the messenger lost and polls what the webhooks may have lost."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from facturation.plateforme.client import PlateformeError
from pgi.queue import publish

logger = logging.getLogger(__name__)
TRANSIENT = (PlateformeError, OSError, OperationalError, InterfaceError)
GRACE = timedelta(minutes=2)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def submit_flux(self, flux_id: int) -> None:
    from facturation.plateforme.services import FlowRefused, flux_soumettre

    try:
        flux_soumettre(flux_id=flux_id)
    except FlowRefused:  # recorded on the flow for the owner
        pass


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def import_received(self, connexion_id: int, flow_id: str) -> None:
    from facturation.plateforme.models import ConnexionPlateforme
    from facturation.plateforme.reception import recue_importer

    connexion = ConnexionPlateforme.objects.filter(pk=connexion_id, active=True).first()
    if connexion is not None:
        recue_importer(connexion=connexion, flow_id=flow_id)


@shared_task
def sweep_plateforme() -> dict[str, int]:
    """Every few minutes (Celery beat): publishes the flows still pending after GRACE, then
    polls the platforms (received invoices, statuses of recent flows)."""
    from facturation.plateforme import selectors
    from facturation.plateforme.reception import recues_interroger
    from facturation.plateforme.services import flux_interroger

    now = timezone.now()
    pending = selectors.flux_en_attente(before=now - GRACE)
    for flux_id in pending:
        publish(submit_flux, flux_id)
    received = statuses = 0
    for connexion in selectors.connexions_actives():
        try:
            received += recues_interroger(connexion=connexion)
        except PlateformeError:
            logger.warning("platform of company %s not reachable", connexion.company_id)
    for flux in selectors.flux_a_interroger(since=now - timedelta(days=60)):
        try:
            statuses += flux_interroger(flux=flux)
        except PlateformeError:
            logger.warning("flow %s: platform not reachable", flux.pk)
    return {"pending": len(pending), "received": received, "statuses": statuses}


@shared_task
def transmit_ereporting() -> int:
    """Daily (Celery beat): each connected company's last complete period is transmitted once
    (the flow's key is the period: a second run queues nothing)."""
    from facturation.plateforme import selectors
    from facturation.plateforme.ereporting import ereporting_transmettre, periode_precedente

    today = timezone.localdate()
    count = 0
    for connexion in selectors.connexions_actives():
        periode = periode_precedente(connexion.company, today)
        count += len(ereporting_transmettre(company=connexion.company, periode=periode))
    return count
