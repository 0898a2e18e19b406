"""A worker killed after the SMTP send and before it records the send never sends twice
(issue #17): the reminder's row is committed, then claimed in its own commit, before the
email leaves; the next runs find it claimed and leave it alone."""

import os
import signal
import socket
import subprocess
import sys
from datetime import date, timedelta
from io import StringIO
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from encaissement.models import EtatRelance, Relance
from encaissement.relances.services import relances_interrompues
from facturation.services import facture_emettre
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


class KillingServer:
    """Takes the message, then kills the worker that sent it before it hears "250"."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.victim: subprocess.Popen | None = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        if self.victim is not None:
            os.kill(self.victim.pid, signal.SIGKILL)
            self.victim = None
        return "250 Message accepted for delivery"


def test_a_worker_killed_after_the_send_does_not_send_again(settings):
    company = factories.issuing_company("Tuée SARL", email="compta@tuee.example")
    customer = factories.business_client(company, email="client@exemple.fr")
    draft = factories.draft(company, customer)
    facture_emettre(facture=draft, user=None, today=date(2026, 1, 5))
    server = KillingServer()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        db = connection.settings_dict
        env = {
            **os.environ,
            # The application's role, as the suite runs (tests/db_owner.py).
            "DATABASE_URL": f"postgres://{quote(db['USER'])}:{quote(db.get('PASSWORD') or '')}"
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_USE_TLS": "0",
            "DJANGO_SETTINGS_MODULE": "pgi.settings",
        }  # fmt: skip
        command = [sys.executable, "manage.py", "run_dunning", "--company", company.siren,
                   "--date", "2026-02-11"]  # fmt: skip
        worker = subprocess.Popen(
            command, cwd=django_settings.BASE_DIR, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        server.victim = worker
        worker.wait(timeout=300)
        assert worker.returncode == -signal.SIGKILL, worker.stderr.read() if worker.stderr else ""
        assert len(server.messages) == 1
        relance = Relance.objects.get()
        assert relance.state == EtatRelance.ENVOI and relance.sent_at is None

        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 10},
            }
        }  # fmt: skip
        for day in ("2026-02-11", "2026-02-12"):
            out = StringIO()
            call_command("run_dunning", "--company", company.siren, "--date", day, stdout=out)
            assert out.getvalue().strip().endswith("relances envoyées : 0")
        # Later the sweeper shows it for checking, and still nothing leaves again.
        assert relances_interrompues(now=timezone.now() + timedelta(hours=1)) == 1
        call_command("run_dunning", "--company", company.siren, "--date", "2026-02-11",
                     stdout=StringIO())  # fmt: skip
        assert Relance.objects.get().state == EtatRelance.INCERTAINE
        assert len(server.messages) == 1
    finally:
        controller.stop()
