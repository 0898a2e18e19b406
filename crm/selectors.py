"""Reads on customers: always scoped to one company."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils import timezone

from crm.models import (
    Activite,
    ActiviteKind,
    Client,
    ClientStatus,
    Etape,
    Opportunite,
    OpportuniteStatut,
    PassageEtape,
)
from pgi.models import Company
from pgi.money import cents


def client_lister(*, company: Company, search: str = "", status: str = "") -> QuerySet[Client]:
    qs = Client.objects.for_company(company)
    if status in ClientStatus.values:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        compact = "".join(ch for ch in search if ch.isalnum())
        condition = (
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(billing_city__icontains=search)
        )
        if compact.isdigit():
            condition |= Q(siren__startswith=compact) | Q(siret__startswith=compact)
        qs = qs.filter(condition)
    return qs.order_by("name", "pk")


def client_lire(*, company: Company, pk: int) -> Client:
    """The customer `pk` of `company`; another company's customer does not exist here."""
    return Client.objects.for_company(company).select_related("company").get(pk=pk)


# The sales funnel ---------------------------------------------------------------------------


CARDS_PER_COLUMN = 30  # the rest through "et N autres…" (the list, filtered by stage)
CLOSED_SHOWN_DAYS = 90
ZERO = Decimal("0")

PROBABILITY = Coalesce(F("probability_override"), F("etape__probability"))
WEIGHTED = ExpressionWrapper(
    F("amount") * PROBABILITY / Decimal(100),
    output_field=DecimalField(max_digits=20, decimal_places=4),
)


def etape_lister(*, company: Company) -> list[Etape]:
    return list(Etape.objects.for_company(company).order_by("position", "pk"))


def opportunite_lister(
    *, company: Company, status: str = "", etape: str = "", owner: str = "", search: str = "",
    order: str = "",
) -> QuerySet[Opportunite]:  # fmt: skip
    """The list view: filters, and a sort among a few columns (`-` for descending)."""
    qs = (
        Opportunite.objects.for_company(company)
        .select_related("client", "etape", "owner")
        .annotate(probability_pct=PROBABILITY, weighted=WEIGHTED)
    )
    if status in OpportuniteStatut.values:
        qs = qs.filter(status=status)
    if etape.isdigit():
        qs = qs.filter(etape_id=int(etape))
    if owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    if search.strip():
        qs = qs.filter(
            Q(title__icontains=search.strip()) | Q(client__name__icontains=search.strip())
        )
    sorts = {"montant": "amount", "date": "expected_close_date", "titre": "title",
             "creee": "created_at", "ponderee": "weighted"}  # fmt: skip
    key = sorts.get(order.lstrip("-"))
    if key:
        column = (
            F(key).desc(nulls_last=True) if order.startswith("-") else F(key).asc(nulls_last=True)
        )
        return qs.order_by(column, "pk")
    return qs.order_by("-created_at", "-pk")


@dataclass
class Colonne:
    etape: Etape
    count: int = 0
    total: Decimal = ZERO
    weighted: Decimal = ZERO
    cards: list[Opportunite] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


def pipeline_tableau(
    *, company: Company, owner: int | None = None, per_column: int = CARDS_PER_COLUMN
) -> tuple[list[Colonne], dict]:
    """The kanban board in three queries whatever the number of opportunities: the stages,
    the count and totals of each column (SQL aggregates), and the first cards of each column
    (a window function). Open stages hold the open opportunities; won and lost stages those
    closed in the last CLOSED_SHOWN_DAYS days."""
    stages = etape_lister(company=company)
    since = timezone.now() - timedelta(days=CLOSED_SHOWN_DAYS)
    shown = Opportunite.objects.for_company(company).filter(
        Q(status=OpportuniteStatut.OPEN) | Q(closed_at__gte=since)
    )
    if owner is not None:
        shown = shown.filter(owner_id=owner)
    columns = {s.pk: Colonne(etape=s) for s in stages}
    for row in (
        shown.order_by()
        .values("etape_id")
        .annotate(n=Count("pk"), total=Sum("amount"), weighted=Sum(WEIGHTED))
    ):
        column = columns[row["etape_id"]]
        column.count, column.total, column.weighted = row["n"], row["total"], cents(row["weighted"])
    # The first cards of each column: ranked on the opportunity table alone, then only those
    # rows are joined to their customer and owner (bench/pipeline.py: 3x faster at 5,000).
    order = [F("expected_close_date").asc(nulls_last=True), F("pk").asc()]
    first = shown.annotate(
        rank=Window(RowNumber(), partition_by=[F("etape_id")], order_by=order)
    ).filter(rank__lte=per_column)
    cards = (
        Opportunite.objects.filter(pk__in=list(first.values_list("pk", flat=True)))
        .select_related("client", "owner")
        .annotate(probability_pct=PROBABILITY)
        .order_by(*order)
    )
    for opp in cards:
        columns[opp.etape_id].cards.append(opp)
    board = [columns[s.pk] for s in stages]
    open_columns = [c for c in board if not c.etape.is_closing]
    totals = {
        "count": sum(c.count for c in open_columns),
        "total": sum((c.total for c in open_columns), ZERO),
        "weighted": sum((c.weighted for c in open_columns), ZERO),
    }
    return board, totals


def opportunite_lire(*, company: Company, pk: int) -> Opportunite:
    return (
        Opportunite.objects.for_company(company)
        .select_related("client", "etape", "owner")
        .get(pk=pk)
    )


def mes_taches(*, company: Company, user, today: date | None = None) -> dict[str, list[Activite]]:
    """The user's open tasks due today and overdue (and the next ones), in one query."""
    today = today or timezone.localdate()
    tasks = list(
        Activite.objects.for_company(company)
        .filter(kind=ActiviteKind.TASK, done_at__isnull=True, assignee=user)
        .filter(due_date__lte=today + timedelta(days=7))
        .select_related("client", "opportunite")
        .order_by("due_date", "pk")
    )
    return {
        "overdue": [t for t in tasks if t.due_date < today],
        "today": [t for t in tasks if t.due_date == today],
        "soon": [t for t in tasks if t.due_date > today],
    }


@dataclass
class Statistiques:
    conversions: list[dict]  # {"from": Etape, "to": Etape, "reached": n, "passed": n, "rate"}
    won: int
    lost: int
    win_rate: Decimal | None
    average_days_to_close: Decimal | None
    months: list[dict]  # {"month": date | None, "count", "total", "weighted"}


WON_RANK = 10_000  # a won deal went past every open stage


def pipeline_statistiques(*, company: Company) -> Statistiques:
    """The funnel's statistics in four aggregate queries: how far each deal went (its stage
    history), closed deals, their time to close, the open pipeline by expected month."""
    stages = etape_lister(company=company)
    open_stages = [s for s in stages if not s.is_closing]
    furthest = (
        PassageEtape.objects.filter(company=company)
        .values("opportunite_id")
        .annotate(
            rank=Max(
                Case(
                    When(to_etape__is_won=True, then=Value(WON_RANK)),
                    When(to_etape__is_lost=True, then=Value(-1)),
                    default=F("to_etape__position"),
                    output_field=IntegerField(),
                )
            )
        )
        .values_list("rank", flat=True)
    )
    ranks = list(furthest)
    conversions = []
    for current, following in zip(open_stages, [*open_stages[1:], None], strict=True):
        reached = sum(1 for r in ranks if r >= current.position)
        passed_rank = following.position if following is not None else WON_RANK
        passed = sum(1 for r in ranks if r >= passed_rank)
        rate = (Decimal(passed * 100) / reached).quantize(Decimal("0.1")) if reached else None
        conversions.append({"from": current, "to": following, "reached": reached,
                            "passed": passed, "rate": rate})  # fmt: skip
    closed = (
        Opportunite.objects.for_company(company)
        .exclude(status=OpportuniteStatut.OPEN)
        .aggregate(
            won=Count("pk", filter=Q(status=OpportuniteStatut.WON)),
            lost=Count("pk", filter=Q(status=OpportuniteStatut.LOST)),
            duration=Avg(F("closed_at") - F("created_at"),
                         filter=Q(status=OpportuniteStatut.WON)),
        )
    )  # fmt: skip
    won, lost = closed["won"], closed["lost"]
    win_rate = (Decimal(won * 100) / (won + lost)).quantize(Decimal("0.1")) if won + lost else None
    days = None
    if closed["duration"] is not None:
        days = Decimal(closed["duration"].total_seconds() / 86400).quantize(Decimal("0.1"))
    return Statistiques(conversions=conversions, won=won, lost=lost, win_rate=win_rate,
                        average_days_to_close=days,
                        months=pipeline_par_mois(company=company))  # fmt: skip


def pipeline_par_mois(*, company: Company) -> list[dict]:
    """The open deals by expected signing month (those without a date last): count, amount
    and weighted amount (amount × probability). One query; the funnel's statistics and the
    sales dashboard read it."""
    return [
        {"month": row["month"], "count": row["n"], "total": row["total"],
         "weighted": cents(row["weighted"])}
        for row in Opportunite.objects.for_company(company)
        .filter(status=OpportuniteStatut.OPEN)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month")
        .annotate(n=Count("pk"), total=Sum("amount"), weighted=Sum(WEIGHTED))
        .order_by(F("month").asc(nulls_last=True))
    ]  # fmt: skip
