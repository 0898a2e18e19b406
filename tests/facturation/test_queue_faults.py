"""Work queued after commit is never lost (issue #23).

With Redis unreachable, issuing used to answer 500 after ~19 s although the invoice was
committed and numbered; its PDF task was never queued and its email was lost for good. Now the
action answers at once, and the sweeper (Celery beat) publishes what is still pending once the
broker is back: the PDF rendered once, the email sent once.
"""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from facturation import selectors, tasks
from facturation.models import DocumentPDF, Envoi, Facture, Status
from pgi.celery import app
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    """A real publication to a broker that refuses connections (nothing listens on port 1)."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    app._pool = None  # connections are made anew, to the broker above
    yield
    app.conf.update(**saved)
    app._pool = None


def _later(monkeypatch, minutes: int) -> None:
    """The sweeper runs `minutes` from now: the tasks' grace period is over."""
    moment = timezone.now() + timedelta(minutes=minutes)
    monkeypatch.setattr(tasks.timezone, "now", lambda: moment)


def test_issue_and_send_answer_at_once_with_the_broker_down_and_the_sweeper_finishes(
    client, broker_down, monkeypatch
):
    seller = factories.issuing_company()
    login(client, factories.member(seller, Role.OWNER))
    draft = factories.draft(seller)

    started = time.monotonic()
    response = client.post(reverse("facturation:facture_issue", args=[draft.pk]))
    assert response.status_code == 302 and time.monotonic() - started < 2
    facture = Facture.objects.get(pk=draft.pk)
    assert facture.status == Status.ISSUED and facture.number
    assert not DocumentPDF.objects.filter(facture=facture).exists()

    started = time.monotonic()
    response = client.post(
        reverse("facturation:facture_send", args=[facture.pk]),
        {"recipients": "client@exemple.fr", "subject": "Votre facture", "body": "Bonjour"},
    )
    assert response.status_code == 302 and time.monotonic() - started < 2
    assert Envoi.objects.get(facture=facture).sent_at is None and mail.outbox == []

    # Within the grace period the sweeper leaves the work to the task already (not) queued.
    assert tasks.sweep_pending() == {"pdfs": 0, "emails": 0}
    # The broker is back; later, the sweeper publishes both, and they run once.
    app.conf.update(task_always_eager=True)
    _later(monkeypatch, minutes=5)
    assert tasks.sweep_pending() == {"pdfs": 1, "emails": 1}
    assert DocumentPDF.objects.filter(facture=facture).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments[0][0] == f"{facture.number}.pdf"
    assert Envoi.objects.get(facture=facture).sent_at is not None
    assert tasks.sweep_pending() == {"pdfs": 0, "emails": 0}


def test_an_email_whose_sender_died_is_taken_over_after_its_claim_expires():
    seller = factories.issuing_company()
    facture = factories.issued(seller)
    envoi = Envoi.objects.create(
        company=seller, facture=facture, recipients="client@exemple.fr", subject="Facture",
        body="Bonjour", claimed_at=timezone.now(),
    )  # fmt: skip
    soon = timezone.now() + timedelta(minutes=3)
    assert selectors.envois_en_attente(before=soon, now=soon) == []  # being sent
    later = timezone.now() + selectors.CLAIM_EXPIRY + timedelta(minutes=1)
    assert selectors.envois_en_attente(before=later, now=later) == [envoi.pk]
