"""FEC export of a fiscal year of 1,000,000 entry lines (issue #19): under 10 s on this
machine, memory flat (RSS reported at 100,000 and 1,000,000 lines).

    python bench/fec.py --lines 1000000 --runs 3

Its own database (`encaisse_bench_fec`, or BENCH_DATABASE_URL), created and migrated when
missing; the entries are generated once in SQL (balanced, four lines each: 411 / 706 / 44574
for a sale, 512 / 411 for a payment) and reused while the count matches. Figures:
bench/README.md.
"""

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/encaisse_bench_fec")

from bench.invoicing import setup_django  # noqa: E402

NAME = "Bench FEC SAS"


def rss_mb() -> float:
    """The process's resident memory now (not its peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def generate(lines: int):
    """One company, one customer per 50 entries, entries of 2025: a sale (411 / 706 / 44574,
    plus a goods line at 5.5 % every other entry to vary the width) or a payment (512 / 411),
    bulk-inserted with the triggers off for this session (the balance is by construction)."""
    from django.db import connection, transaction

    from comptabilite.livres.models import LigneEcriture
    from pgi.models import Company
    from tests import factories

    company = Company.objects.filter(legal_name=NAME).first() or factories.issuing_company(NAME)
    if LigneEcriture.objects.filter(company=company).count() == lines:
        return company
    entries = lines // 4
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM comptabilite_ligneecriture WHERE company_id = %s", [company.pk])
        cursor.execute("DELETE FROM comptabilite_ecriture WHERE company_id = %s", [company.pk])
        cursor.execute(
            """
            INSERT INTO comptabilite_ecriture (company_id, journal, number, date, piece_ref,
                piece_date, label, record_kind, sequence, vat_case, validated_on)
            SELECT %(c)s, CASE WHEN i %% 2 = 0 THEN 'VT' ELSE 'BQ' END, i / 2 + 1,
                DATE '2025-01-01' + (i * 365 / %(n)s), 'FA-2025-' || lpad(i::text, 7, '0'),
                DATE '2025-01-01' + (i * 365 / %(n)s),
                CASE WHEN i %% 2 = 0 THEN 'Facture ' ELSE 'Encaissement ' END
                    || 'FA-2025-' || lpad(i::text, 7, '0') || ' Société Éléonore n°' || i / 50,
                CASE WHEN i %% 2 = 0 THEN 'facture' ELSE 'encaissement' END, i + 1, 'normal',
                DATE '2025-01-01' + (i * 365 / %(n)s)
            FROM generate_series(0, %(n)s - 1) AS i
            """,
            {"c": company.pk, "n": entries},
        )
        cursor.execute(
            """
            INSERT INTO comptabilite_ligneecriture (company_id, ecriture_id, position, key, role,
                account, account_label, aux, aux_label, label, debit, credit, rate, base)
            SELECT e.company_id, e.id, l.position, l.key, l.role, l.account, l.label,
                CASE WHEN l.role = 'client' THEN 'C' || lpad((e.sequence / 100)::text, 6, '0')
                     ELSE '' END,
                CASE WHEN l.role = 'client' THEN 'Société Éléonore n°' || e.sequence / 100
                     ELSE '' END,
                e.label, l.debit, l.credit, l.rate, l.base
            FROM comptabilite_ecriture e
            CROSS JOIN LATERAL (VALUES
                (1, 'client', 'client', '411000', 'Clients', 1266.00, 0, NULL, NULL),
                (2, 'vente_service:20.00', 'vente', '706200', 'Prestations de services 20 %%',
                    0, 1000.00, 20.00, 1000.00),
                (3, 'tva_attente:20.00', 'tva_attente', '44574200',
                    'TVA collectée à encaisser 20 %%', 0, 200.00, 20.00, 1000.00),
                (4, 'vente_bien:5.50', 'vente', '707055', 'Ventes de marchandises 5,5 %%',
                    0, 66.00, 5.50, 66.00)
            ) AS l(position, key, role, account, label, debit, credit, rate, base)
            WHERE e.company_id = %(c)s AND e.journal = 'VT'
            UNION ALL
            SELECT e.company_id, e.id, l.position, l.key, l.role, l.account, l.label,
                CASE WHEN l.role = 'client' THEN 'C' || lpad((e.sequence / 100)::text, 6, '0')
                     ELSE '' END,
                CASE WHEN l.role = 'client' THEN 'Société Éléonore n°' || e.sequence / 100
                     ELSE '' END,
                e.label, l.debit, l.credit, NULL, NULL
            FROM comptabilite_ecriture e
            CROSS JOIN LATERAL (VALUES
                (1, 'banque', 'banque', '512000', 'Banque', 633.00, 0),
                (2, 'client', 'client', '411000', 'Clients', 0, 633.00),
                (3, 'banque', 'banque', '512000', 'Banque', 633.00, 0),
                (4, 'client', 'client', '411000', 'Clients', 0, 633.00)
            ) AS l(position, key, role, account, label, debit, credit)
            WHERE e.company_id = %(c)s AND e.journal = 'BQ'
            """,
            {"c": company.pk},
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE comptabilite_ecriture")
        cursor.execute("VACUUM ANALYZE comptabilite_ligneecriture")
    return company


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--encoding", default="iso-8859-15", choices=["iso-8859-15", "utf-8"])
    args = parser.parse_args()
    setup_django()
    from datetime import date

    from comptabilite.livres.fec import FecOptions, fec_exporter

    started = time.perf_counter()
    company = generate(args.lines)
    print(f"data ready in {time.perf_counter() - started:.1f} s ({args.lines} lines)")
    seconds = []
    for run in range(args.runs):
        marks: dict[int, float] = {}

        def progress(done: int, marks: dict[int, float] = marks) -> None:
            if done in (100_000, 1_000_000) or done % 250_000 == 0:
                marks[done] = rss_mb()

        before = rss_mb()
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            exported = fec_exporter(
                company=company, start=date(2025, 1, 1), end=date(2025, 12, 31),
                output_dir=folder, user=None, options=FecOptions(encoding=args.encoding),
                progress=progress,
            )  # fmt: skip
            elapsed = time.perf_counter() - started
            size = exported.path.stat().st_size
        seconds.append(elapsed)
        rss = ", ".join(f"{n:,} lines {mb:.0f} MB" for n, mb in sorted(marks.items()))
        print(
            f"run {run + 1}: {exported.lines:,} lines, {size / 1e6:.0f} MB file, "
            f"{elapsed:.2f} s; RSS before {before:.0f} MB, {rss}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.encoding}: median {statistics.median(seconds):.2f} s, "
        f"min {min(seconds):.2f}, max {max(seconds):.2f} (n={len(seconds)}); "
        f"peak RSS of the process {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
