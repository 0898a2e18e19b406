"""The dashboards' figures (issue #19): receivables (aging balance, DSO, expected cash-in),
sales (revenue by month against the previous year, top customers) and the accountant's
portfolio. Each is one aggregate query whatever the number of invoices (bench/receivables.py).

What is owed comes from `ResteDu`, kept equal to facturation's one "reste dû"; the aging
buckets are the receivables list's (`encaissement.relances.selectors.FILTRES`)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from comptabilite.models import Cloture
from comptabilite.selectors import add_months, month_end
from comptabilite.tableaux.models import ResteDu
from comptabilite.tableaux.registry import tva_due
from comptabilite.tableaux.sql import REBUILD
from crm.models import Client
from encaissement.relances.selectors import FILTRES_PAR_CLE, efficacite_par_niveau
from facturation.models import Facture, Status
from facturation.selectors import ZERO, sales
from pgi.models import Company, Membership
from pgi.money import CENT

# The aging balance's columns, in order: the receivables list's own filters.
BUCKETS = tuple(
    FILTRES_PAR_CLE[key]
    for key in ("a_echoir", "retard_1_30", "retard_31_60", "retard_61_90", "retard_90")
)
NOT_DUE = BUCKETS[0]
NOTHING = Decimal("0.00")
DSO_DAYS = 90
FORECAST_WEEKS = 8
# An invoice this many days past its due date is doubtful: not expected in the coming weeks.
DOUBTFUL_DAYS = 90
# The customer's own delay is read from the invoices it settled this many days back.
DELAY_HISTORY_DAYS = 365


# Periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Periode:
    """Whole months, from the first day of `start`'s month to the last of `end`'s."""

    start: date
    end: date

    @classmethod
    def last_months(cls, today: date, months: int = 12) -> "Periode":
        first = add_months(today.replace(day=1), 1 - months)
        return cls(first, month_end(today))

    @classmethod
    def parse(cls, start: str, end: str, *, today: date) -> "Periode":
        """From `YYYY-MM` months (a month picker); the last 12 months when either is invalid
        or when they are backwards. At most 36 months."""
        try:
            first = date.fromisoformat(f"{start}-01")
            last = month_end(date.fromisoformat(f"{end}-01"))
        except ValueError:
            return cls.last_months(today)
        if last < first:
            return cls.last_months(today)
        if add_months(first, 36) <= last:
            first = add_months(last.replace(day=1), -35)
        return cls(first, last)

    @property
    def months(self) -> list[date]:
        months, current = [], self.start
        while current <= self.end:
            months.append(current)
            current = add_months(current, 1)
        return months

    @property
    def previous_year(self) -> "Periode":
        return Periode(add_months(self.start, -12), month_end(add_months(self.end, -12)))


# Receivables -------------------------------------------------------------------------------


def reste_du_reconstruire(*, company: Company) -> None:
    """Recomputes every invoice's `ResteDu` row of `company` with the triggers' own function:
    after rows were loaded with the triggers off (a bench, a restore)."""
    with connection.cursor() as cursor:
        cursor.execute(REBUILD, [company.pk])


def ouvertes(*, company: Company) -> QuerySet[ResteDu]:
    """The open invoices with a due date (the receivables list's `factures_ouvertes`)."""
    return ResteDu.objects.filter(company=company, amount_due__gt=0, due_date__isnull=False)


def encours(*, company: Company, today: date) -> dict:
    """What is still owed, what of it is overdue, and on how many invoices. One query."""
    overdue = ~NOT_DUE.q(today)
    row = ouvertes(company=company).aggregate(
        due=Coalesce(Sum("amount_due"), ZERO),
        overdue=Coalesce(Sum("amount_due", filter=overdue), ZERO),
        overdue_count=Count("pk", filter=overdue),
        count=Count("pk"),
    )
    return row


@dataclass
class LigneAgee:
    client_id: int
    client: str
    buckets: dict[str, Decimal]
    total: Decimal = field(default=Decimal("0"))


def euros(cents_: int | Decimal) -> Decimal:
    """Whole cents as euros: 12345 → 123.45 (exact)."""
    return Decimal(cents_).scaleb(-2).quantize(CENT)


def balance_agee(*, company: Company, today: date, limit: int | None = None) -> dict:
    """The aging balance (balance âgée): per customer, what is owed by bucket (not due,
    1-30, 31-60, 61-90, over 90 days late), biggest first, with the totals of every customer;
    the `limit` biggest only in `lines` (their names read after grouping). Two queries.

    Named SQL around the ORM's grouping (whose buckets are the receivables list's filters):
    the sort, the limit and the totals over every customer are done by PostgreSQL, so a page
    handles 20 rows, not one per customer (2,000 in bench/receivables.py), and the sums are
    of whole cents (integers: 30-45 % faster than numerics), turned back into euros here."""
    aggregates = {b.key: Coalesce(Sum("cents_due", filter=b.q(today)), 0) for b in BUCKETS}
    grouped = (
        ouvertes(company=company)
        .values("client_id")
        .annotate(**aggregates)
        .order_by()
        .values_list("client_id", *aggregates)
    )
    sql, params = grouped.query.sql_with_params()
    keys = [f'"{b.key}"' for b in BUCKETS]
    query = (
        f"WITH g AS ({sql}), t AS (SELECT g.*, {' + '.join(keys)} AS total FROM g) "
        f"(SELECT 'c', client_id, total, {', '.join(keys)}, NULL::bigint, NULL::bigint "
        f"FROM t ORDER BY total DESC, client_id LIMIT {'ALL' if limit is None else int(limit)}) "
        f"UNION ALL SELECT 't', NULL, SUM(total), {', '.join(f'SUM({k})' for k in keys)}, "
        f'COUNT(*), COUNT(*) FILTER (WHERE total > "{NOT_DUE.key}") FROM t'
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    # UNION ALL does not promise an order: each row says what it is.
    shown = sorted((r[1:] for r in rows if r[0] == "c"), key=lambda r: (-r[1], r[0]))
    summary = next(r[1:] for r in rows if r[0] == "t")
    names = client_names(company=company, ids=[row[0] for row in shown])
    lines = [
        LigneAgee(row[0], names[row[0]],
                  {b.key: euros(v) for b, v in zip(BUCKETS, row[2:7], strict=True)},
                  euros(row[1]))
        for row in shown
    ]  # fmt: skip
    totals = {b.key: euros(v or 0) for b, v in zip(BUCKETS, summary[2:7], strict=True)}
    return {
        "buckets": BUCKETS,
        "lines": lines,
        "customers": summary[7],
        "late_customers": summary[8],  # owing more than what is not due yet
        "totals": totals,
        "total": euros(summary[1] or 0),
        "overdue": sum((v for k, v in totals.items() if k != NOT_DUE.key), NOTHING),
    }


def dso(*, company: Company, today: date, outstanding: Decimal, days: int = DSO_DAYS):
    """Days sales outstanding over the last `days` days: what is owed now ÷ sales incl. VAT of
    those days (credit notes deducted) × `days`. None without sales."""
    sold = (
        Facture.objects.for_company(company)
        .filter(status=Status.ISSUED, issue_date__gt=today - timedelta(days=days))
        .filter(issue_date__lte=today)
        .aggregate(s=sales("total_incl_vat"))["s"]
    )
    if not sold or sold <= 0:
        return None
    return (outstanding / sold * days).quantize(Decimal("0.1"))


def previsions(*, company: Company, today: date, weeks: int = FORECAST_WEEKS) -> dict:
    """Expected cash-in per week (weeks start on Monday, this one first) for `weeks` weeks.

    Each open invoice is expected on the date of its running promise to pay; without one, on
    its due date moved by the customer's average delay on the invoices it settled in the last
    year (never earlier). An invoice expected before today counts in this week, unless it is
    over 90 days late (`doubtful`, shown apart). One query (named SQL: the delays and
    promises grouped once and joined to the open invoices, rather than a subquery each)."""
    monday = today - timedelta(days=today.weekday())
    query = """
        WITH delay AS (
            SELECT client_id, GREATEST(ROUND(AVG(settled_on - due_date)), 0)::integer AS days
            FROM tableaux_restedu
            WHERE company_id = %(company)s AND settled_on >= %(since)s AND due_date IS NOT NULL
            GROUP BY client_id
        ), promise AS (
            SELECT facture_id, MAX(date) AS until FROM encaissement_promessepaiement
            WHERE company_id = %(company)s AND date >= %(today)s GROUP BY facture_id
        ), open AS (
            SELECT r.amount_due, r.due_date,
                   COALESCE(p.until, r.due_date + COALESCE(d.days, 0)) AS expected
            FROM tableaux_restedu r
            LEFT JOIN delay d ON d.client_id = r.client_id
            LEFT JOIN promise p ON p.facture_id = r.facture_id
            WHERE r.company_id = %(company)s AND r.amount_due > 0 AND r.due_date IS NOT NULL
        )
        SELECT CASE WHEN due_date < %(doubtful)s AND expected < %(today)s THEN -1
                    ELSE (GREATEST(expected, %(today)s) - %(monday)s) / 7 END AS week,
               SUM(amount_due), COUNT(*)
        FROM open GROUP BY 1
    """
    params = {
        "company": company.pk, "today": today, "monday": monday,
        "since": today - timedelta(days=DELAY_HISTORY_DAYS),
        "doubtful": today - timedelta(days=DOUBTFUL_DAYS),
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = {week: (amount, count) for week, amount, count in cursor.fetchall()}
    zero = (NOTHING, 0)
    later = [v for k, v in rows.items() if k >= weeks]
    return {
        "weeks": [
            {
                "start": monday + timedelta(weeks=i),
                "amount": rows.get(i, zero)[0],
                "count": rows.get(i, zero)[1],
            }
            for i in range(weeks)
        ],  # fmt: skip
        "later": sum((a for a, _n in later), NOTHING),
        "doubtful": rows.get(-1, zero)[0],
    }


def chiffres_accueil(*, company: Company, today: date) -> dict:
    """The home page's cards: sales excl. VAT of the last 12 months, what is owed and
    overdue. Two queries."""
    sold = (
        Facture.objects.for_company(company)
        .filter(status=Status.ISSUED, issue_date__gt=today - timedelta(days=365))
        .aggregate(s=sales("total_excl_vat"))["s"]
    )
    return {"sales_excl_vat": sold, **encours(company=company, today=today)}


def creances_tableau(*, company: Company, today: date, limit: int | None = None) -> dict:
    """Everything the receivables tab shows: totals, aging balance (its `limit` biggest
    customers), DSO, forecast."""
    aging = balance_agee(company=company, today=today, limit=limit)
    return {
        "aging": aging,
        "dso": dso(company=company, today=today, outstanding=aging["total"]),
        "forecast": previsions(company=company, today=today),
    }


# Sales -------------------------------------------------------------------------------------


def ventes_par_mois(*, company: Company, periode: Periode) -> list[dict]:
    """Revenue excl. VAT (invoices minus credit notes) per month of `periode`, with the same
    month of the previous year. One query, grouped by day (a plain column of the covering
    index, no date function per row: twice as fast as by month) and folded into months here."""
    rows = (
        Facture.objects.for_company(company)
        .filter(status=Status.ISSUED, issue_date__range=(periode.previous_year.start, periode.end))
        .values("issue_date")
        .annotate(amount=sales("total_excl_vat"))
        .order_by()
        .values_list("issue_date", "amount")
    )
    per_month: dict[date, Decimal] = {}
    for day, amount in rows:
        month = day.replace(day=1)
        per_month[month] = per_month.get(month, NOTHING) + amount
    return [
        {"month": m, "amount": per_month.get(m, NOTHING),
         "previous": per_month.get(add_months(m, -12), NOTHING)}
        for m in periode.months
    ]  # fmt: skip


PARETO_SHARE = Decimal("0.8")


def meilleurs_clients(*, company: Company, periode: Periode, limit: int = 10) -> dict:
    """Customers by revenue excl. VAT over `periode`, biggest first, each with its share and
    the cumulated share; how many customers make 80 % of it (the 80/20 view). Two queries.

    Named SQL around the ORM's grouping, as for the aging balance: PostgreSQL sorts, keeps
    the `limit` biggest and counts the 80/20 customers (a running sum), so the page handles
    10 rows rather than one per customer."""
    grouped = (
        Facture.objects.for_company(company)
        .filter(status=Status.ISSUED, issue_date__range=(periode.start, periode.end))
        .values("client_id")
        .annotate(amount=sales("total_excl_vat"))
        .order_by()
        .values_list("client_id", "amount")
    )
    sql, params = grouped.query.sql_with_params()
    query = (
        f"WITH g AS ({sql}), t AS (SELECT client_id, amount, COALESCE(SUM(amount) OVER ("
        "ORDER BY amount DESC, client_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
        " AS before FROM g), s AS (SELECT COALESCE(SUM(amount), 0) AS total FROM g) "
        f"(SELECT 'c', client_id, amount, NULL::bigint FROM t ORDER BY amount DESC, client_id "
        f"LIMIT {int(limit)}) UNION ALL SELECT 't', NULL, s.total, (SELECT COUNT(*) FROM t) "
        "FROM s UNION ALL SELECT 'p', NULL, NULL, COUNT(*) FROM t, s WHERE s.total > 0 AND "
        "t.before < s.total * %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, PARETO_SHARE))
        rows = cursor.fetchall()
    # UNION ALL does not promise an order: each row says what it is.
    shown = sorted((r[1:3] for r in rows if r[0] == "c"), key=lambda r: (-r[1], r[0]))
    (_t, _n, total, customers), (_p, _c, _a, pareto) = (
        next(r for r in rows if r[0] == kind) for kind in "tp"
    )
    cumulated, lines = Decimal("0"), []
    for client_id, amount in shown:
        share = amount / total if total > 0 else Decimal("0")
        cumulated += share
        lines.append({"client_id": client_id, "amount": amount, "share": share,
                      "cumulated": cumulated})  # fmt: skip
    names = client_names(company=company, ids=[line["client_id"] for line in lines])
    for line in lines:
        line["client"] = names.get(line["client_id"], "")
    return {"lines": lines, "total": total, "customers": customers, "pareto": pareto}


def client_names(*, company: Company, ids: list[int]) -> dict[int, str]:
    """Names of the customers a figure shows, read after grouping (grouping by name costs)."""
    return dict(Client.objects.for_company(company).filter(pk__in=ids).values_list("pk", "name"))


def ventes_tableau(*, company: Company, periode: Periode) -> dict:
    months = ventes_par_mois(company=company, periode=periode)
    return {
        "months": months,
        "total": sum((m["amount"] for m in months), NOTHING),
        "previous_total": sum((m["previous"] for m in months), NOTHING),
        "top": meilleurs_clients(company=company, periode=periode),
    }


def relances_tableau(*, company: Company, periode: Periode) -> dict:
    """VAT due (from the books, once they register it) and dunning effectiveness per level."""
    return {
        "tva": tva_due(company=company, start=periode.start, end=periode.end),
        "efficacite": efficacite_par_niveau(company=company),
    }


# The accountant's portfolio ----------------------------------------------------------------


def portefeuille(*, user, today: date) -> list[dict]:
    """Every company `user` belongs to, with what is overdue there, its VAT due this month
    (when the books give it), its last closure and its last integrity check. Three queries
    whatever the number of companies (plus the VAT source's own)."""
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("company")
        .order_by("company__legal_name")
    )
    ids = [m.company_id for m in memberships]
    overdue_q = ~NOT_DUE.q(today)
    overdue = {
        r["company_id"]: r
        for r in ResteDu.objects.filter(company_id__in=ids, amount_due__gt=0)
        .filter(due_date__isnull=False)
        .filter(overdue_q)
        .values("company_id")
        .annotate(amount=Sum("amount_due"), count=Count("pk"))
        .order_by()
    }
    closures = {
        c.company_id: c
        for c in Cloture.objects.filter(company_id__in=ids)
        .order_by("company_id", "-period_end", "kind")
        .distinct("company_id")
        .only("company_id", "reference", "period_end", "closed_at")
    }
    checks = cache.get_many([f"integrity:{pk}:last" for pk in ids])
    month = Periode(today.replace(day=1), month_end(today))
    return [
        {
            "membership": m,
            "company": m.company,
            "overdue": overdue.get(m.company_id, {}).get("amount") or Decimal("0"),
            "overdue_count": overdue.get(m.company_id, {}).get("count") or 0,
            "tva": tva_due(company=m.company, start=month.start, end=month.end),
            "closure": closures.get(m.company_id),
            "integrity": checks.get(f"integrity:{m.company_id}:last"),
        }
        for m in memberships
    ]
