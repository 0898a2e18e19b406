"""No lock is held across network I/O (issue #23): a slow mail server never stalls issuing.

Sending an invoice used to lock its send row, render and seal the PDF (taking the company's
register head lock) and talk to the SMTP server in the same transaction: every issue of that
company then waited for the mail server. Here a real SMTP server on loopback (aiosmtpd) takes
its time over each message while the same company issues another invoice.
"""

import asyncio
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction

from facturation.models import DocumentPDF, Envoi, Facture
from facturation.services import envoi_expedier, facture_emettre
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
SLOW = 3.0  # seconds the server takes before it accepts a message


class SlowHandler:
    def __init__(self):
        self.receiving = threading.Event()
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.receiving.set()
        await asyncio.sleep(SLOW)
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture
def slow_smtp(settings):
    handler = SlowHandler()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 30},
        }
    }  # fmt: skip
    yield handler
    controller.stop()


def _send(envoi_id: int, errors: list) -> None:
    try:
        envoi_expedier(envoi_id=envoi_id)
    except Exception as exc:  # handed to the test
        errors.append(exc)
    finally:
        connection.close()


def test_issuing_proceeds_while_the_mail_server_is_slow(slow_smtp, monkeypatch):
    company = factories.issuing_company()
    customer = factories.business_client(company)
    # The PDF is not rendered yet (the worker has not got to it): sending renders and seals
    # it, which takes the company's register head lock, the one every issue needs.
    monkeypatch.setattr("pgi.queue.publish", lambda task, *args: False)
    sent = factories.issued(company, customer)
    assert not DocumentPDF.objects.filter(facture=sent).exists()
    envoi = Envoi.objects.create(
        company=company, facture=sent, recipients="client@exemple.fr", subject="Facture",
        body="Bonjour",
    )  # fmt: skip
    draft = factories.draft(company, customer)
    errors: list = []
    sender = threading.Thread(target=_send, args=(envoi.pk, errors))
    sender.start()
    assert slow_smtp.receiving.wait(10), "the email never reached the server"
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:  # fail fast instead of waiting on a held lock
            cursor.execute("SET LOCAL lock_timeout = '1s'")
        issued = facture_emettre(facture=Facture.objects.get(pk=draft.pk), user=None)
    elapsed = time.monotonic() - started
    assert issued.number and elapsed < SLOW
    assert sender.is_alive(), "the email was already sent: the test proved nothing"
    sender.join(20)
    assert errors == []
    assert len(slow_smtp.messages) == 1
    assert Envoi.objects.get(pk=envoi.pk).sent_at is not None
    assert DocumentPDF.objects.filter(facture=sent).count() == 1
    envoi_expedier(envoi_id=envoi.pk)  # a retry after the send: nothing leaves again
    assert len(slow_smtp.messages) == 1


def test_a_failed_send_gives_its_claim_back_for_the_retry(settings):
    company = factories.issuing_company()
    sent = factories.issued(company)
    envoi = Envoi.objects.create(
        company=company, facture=sent, recipients="client@exemple.fr", subject="Facture",
        body="Bonjour",
    )  # fmt: skip
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "use_tls": False, "timeout": 2},
        }
    }  # port 9 (discard): nothing listens, the connection is refused
    with pytest.raises(OSError):
        envoi_expedier(envoi_id=envoi.pk)
    envoi.refresh_from_db()
    assert (envoi.claimed_at, envoi.sent_at) == (None, None)
