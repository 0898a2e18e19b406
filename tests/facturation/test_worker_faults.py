"""A worker killed and a database connection lost in the middle of a batch (issue 23).

Observed before: a worker killed during a batch left 5 invoices without their PDF, a 4-second
PostgreSQL restart left 55 (the task retried only on OSError). Here a batch of invoices is
issued with a real Redis broker and a real Celery worker process (tests/fault_worker.py),
running as the application's database role; the worker is stopped at a chosen point of one
rendering, then SIGKILLed, or its database backend terminated (`pg_terminate_backend`, as a
restart does to every connection; the shared server itself is never restarted). Afterwards,
with the retries and the beat sweeper, every invoice has its PDF, rendered, stored and sealed
exactly once.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from facturation import tasks
from facturation.models import DocumentPDF, Facture
from pgi.celery import app
from pgi.models import Enregistrement, RecordKind
from pgi.registre import verify_chain
from tests import factories

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BATCH = 6
PAUSED_ON = 3  # the third rendering of the batch is interrupted
DEADLINE = 120  # seconds: a guard against a hung test, not a measure of speed


@pytest.fixture
def broker():
    """The real Redis broker, in a key space of this test only (no other worker takes its
    messages, and it is emptied afterwards); tasks are published, not run in this process."""
    prefix = f"encaisse-fault-{uuid.uuid4().hex[:12]}:"
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_transport_options")}
    app.conf.update(
        task_always_eager=False,
        broker_transport_options={**saved["broker_transport_options"], "global_keyprefix": prefix},
    )
    app._pool = None
    app.amqp._producer_pool = None
    yield prefix
    app.conf.update(**saved)
    app._pool = None
    app.amqp._producer_pool = None
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


class Worker:
    """`python -m tests.fault_worker` in a process group of its own, as the application's
    database role, on the test database, the test's media folder and keys."""

    def __init__(self, control: Path, prefix: str, log: Path):
        self.control, self.prefix, self.log = control, prefix, log
        self.process: subprocess.Popen | None = None

    def start(self, *pause: str) -> None:
        db = settings.DATABASES["default"]
        url = "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(
            **{**db, "HOST": db["HOST"] or "127.0.0.1", "PORT": db["PORT"] or 5432}
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SECRET_KEY": settings.SECRET_KEY,
            "REGISTRE_HMAC_KEY": settings.REGISTRE_HMAC_KEY,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
            "DJANGO_SETTINGS_MODULE": "pgi.settings",
        }
        env.pop("DATABASE_OWNER_URL", None)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.fault_worker", str(self.control), self.prefix,
                 *pause],
                cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL to the worker and its pool's children: no shutdown, no acknowledgement."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def wait_until(self, condition, what: str) -> None:
        started = time.monotonic()
        while not condition():
            if self.process and self.process.poll() is not None:
                pytest.fail(f"the worker stopped before {what}:\n{self.log.read_text()}")
            if time.monotonic() - started > DEADLINE:
                pytest.fail(f"still waiting for {what}:\n{self.log.read_text()[-5000:]}")
            time.sleep(0.1)


@pytest.fixture
def worker(broker, tmp_path):
    control = tmp_path / "control"
    control.mkdir()
    worker = Worker(control, broker, tmp_path / "worker.log")
    yield worker
    worker.kill()


def paused(worker: Worker) -> dict:
    worker.wait_until((worker.control / "paused").exists, "the interrupted rendering")
    return json.loads((worker.control / "paused").read_text())


def issue_batch() -> list[Facture]:
    """BATCH invoices issued one after the other; each publishes its PDF task on commit."""
    company = factories.issuing_company()
    return [factories.issued(company) for _ in range(BATCH)]


def with_pdf(invoices) -> set[int]:
    return set(
        DocumentPDF.objects.filter(facture__in=invoices).values_list("facture_id", flat=True)
    )


def sweep_later(monkeypatch) -> dict[str, int]:
    """The beat sweeper, run past the tasks' grace period."""
    moment = timezone.now() + tasks.GRACE + timedelta(minutes=1)
    monkeypatch.setattr(tasks.timezone, "now", lambda: moment)
    return tasks.sweep_pending()


def assert_each_pdf_once(invoices) -> None:
    """One stored PDF per invoice, one sealed fingerprint of it, one file, an intact chain."""
    company = invoices[0].company
    pdfs = DocumentPDF.objects.filter(facture__in=invoices)
    assert sorted(pdfs.values_list("facture_id", flat=True)) == sorted(f.pk for f in invoices)
    sealed = Enregistrement.objects.filter(company=company, kind=RecordKind.PDF)
    assert sorted(sealed.values_list("reference", flat=True)) == sorted(f.number for f in invoices)
    media = Path(settings.MEDIA_ROOT)
    files = sorted(path.relative_to(media).as_posix() for path in media.rglob("*.pdf"))
    assert files == sorted(pdfs.values_list("file", flat=True))
    report = verify_chain(company)
    assert report.ok, report.findings


def test_a_worker_killed_mid_batch_leaves_no_invoice_without_its_pdf(worker, monkeypatch):
    """Killed (SIGKILL) while the third PDF is being stored and sealed: its transaction
    dies with it, its message stays unacknowledged; the next worker renders the rest of the
    batch, and the sweeper has the third rendered once."""
    worker.start("seal", str(PAUSED_ON))
    invoices = issue_batch()
    interrupted = paused(worker)
    worker.kill()
    third = next(f for f in invoices if f.number == interrupted["document"])
    assert third == invoices[PAUSED_ON - 1]
    assert with_pdf(invoices) == {f.pk for f in invoices[: PAUSED_ON - 1]}

    worker.start()
    rest = {f.pk for f in invoices} - {third.pk}
    worker.wait_until(lambda: with_pdf(invoices) == rest, "the rest of the batch")
    assert sweep_later(monkeypatch) == {"pdfs": 1, "emails": 0}
    worker.wait_until(lambda: len(with_pdf(invoices)) == BATCH, "the swept PDF")
    assert_each_pdf_once(invoices)
    assert sweep_later(monkeypatch) == {"pdfs": 0, "emails": 0}


@pytest.mark.parametrize("step", ["render", "seal"])
def test_a_database_connection_lost_mid_batch_is_retried(worker, monkeypatch, step):
    """The worker's database backend terminated while the third PDF is being rendered
    (between two queries) or sealed (inside its transaction), as a PostgreSQL restart does:
    the task fails on the lost connection, is retried on a new one, and the batch ends with
    every PDF once; the sweeper then finds nothing left."""
    worker.start(step, str(PAUSED_ON))
    invoices = issue_batch()
    interrupted = paused(worker)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [interrupted["backend"]])
        assert cursor.fetchone() == (True,)
    (worker.control / "resume").touch()

    worker.wait_until(lambda: len(with_pdf(invoices)) == BATCH, "the whole batch")
    assert "Retry in" in worker.log.read_text()
    assert_each_pdf_once(invoices)
    assert sweep_later(monkeypatch) == {"pdfs": 0, "emails": 0}
