"""Customer list benchmark: N companies x M customers, then p50/p95 of GET /clients/.

    python bench/customers_list.py --companies 5 --customers 10000 --requests 200

Runs against a database of its own (`encaisse_bench`, or BENCH_DATABASE_URL), created and
migrated when missing. The data is generated once and reused while the counts match
(`--reset` regenerates it). Requests go through the whole Django stack in process
(django.test.Client: middleware, session, tenancy, view, template), without HTTP.
See bench/README.md for what is measured and the figures.
"""

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/encaisse_bench"

# Bench rows are recognised by these markers, so --reset never touches anything else (not the
# companies of bench/invoicing.py, "Bench facturation …", when both share a database).
COMPANY_PREFIX = "Bench clients "
LEGACY_COMPANY_NAME = r"^Bench [0-9]{3} SAS$"  # this bench's companies before the prefix above
OWNER_EMAIL = "bench-owner-{index}@bench.encaisse.test"
BATCH_SIZE = 5_000

TRADES = [
    "Boulangerie", "Garage", "Cabinet", "Menuiserie", "Atelier", "Pharmacie", "Transports",
    "Plomberie", "Imprimerie", "Fromagerie", "Librairie", "Électricité", "Couverture",
    "Pâtisserie", "Brasserie", "Jardins", "Charpente", "Optique", "Carrosserie", "Traiteur",
]  # fmt: skip
SURNAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
    "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre",
    "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
    "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
]  # fmt: skip
FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Alice",
    "Lucas", "Hugo", "Louis", "Nathan", "Gabriel", "Jules", "Arthur", "Thomas", "Paul", "Adam",
]  # fmt: skip
CITIES = [
    ("Paris", "75011"), ("Lyon", "69003"), ("Marseille", "13006"), ("Toulouse", "31000"),
    ("Nice", "06000"), ("Nantes", "44000"), ("Montpellier", "34000"), ("Strasbourg", "67000"),
    ("Bordeaux", "33000"), ("Lille", "59000"), ("Rennes", "35000"), ("Reims", "51100"),
    ("Toulon", "83000"), ("Grenoble", "38000"), ("Dijon", "21000"), ("Angers", "49000"),
    ("Nîmes", "30000"), ("Brest", "29200"), ("Tours", "37000"), ("Limoges", "87000"),
    ("Amiens", "80000"), ("Annecy", "74000"), ("Perpignan", "66000"), ("Metz", "57000"),
    ("Besançon", "25000"), ("Orléans", "45000"), ("Rouen", "76000"), ("Caen", "14000"),
    ("Nancy", "54000"), ("Pau", "64000"),
]  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--companies", type=int, default=5, help="number of companies (N)")
    parser.add_argument("--customers", type=int, default=10_000, help="customers per company")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per scenario")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per scenario")
    parser.add_argument("--search", default="martin", help="search term for the ?q= scenario")
    parser.add_argument("--reset", action="store_true", help="regenerate the data")
    parser.add_argument("--sql", action="store_true", help="print each scenario's SQL")
    args = parser.parse_args()
    if args.companies < 1 or args.customers < 1 or args.requests < 1 or args.runs < 1:
        parser.error("--companies, --customers, --requests and --runs must be at least 1")
    return args


# --- Database -------------------------------------------------------------------------------


def configure_environment() -> str:
    """Points Django at the bench database; must run before django.setup()."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "pgi.settings"
    # DEBUG off: no query log kept in memory, templates rendered as in production.
    os.environ["DEBUG"] = "false"
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    if "testserver" not in hosts:
        hosts += ["127.0.0.1", "localhost", "testserver"]
    os.environ["ALLOWED_HOSTS"] = ",".join(hosts)
    sys.path.insert(0, str(ROOT))
    return url


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlparse(url)
    name = (parts.path or "/").lstrip("/")
    if not name:
        raise SystemExit(f"No database name in {url!r}.")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            print(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- Data -----------------------------------------------------------------------------------


def luhn_complete(digits: str) -> str:
    """`digits` followed by its Luhn check digit (SIREN and SIRET are Luhn numbers)."""
    from stdnum import luhn

    return digits + luhn.calc_check_digit(digits)


def company_siren(index: int) -> str:
    return luhn_complete(f"99{index:06d}")


def customer_siren(company_index: int, index: int) -> str:
    # 8-digit base unique within a company (up to 10 million customers).
    return luhn_complete(f"{10**7 + (company_index * 7 + index) % (9 * 10**7):08d}")


def bench_companies():
    from pgi.models import Company

    return Company.objects.filter(legal_name__startswith=COMPANY_PREFIX).order_by("pk")


def data_matches(n_companies: int, n_customers: int) -> bool:
    from django.db.models import Count

    from crm.models import Client

    companies = list(bench_companies().values_list("pk", flat=True))
    if len(companies) != n_companies:
        return False
    counts = dict(
        Client.objects.filter(company__in=companies)
        .values_list("company")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return all(counts.get(pk) == n_customers for pk in companies)


def delete_bench_data() -> None:
    """Deletes the bench companies and their rows; the owner users are kept and reused,
    since the append-only event log may reference them (their logins)."""
    from django.db import connection, transaction

    from crm.models import Client, Contact
    from pgi.models import Company, Membership

    # Companies of an older run carry the SIRENs generate() gives: they go too.
    legacy = Company.objects.filter(legal_name__regex=LEGACY_COMPANY_NAME)
    companies = list((bench_companies() | legacy).values_list("pk", flat=True))
    if not companies:
        return
    print(f"Deleting the bench data of {len(companies)} companies")
    # Plain SQL rather than the ORM collector: it does not visit every model of the tree,
    # and PostgreSQL's foreign keys still refuse to orphan any row we did not expect.
    targets = [(Contact, "company_id"), (Client, "company_id"), (Membership, "company_id")]
    targets.append((Company, "id"))
    with transaction.atomic(), connection.cursor() as cursor:
        for model, column in targets:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [companies])


def build_customer(company, company_index: int, index: int, rng: random.Random):
    from crm.models import Client, ClientKind, ClientStatus

    city, postal_code = rng.choice(CITIES)
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.8:
        kind = ClientKind.COMPANY
        name = f"{rng.choice(TRADES)} {surname} {city}"
        siren = customer_siren(company_index, index)
        siret = luhn_complete(siren + "0001")
    else:
        kind = ClientKind.INDIVIDUAL
        name = f"{rng.choice(FIRST_NAMES)} {surname}"
        siren = siret = ""
    slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:30]
    return Client(
        company=company,
        kind=kind,
        status=ClientStatus.CUSTOMER if rng.random() < 0.7 else ClientStatus.PROSPECT,
        name=name,
        siren=siren,
        siret=siret,
        email=f"{slug}.{index}@example.fr",
        phone=f"01 {rng.randrange(10**8):08d}",
        billing_line1=f"{rng.randrange(1, 200)} rue {rng.choice(SURNAMES)}",
        billing_postal_code=postal_code,
        billing_city=city,
    )


def generate(n_companies: int, n_customers: int) -> None:
    from django.db import connection, transaction

    from crm.models import Client
    from pgi.models import Company, Membership, User
    from pgi.permissions import Role

    started = time.perf_counter()
    for company_index in range(n_companies):
        with transaction.atomic():
            company = Company.objects.create(
                legal_name=f"{COMPANY_PREFIX}{company_index + 1:03d} SAS",
                siren=company_siren(company_index),
                city="Paris",
                postal_code="75011",
            )
            owner, created = User.objects.get_or_create(
                email=OWNER_EMAIL.format(index=company_index + 1),
                defaults={"full_name": "Bench"},
            )
            if created:
                owner.set_unusable_password()  # force_login needs no password
                owner.save(update_fields=["password"])
            Membership.objects.create(user=owner, company=company, role=Role.OWNER)
            rng = random.Random(company_index)
            batch = []
            for index in range(n_customers):
                batch.append(build_customer(company, company_index, index, rng))
                if len(batch) == BATCH_SIZE:
                    Client.objects.bulk_create(batch)
                    batch = []
            if batch:
                Client.objects.bulk_create(batch)
        print(f"  company {company_index + 1}/{n_companies}: {n_customers} customers")
    # What autovacuum would do soon after a bulk load: statistics and visibility map.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE crm_client")
    print(f"Generated in {time.perf_counter() - started:.1f} s")


def ensure_data(n_companies: int, n_customers: int, reset: bool) -> None:
    if not reset and data_matches(n_companies, n_customers):
        print(f"Reusing {n_companies} companies x {n_customers} customers")
        return
    delete_bench_data()
    print(f"Generating {n_companies} companies x {n_customers} customers")
    generate(n_companies, n_customers)


# --- Measurement ----------------------------------------------------------------------------


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def logged_in_client(company):
    from django.test import Client as HttpClient

    from pgi.models import Membership
    from pgi.tenancy import SESSION_KEY

    owner = Membership.objects.get(company=company).user
    http = HttpClient()
    http.force_login(owner)
    session = http.session
    session[SESSION_KEY] = company.pk
    session.save()
    return http


def get_ok(http, url: str):
    response = http.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}, expected 200.")
    return response


def measure(http, url: str, args: argparse.Namespace) -> dict:
    """Query count of the warm-up requests, then `runs` x `requests` timed requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Query count on untimed requests: capturing adds overhead we do not want in the timings.
    counts = set()
    for _ in range(max(args.warmup, 1)):
        with CaptureQueriesContext(connection) as captured:
            get_ok(http, url)
        counts.add(len(captured))
    queries = [q["sql"] for q in captured.captured_queries]
    runs = []
    for _ in range(args.runs):
        samples = []
        for _ in range(args.requests):
            start = time.perf_counter()
            http.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        runs.append(samples)
    return {
        "url": url,
        "queries": sorted(counts),
        "sql": queries,
        "p50": [percentile(s, 50) for s in runs],
        "p95": [percentile(s, 95) for s in runs],
        "min": min(min(s) for s in runs),
        "max": max(max(s) for s in runs),
    }


def fmt_spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def print_report(results: list[tuple[str, dict]], args: argparse.Namespace, company) -> None:
    from django import get_version
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print()
    print(
        f"Date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · Django {get_version()} · PostgreSQL {pg_version}"
    )
    print(
        f"Data: {args.companies} companies x {args.customers} customers "
        f"({args.companies * args.customers} in all); measured company: {company}"
    )
    print(
        f"Each scenario: {args.warmup} warm-up requests, then {args.runs} runs of "
        f"{args.requests} timed requests; p50/p95 are the median of the runs (min–max)."
    )
    print()
    print("| scenario | URL | rows | SQL queries | p50 ms | p95 ms | min ms | max ms |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for label, r in results:
        queries = "/".join(str(n) for n in r["queries"])
        print(
            f"| {label} | `{r['url']}` | {r['rows']} | {queries} | {fmt_spread(r['p50'])} "
            f"| {fmt_spread(r['p95'])} | {r['min']:.1f} | {r['max']:.1f} |"
        )
    if args.sql:
        for label, r in results:
            print(f"\n-- {label}: {r['url']}")
            for statement in r["sql"]:
                print(statement + ";")


def main() -> None:
    args = parse_args()
    url = configure_environment()
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.urls import reverse

    from crm import selectors
    from crm.views import PAGE_SIZE

    call_command("migrate", interactive=False, verbosity=0)
    ensure_data(args.companies, args.customers, args.reset)

    company = bench_companies().first()
    http = logged_in_client(company)
    base = reverse("crm:client_list")
    last_page = max(1, math.ceil(args.customers / PAGE_SIZE))
    scenarios = [
        ("first page", base, ""),
        ("search", f"{base}?{urlencode({'q': args.search})}", args.search),
        ("last page", f"{base}?page={last_page}", ""),
    ]
    results = []
    for label, scenario_url, search in scenarios:
        print(f"Measuring {label}: GET {scenario_url}")
        result = measure(http, scenario_url, args)
        result["rows"] = selectors.client_lister(company=company, search=search).count()
        results.append((label, result))
    print_report(results, args, company)


if __name__ == "__main__":
    main()
