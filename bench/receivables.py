"""Receivables at scale: the dashboard's due and overdue, and the invoice and payment lists,
for one company with 100,000 issued invoices and 50,000 payments (issue #16: p95 under
150 ms, a flat query count).

    python bench/receivables.py --invoices 100000 --payments 50000 --requests 100

Its own database (`encaisse_bench_receivables`, or BENCH_DATABASE_URL), created and migrated
when missing; the data is generated once and reused while the counts match. Figures and how
to read them: bench/README.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encaisse_bench_receivables"
)

from bench.invoicing import owner_http_client, setup_django  # noqa: E402

COMPANY = "Bench encaissements SAS"


def generate(n_invoices: int, n_payments: int):
    """Issued invoices and payments bulk-inserted with the triggers off for this session
    (`session_replication_role = replica`: the bench database's superuser). The rows are what
    the services write (totals, numbers, allocations), without their sealed records: the
    pages measured here never read the register."""
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Client
    from encaissement.models import Affectation, Paiement
    from facturation.models import Facture, Flux, StatutFacture
    from pgi.models import Company
    from tests import factories

    company = Company.objects.filter(legal_name=COMPANY).first()
    if company and (
        Facture.objects.filter(company=company).count() == n_invoices
        and Paiement.objects.filter(company=company).count() == n_payments
        and StatutFacture.objects.filter(company=company).exists()
    ):
        _reste_du(company, n_invoices)
        return company
    rng = random.Random(16)
    today = timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        if company:
            for table in ("encaissement_affectation", "encaissement_paiement",
                          StatutFacture._meta.db_table, Flux._meta.db_table,
                          "facturation_facture"):  # fmt: skip
                cursor.execute(f"DELETE FROM {table} WHERE company_id = %s", [company.pk])
            Client.objects.filter(company=company).delete()
        else:
            company = factories.issuing_company(COMPANY, siren="732829320")
        clients = Client.objects.bulk_create(
            Client(company=company, name=f"Client {i:05d} SARL", status="client")
            for i in range(2000)
        )
        invoices = []
        for i in range(n_invoices):
            day = today - timedelta(days=rng.randrange(0, 730))
            ht = Decimal(rng.randrange(5000, 500000)) / 100
            invoices.append(Facture(
                company=company, client=rng.choice(clients), kind="facture", status="emise",
                number=f"F-{day.year}-{i + 1:06d}", issue_date=day,
                due_date=day + timedelta(days=30), payment_terms_days=30,
                total_excl_vat=ht, total_vat=(ht * Decimal("0.2")).quantize(Decimal("0.01")),
                total_incl_vat=ht + (ht * Decimal("0.2")).quantize(Decimal("0.01")),
                issued_at=timezone.now(),
            ))  # fmt: skip
        Facture.objects.bulk_create(invoices, batch_size=5000)
        paid = rng.sample(invoices, n_payments)
        payments = [
            Paiement(
                company=company,
                kind="encaissement",
                number=f"ENC-{i + 1:06d}",
                client_id=f.client_id,
                date=min(today, f.due_date),
                amount=f.total_incl_vat,
                method="virement",
            )  # fmt: skip
            for i, f in enumerate(paid)
        ]
        Paiement.objects.bulk_create(payments, batch_size=5000)
        Affectation.objects.bulk_create(
            (Affectation(company=company, paiement=p, facture=f, amount=p.amount, sealed=True)
             for p, f in zip(payments, paid, strict=True)),
            batch_size=5000,
        )  # fmt: skip
        # Every invoice sent through the platform and "déposée"; a tenth approved, 1 % rejected,
        # 1 % refused (the list's platform column, its "à corriger" filter, the home card).
        Flux.objects.bulk_create(
            (Flux(company=company, kind="facture", key=f"facture:{f.pk}", facture=f,
                  state="transmis", flow_id=f"bench-{f.pk}") for f in invoices),
            batch_size=5000,
        )  # fmt: skip
        at = timezone.now() - timedelta(days=1)
        statuses = []
        for f in invoices:
            statuses.append(StatutFacture(company=company, facture=f, code="200", at=at,
                                          event_id=f"bench-{f.pk}-200"))  # fmt: skip
            answer = rng.choices(["", "205", "213", "210"], weights=[88, 10, 1, 1])[0]
            if answer:
                statuses.append(StatutFacture(company=company, facture=f, code=answer,
                                              at=at + timedelta(hours=1),
                                              event_id=f"bench-{f.pk}-{answer}"))  # fmt: skip
        StatutFacture.objects.bulk_create(statuses, batch_size=5000)
    with connection.cursor() as cursor:
        for table in ("facturation_facture", "encaissement_paiement", "encaissement_affectation",
                      StatutFacture._meta.db_table, Flux._meta.db_table):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
    _reste_du(company, n_invoices)
    return company


def _reste_du(company, n_invoices: int) -> None:
    """The dashboards' per-invoice amounts due (`ResteDu`), which the triggers turned off above
    did not write: rebuilt once with the triggers' own function."""
    from django.db import connection

    from comptabilite.tableaux.models import ResteDu
    from comptabilite.tableaux.selectors import reste_du_reconstruire

    if ResteDu.objects.filter(company=company).count() == n_invoices:
        return
    reste_du_reconstruire(company=company)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tableaux_restedu")


def measure(http, url: str, requests: int, htmx: bool = False) -> tuple[float, float, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    headers = {"HX-Request": "true"} if htmx else {}
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url, headers=headers).status_code == 200
    queries = len(captured)  # now: the next requests clear the log it reads
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = http.get(url, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    setup_django()

    started = time.perf_counter()
    company = generate(args.invoices, args.payments)
    print(f"data ready in {time.perf_counter() - started:.1f} s")
    http = owner_http_client(company)
    print(f"{args.invoices} invoices, {args.payments} payments, {args.requests} requests each")
    print(f"{'page':<36} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, url in (
        ("home (sales, due, overdue)", "/"),
        ("dashboard: receivables tab", "/tableaux/"),
        ("  its forecast (htmx, on load)", "/tableaux/previsions/"),
        ("dashboard: sales tab, 12 months", "/tableaux/ventes/"),
        ("dashboard: sales, 24 months (htmx)", "/tableaux/ventes/?du=" + _months_ago(23)),
        ("dashboard: VAT and dunning tab", "/tableaux/tva-relances/"),
        ("aging balance export, XLSX", "/tableaux/export/balance-agee.xlsx"),
        ("invoice list, first page", "/factures/"),
        ("invoice list, à corriger", "/factures/?plateforme=a_corriger"),
        ("payment list, first page", "/encaissements/"),
        ("customer page", f"/clients/{company_client(company)}/"),
    ):
        p50, p95, queries = measure(http, url, args.requests, htmx="htmx" in label)
        print(f"{label:<36} {p50:>8.1f} {p95:>8.1f} {queries:>8}")
    compare_due(company, args.requests)


def compare_due(company, runs: int) -> None:
    """What is owed and overdue, A/B alternated in one run: the joins of every reduction over
    the company's invoices (`dashboard_figures`, the home page's query before issue #19)
    against the kept amounts (`encours`); both must give the same figures."""
    from django.utils import timezone

    from comptabilite.tableaux.selectors import encours
    from facturation.selectors import dashboard_figures

    today = timezone.localdate()
    old = dashboard_figures(company=company, today=today)
    new = encours(company=company, today=today)
    same = [(old[k], new[k]) for k in ("due", "overdue", "overdue_count")]
    assert all(a == b for a, b in same), same
    samples: dict[str, list[float]] = {"joins": [], "kept": []}
    for _ in range(runs):
        for name, func in (("joins", dashboard_figures), ("kept", encours)):
            started = time.perf_counter()
            func(company=company, today=today)
            samples[name].append((time.perf_counter() - started) * 1000)
    print(f"due and overdue ({new['due']}, {new['overdue']}), the same both ways:")
    for name, values in samples.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"  {name:<6} p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms")


def _months_ago(months: int) -> str:
    from django.utils import timezone

    from comptabilite.selectors import add_months

    today = timezone.localdate()
    return f"{add_months(today.replace(day=1), -months):%Y-%m}&au={today:%Y-%m}"


def company_client(company) -> int:
    from crm.models import Client

    return Client.objects.filter(company=company).order_by("pk").values_list("pk", flat=True)[0]


if __name__ == "__main__":
    main()
