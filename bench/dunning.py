"""One dunning run over 100,000 open invoices of 1,000 companies (issue #17): selection and
planning only, sends excluded; target under 10 s on this machine, a flat query count per
company.

    python bench/dunning.py --companies 1000 --invoices 100 --runs 3

Its own database (`encaisse_bench_dunning`, or BENCH_DATABASE_URL), created and migrated
when missing; the data is generated once and reused while the counts match. Figures:
bench/README.md.
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
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encaisse_bench_dunning"
)

from bench.invoicing import setup_django  # noqa: E402

PREFIX = "Bench relances"


def generate(n_companies: int, per_company: int):
    """Companies with their default scenario, customers, and issued invoices due between 60
    days ahead and 120 days ago, bulk-inserted with the triggers off for this session; a tenth
    partly paid, some disputed, promised, already reminded, or of customers not to dun."""
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Client
    from encaissement.models import (
        Affectation,
        Litige,
        NiveauRelance,
        Paiement,
        ProfilRelance,
        PromessePaiement,
        Relance,
    )
    from encaissement.relances.scenario import scenario_defaut_assurer
    from facturation.models import Facture
    from pgi.models import Company
    from tests import factories

    companies = list(Company.objects.filter(legal_name__startswith=PREFIX).order_by("pk"))
    if (
        len(companies) == n_companies
        and Facture.objects.filter(company__in=companies).count() == n_companies * per_company
    ):
        return companies
    rng = random.Random(17)
    today = timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        ids = [c.pk for c in companies]
        for table in ("encaissement_relance", "encaissement_litige",
                      "encaissement_promessepaiement", "encaissement_affectation",
                      "encaissement_paiement", "facturation_facture",
                      "encaissement_profilrelance", "encaissement_niveaurelance",
                      "encaissement_scenariorelance", "crm_client"):  # fmt: skip
            cursor.execute(f"DELETE FROM {table} WHERE company_id = ANY(%s)", [ids])
        Company.objects.filter(pk__in=ids).delete()
        companies = Company.objects.bulk_create(
            Company(legal_name=f"{PREFIX} {i:04d} SAS", siren=factories.siren())
            for i in range(n_companies)
        )
        for company in companies:
            scenario_defaut_assurer(company=company)
        levels = {}
        for level in NiveauRelance.objects.filter(company__in=companies):
            levels.setdefault(level.company_id, []).append(level)
        clients = Client.objects.bulk_create(
            Client(company=c, name=f"Client {j:02d}", status="client", email="c@exemple.fr")
            for c in companies for j in range(20)
        )  # fmt: skip
        per = {}
        for client in clients:
            per.setdefault(client.company_id, []).append(client)
        invoices = []
        for company in companies:
            for i in range(per_company):
                due = today + timedelta(days=rng.randrange(-120, 60))
                ht = Decimal(rng.randrange(5000, 500000)) / 100
                vat = (ht * Decimal("0.2")).quantize(Decimal("0.01"))
                invoices.append(Facture(
                    company=company, client=rng.choice(per[company.pk]), kind="facture",
                    status="emise", number=f"F-{i + 1:06d}", issue_date=due - timedelta(days=30),
                    due_date=due, payment_terms_days=30, total_excl_vat=ht, total_vat=vat,
                    total_incl_vat=ht + vat, issued_at=timezone.now(),
                    seller={"late_penalty_rate": "12.15", "recovery_indemnity": "40.00"},
                    buyer={"kind": "entreprise"},
                ))  # fmt: skip
        Facture.objects.bulk_create(invoices, batch_size=5000)
        partly = rng.sample(invoices, len(invoices) // 10)
        payments = [
            Paiement(company_id=f.company_id, kind="encaissement", number=f"ENC-{i + 1:06d}",
                     client_id=f.client_id, date=today - timedelta(days=5),
                     amount=(f.total_incl_vat / 2).quantize(Decimal("0.01")), method="virement")
            for i, f in enumerate(partly)
        ]  # fmt: skip
        Paiement.objects.bulk_create(payments, batch_size=5000)
        Affectation.objects.bulk_create(
            (Affectation(company_id=p.company_id, paiement=p, facture=f, amount=p.amount)
             for p, f in zip(payments, partly, strict=True)),
            batch_size=5000,
        )  # fmt: skip
        Litige.objects.bulk_create(
            Litige(company_id=f.company_id, facture=f, reason="bench")
            for f in rng.sample(invoices, len(invoices) // 50)
        )
        PromessePaiement.objects.bulk_create(
            PromessePaiement(company_id=f.company_id, facture=f, date=today + timedelta(days=10),
                             amount=Decimal("10"))
            for f in rng.sample(invoices, len(invoices) // 50)
        )  # fmt: skip
        reminded = [f for f in invoices if f.due_date < today - timedelta(days=10)]
        Relance.objects.bulk_create(
            (Relance(company_id=f.company_id, facture=f, niveau=levels[f.company_id][1],
                     position=2, nature="relance", channel="email", state="envoyee",
                     planned_for=f.due_date + timedelta(days=7), amount_due=f.total_incl_vat)
             for f in reminded[::2]),
            batch_size=5000,
        )  # fmt: skip
        ProfilRelance.objects.bulk_create(
            ProfilRelance(company_id=c.company_id, client=c, do_not_dun=True) for c in clients[::40]
        )
    with connection.cursor() as cursor:
        for table in ("facturation_facture", "encaissement_affectation", "encaissement_relance",
                      "encaissement_litige", "encaissement_promessepaiement",
                      "encaissement_profilrelance", "encaissement_niveaurelance"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
    return companies


def run(today) -> tuple[float, int, int, dict]:
    """One run's selection and planning over every company (what the daily task does before
    it hands each company with something to send to its own task), timed, queries counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from encaissement.relances.planning import relances_a_faire

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        plan = relances_a_faire(today=today)
    return time.perf_counter() - started, len(plan.actions), len(captured), plan.skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--invoices", type=int, default=100, help="open invoices per company")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.utils import timezone

    started = time.perf_counter()
    companies = generate(args.companies, args.invoices)
    print(f"data ready in {time.perf_counter() - started:.1f} s")
    today = timezone.localdate()
    times = []
    for _ in range(args.runs):
        elapsed, actions, queries, skipped = run(today)
        times.append(elapsed)
        print(
            f"{args.companies * args.invoices} invoices, {len(companies)} companies: "
            f"{elapsed:.2f} s, {actions} reminders planned, skipped {skipped}, "
            f"{queries} queries"
        )
    print(f"median {statistics.median(times):.2f} s over {len(times)} runs")


if __name__ == "__main__":
    main()
