"""A real Celery worker for the fault tests (tests/facturation/test_worker_faults.py).

Started by the tests as `python -m tests.fault_worker CONTROL_DIR KEY_PREFIX [STEP N]`, with
DATABASE_URL, MEDIA_ROOT and the keys of the test process in its environment. It is the
production worker (prefork pool, late acknowledgement), on the broker key space KEY_PREFIX of
the test's Redis, with one addition: given STEP and N, the N-th PDF this process renders stops
at STEP — `render` (between its queries, outside any transaction) or `seal` (inside the
transaction that stores and seals the PDF, the file already written) — writes
`CONTROL_DIR/paused` (the document's id and the process's database backend), and waits for
`CONTROL_DIR/resume`. Meanwhile the test kills the worker or cuts its database connection.
"""

import json
import os
import sys
import time
from pathlib import Path


def pause_at(control: Path, step: str, nth: int) -> None:
    from django.db import connection

    from facturation.services import delivery
    from pgi import registre

    calls = {"render": 0}

    def pause(facture_number: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (backend,) = cursor.fetchone()
        state = {"document": facture_number, "backend": backend, "pid": os.getpid()}
        (control / "paused.tmp").write_text(json.dumps(state))
        (control / "paused.tmp").rename(control / "paused")
        while not (control / "resume").exists():
            time.sleep(0.02)

    render = delivery.render_document_pdf
    seal = registre.seal

    def render_document_pdf(content, **kwargs):
        calls["render"] += 1
        data = render(content, **kwargs)
        if step == "render" and calls["render"] == nth:
            pause(content["number"])
        return data

    def seal_pdf(*, company, kind, reference, **kwargs):
        if step == "seal" and calls["render"] == nth and kind == "pdf":
            pause(reference)
        return seal(company=company, kind=kind, reference=reference, **kwargs)

    delivery.render_document_pdf = render_document_pdf
    delivery.registre.seal = seal_pdf


def main() -> None:
    control, prefix, *pause = sys.argv[1:]
    import django

    django.setup()
    from pgi.celery import app

    options = {"global_keyprefix": prefix}
    app.conf.update(
        broker_transport_options={**app.conf.broker_transport_options, **options},
        result_backend_transport_options=options,
    )
    if pause:
        step, nth = pause
        pause_at(Path(control), step, int(nth))
    app.worker_main(
        ["worker", "--pool=prefork", "--concurrency=1", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"]
    )  # fmt: skip


if __name__ == "__main__":
    main()
