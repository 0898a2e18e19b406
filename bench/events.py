"""Technical event log appends per second: P processes each append N events (one transaction
and one commit each), first all to one company, then one company each (issue #23: one lock
per company's chain, no longer one for the whole site).

    .venv/bin/python bench/events.py --processes 4 --events 100

Runs on DATABASE_URL (its companies "Bench events N" are created once and kept: the log is
append-only); use a development database, never production.
"""

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pgi.settings")


def append(company_pk: int, count: int, start) -> None:
    import django

    django.setup()
    from pgi.events import event_record
    from pgi.models import Company, EventKind

    company = Company.objects.get(pk=company_pk)
    start.wait()
    for i in range(count):
        event_record(kind=EventKind.EXPORT, summary="bench %(i)s", params={"i": i}, company=company)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--events", type=int, default=100, help="per process")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connections

    from pgi.models import Company

    companies = [
        Company.objects.get_or_create(legal_name=f"Bench events {i}")[0].pk
        for i in range(args.processes)
    ]
    connections.close_all()  # the children must not share the parent's socket
    context = mp.get_context("fork")
    scenarios = {
        "1 company": [companies[0]] * args.processes,
        f"{args.processes} companies": companies,
    }
    for label, targets in scenarios.items():
        rates = []
        for _ in range(args.runs):
            start = context.Barrier(args.processes + 1)
            workers = [
                context.Process(target=append, args=(pk, args.events, start)) for pk in targets
            ]
            for worker in workers:
                worker.start()
            start.wait()
            started = time.perf_counter()
            for worker in workers:
                worker.join()
            rates.append(args.processes * args.events / (time.perf_counter() - started))
        print(f"- {label}: {', '.join(f'{rate:.0f}' for rate in rates)} events/s")


if __name__ == "__main__":
    main()
