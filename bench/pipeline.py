"""The sales funnel at scale (issue #20): the kanban board with 5,000 open opportunities, the
list, the statistics, and a customer's page and activity feed with 2,000 lines (among
200,000 lines of other customers), p50 / p95 and the query count.

    python bench/pipeline.py --opportunities 5000 --feed 2000 --requests 100

Its own database (`encaisse_bench_pipeline`, or BENCH_DATABASE_URL), created and migrated
when missing; the data is generated once and reused while the counts match. Figures:
bench/README.md.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encaisse_bench_pipeline"
)

from bench.invoicing import owner_http_client, setup_django  # noqa: E402
from bench.receivables import measure  # noqa: E402

COMPANY = "Bench pipeline SAS"
OTHER_FEED = 200_000  # lines of the company's other customers


def generate(n_opportunities: int, n_feed: int):
    """Opportunities, their first stage-history row, and feed lines, bulk-inserted (the
    services would write the same rows, one transaction each)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Client, Opportunite, PassageEtape
    from crm.services import etapes_par_defaut
    from pgi.models import Company, FilActivite
    from tests import factories

    company = Company.objects.filter(legal_name=COMPANY).first()
    if company and (
        Opportunite.objects.filter(company=company, status="ouverte").count() == n_opportunities
        and FilActivite.objects.filter(company=company).count() == n_feed + OTHER_FEED
    ):
        return company
    rng = random.Random(20)
    now = timezone.now()
    with transaction.atomic():
        if company:
            FilActivite.objects.filter(company=company).delete()
            PassageEtape.objects.filter(company=company).delete()
            Opportunite.objects.filter(company=company).delete()
            Client.objects.filter(company=company).delete()
        else:
            company = factories.issuing_company(COMPANY, siren="732829320")
        stages = etapes_par_defaut(company=company)
        open_stages = [s for s in stages if not s.is_closing]
        won = next(s for s in stages if s.is_won)
        clients = Client.objects.bulk_create(
            Client(company=company, name=f"Prospect {i:05d} SARL") for i in range(2000)
        )
        opportunities = [
            Opportunite(
                company=company, client=rng.choice(clients), title=f"Projet {i:05d}",
                amount=Decimal(rng.randrange(50000, 5000000)) / 100,
                etape=rng.choice(open_stages),
                expected_close_date=(now + timedelta(days=rng.randrange(0, 365))).date(),
            )
            for i in range(n_opportunities)
        ] + [
            Opportunite(company=company, client=rng.choice(clients), title=f"Gagné {i:05d}",
                        amount=Decimal(1000), etape=won, status="gagnee", closed_at=now)
            for i in range(n_opportunities // 5)
        ]  # fmt: skip
        Opportunite.objects.bulk_create(opportunities, batch_size=5000)
        PassageEtape.objects.bulk_create(
            (PassageEtape(company=company, opportunite=o, to_etape=o.etape) for o in opportunities),
            batch_size=5000,
        )
        measured = clients[0]
        rows = [
            FilActivite(
                company=company, client_id=measured.pk if i < n_feed else rng.choice(clients).pk,
                at=now - timedelta(minutes=i), famille=rng.choice(["facture", "paiement",
                                                                   "relance", "opportunite"]),
                summary="Paiement de %(a)s reçu (%(n)s)", params={"a": "100,00 €", "n": f"P{i}"},
                icon="cash-coin", url="/factures/1/", reference=f"F-2026-{i:05d}",
            )
            for i in range(n_feed + OTHER_FEED)
        ]  # fmt: skip
        FilActivite.objects.bulk_create(rows, batch_size=10000)
    with connection.cursor() as cursor:
        for table in ("crm_opportunite", "crm_passageetape", "crm_client", "pgi_filactivite"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return company


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=5_000)
    parser.add_argument("--feed", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    setup_django()
    from django.test import Client as HttpClient

    from crm.models import Client

    started = time.perf_counter()
    company = generate(args.opportunities, args.feed)
    print(f"data ready in {time.perf_counter() - started:.1f} s")
    http = owner_http_client(company)
    customer = Client.objects.filter(company=company).order_by("pk").first()
    print(f"{args.opportunities} open opportunities, a feed of {args.feed} lines "
          f"(+{OTHER_FEED} of other customers), {args.requests} requests each")  # fmt: skip
    print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    htmx = HttpClient(headers={"HX-Request": "true"})
    htmx.cookies = http.cookies
    for label, client, url in (
        ("kanban board", http, "/pipeline/"),
        ("opportunity list, first page", http, "/pipeline/liste/"),
        ("opportunity list, by weighted amount", http, "/pipeline/liste/?tri=-ponderee"),
        ("funnel statistics", http, "/pipeline/statistiques/"),
        ("customer page (feed, first 50)", http, f"/clients/{customer.pk}/"),
        ("customer feed, htmx, payments only", htmx, f"/clients/{customer.pk}/fil/?type=paiement"),
    ):
        p50, p95, queries = measure(client, url, args.requests)
        print(f"{label:<40} {p50:>8.1f} {p95:>8.1f} {queries:>8}")


if __name__ == "__main__":
    main()
