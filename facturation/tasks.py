"""Tasks take an id, load the row, call a service; they are idempotent."""

from celery import shared_task


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_facture_pdf(self, facture_id: int) -> None:
    from facturation.services import facture_pdf_generer

    facture_pdf_generer(facture_id=facture_id)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_facture_email(self, envoi_id: int) -> None:
    from facturation.services import envoi_expedier

    envoi_expedier(envoi_id=envoi_id)
