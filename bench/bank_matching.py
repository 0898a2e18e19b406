"""Bank matching benchmark (issue #16): N bank lines against M open invoices.

    python bench/bank_matching.py --invoices 50000 --lines 10000 --runs 3

Own database (`encaisse_bench_releves`, or BENCH_DATABASE_URL), created and migrated when
missing. Figures and how to read them: bench/README.md, "Bank matching".
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
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encaisse_bench_releves"
)

from bench.invoicing import setup_django  # noqa: E402 (creates, migrates, django.setup)

COMPANY = "Bench rapprochement SAS"
FIRST = ["Boulangerie", "Garage", "Cabinet", "Atelier", "Pharmacie", "Librairie", "Menuiserie",
         "Plomberie", "Fromagerie", "Imprimerie", "Boucherie", "Quincaillerie"]  # fmt: skip
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David"]  # fmt: skip
CITY = ["Lyon", "Paris", "Lille", "Nantes", "Rennes", "Dijon", "Tours", "Brest", "Nice", "Metz"]


def generate(invoices: int, lines: int, seed: int = 42):
    """The company, its customers and open invoices, and a statement of `lines` lines whose
    expected invoice is known. Invoices are bulk-inserted as issued rows without their
    register records (triggers off for that transaction only: `session_replication_role`):
    matching only reads them, and issuing 50,000 through `facture_emettre` takes minutes
    (bench/README.md, "Invoicing")."""
    from django.db import connection, transaction
    from django.utils import timezone
    from stdnum import luhn

    from crm.models import Client
    from encaissement.releves import matching
    from encaissement.releves.models import CompteBancaire, LigneReleve, Releve, Suggestion
    from facturation.models import Facture
    from pgi.models import Company

    rng = random.Random(seed)
    company = Company.objects.filter(legal_name=COMPANY).first()
    if company is not None and Facture.objects.filter(company=company).count() == invoices:
        Suggestion.objects.filter(company=company).delete()
        LigneReleve.objects.filter(company=company).delete()
        Releve.objects.filter(company=company).delete()
    else:
        with transaction.atomic():
            cursor = connection.cursor()
            cursor.execute("SET LOCAL session_replication_role = replica")
            if company is not None:
                for model in (Suggestion, LigneReleve, Releve, CompteBancaire, Facture, Client):
                    model.objects.filter(company=company).delete()
                company.delete()
            body = "70100000"
            company = Company.objects.create(
                legal_name=COMPANY, siren=body + luhn.calc_check_digit(body),
                iban="FR7630006000011234567890189",
            )  # fmt: skip
            customers = Client.objects.bulk_create(
                [
                    Client(
                        company=company,
                        name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(CITY)} {i}",
                        status="client",
                    )  # fmt: skip
                    for i in range(max(invoices // 10, 1))
                ],
                batch_size=5000,
            )
            today = timezone.localdate()
            rows = []
            for i in range(invoices):
                total = Decimal(rng.randrange(1000, 500000)) / 100
                issue = today - timedelta(days=rng.randrange(1, 120))
                rows.append(
                    Facture(
                        company=company,
                        kind="facture",
                        status="emise",
                        client=customers[i % len(customers)],
                        number=f"F-2026-{i + 1:06d}",
                        issue_date=issue,
                        due_date=issue + timedelta(days=30),
                        total_excl_vat=total,
                        total_vat=Decimal("0"),
                        total_incl_vat=total,
                    )  # fmt: skip
                )
            Facture.objects.bulk_create(rows, batch_size=5000)
        cursor = connection.cursor()
        cursor.execute("VACUUM ANALYZE facturation_facture")
        cursor.execute("VACUUM ANALYZE crm_client")
    compte = CompteBancaire.objects.filter(
        company=company
    ).first() or CompteBancaire.objects.create(company=company, name="Bench", iban=company.iban)
    releve = Releve.objects.create(
        company=company, compte=compte, format="csv", filename="bench.csv", content=b"",
        sha256="", state="importe",
    )  # fmt: skip
    open_ = list(Facture.objects.filter(company=company).select_related("client").order_by("pk"))
    expected: dict[str, int | None] = {}
    rows = []
    for i in range(lines):
        f = open_[rng.randrange(len(open_))]
        kind = i % 10
        amount = f.total_incl_vat
        if kind < 4:  # the number in the label, in one of the ways banks write it
            label = rng.choice(["VIR SEPA {n}", "REGLT FACT {s}", "VIR {c} {n} MERCI"]).format(
                n=f.number, s=f.number.replace("-", " "), c=f.client.name.upper()
            )
        elif kind == 4:  # a structured reference
            label = f"VIR SEPA {matching.reference_structuree(f.number)}"
        elif kind < 7:  # the customer's name and the exact amount
            label = f"VIR SEPA {f.client.name.upper()} REGLEMENT"
        elif kind < 9:  # the amount only
            label = f"VIREMENT RECU {rng.randrange(10**6)}"
        else:  # not a payment of ours
            label, amount, f = f"REMISE CB {rng.randrange(10**6)}", Decimal("12.34"), None
        key = f"bench-{i}"
        expected[key] = f.pk if f else None
        rows.append(
            LigneReleve(
                company=company,
                compte=compte,
                releve=releve,
                unique_key=key,
                booking_date=timezone.localdate(),
                amount=amount,
                label=label,
            )  # fmt: skip
        )
    LigneReleve.objects.bulk_create(rows, batch_size=5000)
    return company, expected


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run(args) -> None:
    from django.db import connection, transaction

    from encaissement.releves import matching, services
    from encaissement.releves.models import LigneReleve, Suggestion

    started = time.perf_counter()
    company, expected = generate(args.invoices, args.lines)
    print(f"data ready in {time.perf_counter() - started:.1f} s")
    open_count = matching.open_invoices(company).count()
    print(f"{open_count} open invoices, {len(expected)} bank lines")
    samples, index_times = [], []
    for run_ in range(args.runs):
        lignes = list(LigneReleve.objects.filter(company=company))
        t0 = time.perf_counter()
        matching.build_index(company)
        index_times.append(time.perf_counter() - t0)
        # Queries counted by a bare execute wrapper: CaptureQueriesContext would render the
        # SQL of each statement with its parameters (the suggestions' INSERT has ~90,000),
        # which is the bench's cost, not the code's (it doubled the first figures).
        queries = QueryCounter()
        with connection.execute_wrapper(queries), transaction.atomic():
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            services.suggestions_calculer(company=company, lignes=lignes, user=None, auto=False)
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
        samples.append(elapsed)
        print(
            f"run {run_ + 1}: {elapsed:.2f} s ({cpu:.2f} s of Python CPU), "
            f"{queries.count} SQL queries"
        )
    best = {
        s.ligne.unique_key: s.facture_id
        for s in Suggestion.objects.filter(company=company)
        .select_related("ligne")
        .order_by("ligne_id", "-score", "pk")
        .distinct("ligne_id")
    }
    exact = {
        k
        for k in Suggestion.objects.filter(company=company, exact=True).values_list(
            "ligne__unique_key", flat=True
        )
    }
    right = sum(1 for k, pk in expected.items() if pk is not None and best.get(k) == pk)
    payments = sum(1 for pk in expected.values() if pk is not None)
    wrong_exact = sum(
        1 for k in exact if expected.get(k) is not None and best.get(k) != expected[k]
    )
    print(
        f"suggestions_calculer: median {statistics.median(samples):.2f} s "
        f"(min {min(samples):.2f}, max {max(samples):.2f}, n={len(samples)}); "
        f"of which build_index median {statistics.median(index_times):.2f} s"
    )
    print(
        f"top suggestion right for {right}/{payments} payments; {len(exact)} lines with an "
        f"exact suggestion, {wrong_exact} of them wrong"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    run(args)


if __name__ == "__main__":
    main()
