"""Invoicing benchmarks: issue throughput, register verification, PDF rendering.

    python bench/invoicing.py issue  --invoices 2000 --companies 8
    python bench/invoicing.py verify --records 1000000
    python bench/invoicing.py pdf    --runs 7

Each runs against a database of its own (`encaisse_bench_invoicing`, or BENCH_DATABASE_URL),
created and migrated when missing. Figures and how to read them: bench/README.md.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/encaisse_bench_invoicing"
# This bench's companies, reused from run to run; distinct from bench/customers_list.py's
# ("Bench clients …"), which may share the database.
COMPANY_PREFIX = "Bench facturation "


def owner_http_client(company):
    """A Django test client logged in as an owner of `company` (one is made if none), with
    the company chosen in its session: what the page benches request through."""
    from django.test import Client as HttpClient

    from pgi.models import Membership
    from pgi.permissions import Role
    from tests import factories

    membership = Membership.objects.filter(company=company, role=Role.OWNER).first()
    membership = membership or factories.member(company, Role.OWNER)
    http = HttpClient()
    http.force_login(membership.user)
    session = http.session
    session["company_id"] = company.pk
    session.save()
    return http


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pgi.settings")
    os.environ.setdefault("DEBUG", "false")
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def summary(samples: list[float]) -> str:
    samples = sorted(samples)
    return (
        f"median {statistics.median(samples):.1f}, min {samples[0]:.1f}, max {samples[-1]:.1f}"
        f" (n={len(samples)})"
    )


# --- issue throughput ----------------------------------------------------------------------


def _company(name: str, index: int):
    """This bench's issuing company `COMPANY_PREFIX + name`: the one an earlier run made, or a
    new one with a SIREN no other company has."""
    from stdnum import luhn

    from pgi.models import Company
    from tests import factories

    legal_name = COMPANY_PREFIX + name
    if company := Company.objects.filter(legal_name=legal_name).order_by("pk").first():
        return company
    body = 70_000_000 + index * 10_000
    while True:
        siren = f"{body:08d}" + luhn.calc_check_digit(f"{body:08d}")
        if not Company.objects.filter(siren=siren).exists():
            return factories.issuing_company(legal_name, siren=siren)
        body += 1


def _prepare(company_id: int, count: int) -> list[int]:
    """Drafts of 5 lines each, created outside the timing."""
    from crm.models import Client
    from facturation.models import Facture
    from pgi.models import Company
    from tests import factories

    company = Company.objects.get(pk=company_id)
    client = Client.objects.for_company(company).first() or factories.business_client(company)
    lines = [factories.line(f"Article {i}", str(i + 1), f"{19.99 * (i + 1):.2f}",
                            ["20", "10", "5.5", "20", "2.1"][i]) for i in range(5)]  # fmt: skip
    ids = []
    for _ in range(count):
        ids.append(factories.draft(company, client, lines=lines).pk)
    return [f.pk for f in Facture.objects.filter(pk__in=ids)]


def _issue_all(ids: list[int]) -> float:
    from django.db import connections

    from facturation.models import Facture
    from facturation.services import facture_emettre
    from pgi import queue

    connections.close_all()
    # PDF excluded from this figure: its task is not published (pgi.queue)
    queue.publish = lambda task, *args: True
    started = time.perf_counter()
    for pk in ids:
        facture_emettre(facture=Facture(pk=pk), user=None)
    return time.perf_counter() - started


def bench_issue(args) -> None:
    from django.db import connections

    from pgi.registre import verify_chain

    companies = [_company(f"émettrice {i}", i) for i in range(max(args.companies, 1))]
    print(f"## Issue throughput ({args.invoices} invoices of 5 lines, PDF excluded)\n")
    # One company, one issuer.
    ids = _prepare(companies[0].pk, args.invoices)
    seconds = _issue_all(ids)
    print(f"- 1 company, 1 process: {args.invoices / seconds:.0f} invoices/s ({seconds:.2f} s)")
    # One company, 4 concurrent issuers (they queue on the numbering row, none fails).
    ids = _prepare(companies[0].pk, args.invoices)
    chunks = [ids[i::4] for i in range(4)]
    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_issue_all, chunks)
    seconds = time.perf_counter() - started
    print(f"- 1 company, 4 processes: {args.invoices / seconds:.0f} invoices/s ({seconds:.2f} s)")
    # N companies in parallel, one process each.
    per_company = [_prepare(c.pk, args.invoices // len(companies)) for c in companies]
    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(len(companies)) as pool:
        pool.map(_issue_all, per_company)
    seconds = time.perf_counter() - started
    total = sum(len(ids) for ids in per_company)
    print(f"- {len(companies)} companies, {len(companies)} processes: {total / seconds:.0f} "
          f"invoices/s ({seconds:.2f} s)")  # fmt: skip
    for company in companies:
        report = verify_chain(company)
        assert report.ok, report.findings[:5]
    print("- every chain verifies, numbers are gapless (checked by verify_chain)\n")


# --- verification of a long chain ----------------------------------------------------------


def bench_verify(args) -> None:

    from django.db import connection
    from django.utils import timezone

    from pgi.models import Registre
    from pgi.registre import GENESIS, canonical_json, fingerprint, verify_chain

    # The chain is generated once per size and reused (records can never be deleted).
    company = _company(f"chaîne {args.records}", 900)
    if not Registre.objects.filter(company=company).exists():
        print(f"generating {args.records:,} records…", file=sys.stderr)
        line = {"quantity": "2", "unit_price": "19.99", "vat_rate": "20.00", "net": "39.98"}
        doc = {
            "lines": [{"designation": f"Article {i}", **line} for i in range(5)],
            "total_excl_vat": "199.90", "total_vat": "39.98", "total_incl_vat": "239.88",
            "seller": {"siren": company.siren}, "buyer": {"name": "Client"},
        }  # fmt: skip
        previous, at = GENESIS, timezone.now()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY comptabilite_enregistrement (company_id, sequence, kind, reference, "
                "recorded_at, payload, previous, fingerprint) FROM STDIN"
            ) as copy,
        ):
            for seq in range(1, args.records + 1):
                ref = f"F-B-{seq:07d}"
                payload = canonical_json(
                    {"v": 1, "company": company.siren, "seq": seq, "kind": "facture",
                     "ref": ref, "at": at, "doc": doc}
                )  # fmt: skip
                fp = fingerprint(previous, payload)
                copy.write_row((company.pk, seq, "facture", ref, at, payload, previous, fp))
                previous = fp
        Registre.objects.update_or_create(
            company=company, defaults={"last_sequence": args.records, "last_fingerprint": previous}
        )
    samples = []
    for _ in range(args.runs):
        started = time.perf_counter()
        report = verify_chain(company, check_documents=False)
        samples.append(time.perf_counter() - started)
        assert report.ok and report.records == args.records
    rate = args.records / statistics.median(samples)
    print(f"## verify_registre on {args.records:,} records (chain pass)\n")
    print(f"- seconds: {summary(samples)}")
    print(f"- {rate:,.0f} records/s\n")


# --- PDF rendering -------------------------------------------------------------------------


def bench_pdf(args) -> None:
    import json

    from django.utils import timezone

    from facturation.pdf import render_document_pdf
    from pgi.models import Enregistrement
    from tests import factories

    company = _company("PDF", 950)
    client = factories.business_client(company)
    results = {}
    for label, count in (("1 page (5 lines)", 5), ("10 pages (~150 lines)", 150)):
        lines = [factories.line(f"Article {i}", "2", "19.99") for i in range(count)]
        from facturation.services import facture_emettre

        facture = facture_emettre(facture=factories.draft(company, client, lines=lines), user=None,
                                  today=timezone.localdate())  # fmt: skip
        record = Enregistrement.objects.get(
            company=company, reference=facture.number, kind="facture"
        )
        content = json.loads(bytes(record.payload))["doc"]
        render_document_pdf(content)  # warm-up
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            render_document_pdf(content)
            samples.append((time.perf_counter() - started) * 1000)
        results[label] = samples
    print("## PDF rendering (WeasyPrint + Factur-X), ms\n")
    for label, samples in results.items():
        print(f"- {label}: {summary(samples)}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    issue = sub.add_parser("issue")
    issue.add_argument("--invoices", type=int, default=2000)
    issue.add_argument("--companies", type=int, default=8)
    verify = sub.add_parser("verify")
    verify.add_argument("--records", type=int, default=1_000_000)
    verify.add_argument("--runs", type=int, default=5)
    pdf = sub.add_parser("pdf")
    pdf.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    setup_django()
    {"issue": bench_issue, "verify": bench_verify, "pdf": bench_pdf}[args.command](args)


if __name__ == "__main__":
    main()
