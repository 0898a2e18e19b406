"""Reads on invoices and the catalogue, always scoped to one company."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce

from facturation.models import Article, Envoi, Facture, Kind, Status
from pgi.models import Company, Enregistrement

AMOUNT = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=AMOUNT)


@dataclass(frozen=True)
class Reduction:
    """Rows that reduce what is due on a document: `rows()` filtered on their `key` (the
    document's id), summing `amount` (a field, or an expression: a negative one adds to what
    is due). Credit notes are one; payments register theirs from the apps above facturation
    (`register_settlement`), so facturation never imports them."""

    rows: Callable[[], QuerySet]
    key: str
    amount: str | Combinable

    def per_document(self) -> Coalesce:
        """The reduction of the document `OuterRef("pk")` (a correlated subquery)."""
        return Coalesce(
            Subquery(
                self.rows()
                .filter(**{self.key: OuterRef("pk")})
                .values(self.key)
                .annotate(total=Sum(self.amount))
                .values("total")[:1],
                output_field=AMOUNT,
            ),
            ZERO,
        )

    def grouped(self, company: Company) -> QuerySet:
        """(document id, total) for every document of `company`, to join at scale."""
        return self.rows().filter(company=company).values(self.key).annotate(total=Sum(self.amount))


CREDIT_NOTES = Reduction(
    rows=lambda: Facture.objects.filter(kind=Kind.CREDIT_NOTE, status=Status.ISSUED),
    key="origin",
    amount="total_incl_vat",
)
SETTLEMENTS: list[Reduction] = []


def register_settlement(reduction: Reduction) -> Reduction:
    SETTLEMENTS.append(reduction)
    return reduction


class EtatPaiement:
    """An invoice's payment state, derived (never stored on the frozen invoice)."""

    UNPAID = "a_payer"
    PARTLY_PAID = "partielle"
    PAID = "payee"
    OVERDUE = "en_retard"


def etat_paiement(facture: Facture, *, today) -> str | None:
    """From the annotations of `with_amount_due`; None for a draft or a credit note."""
    due = getattr(facture, "amount_due", None)
    if due is None:
        return None
    if due <= 0:
        return EtatPaiement.PAID
    if facture.due_date is not None and facture.due_date < today:
        return EtatPaiement.OVERDUE
    if due < facture.total_incl_vat:
        return EtatPaiement.PARTLY_PAID
    return EtatPaiement.UNPAID


def with_amount_due(qs: QuerySet[Facture]) -> QuerySet[Facture]:
    """Annotates `amount_due`, what the customer still owes on each document: its total incl.
    VAT less its issued credit notes and what was paid on it (`amount_settled`); null for a
    draft or a credit note.

    The one place "reste dû" is computed (list, detail, API, public page); the dashboard sums
    the same reductions with joins (`dashboard_figures`)."""
    settled = ZERO
    for settlement in SETTLEMENTS:
        settled = settled + settlement.per_document()
    return qs.annotate(
        amount_settled=settled,
        amount_due=Case(
            When(Q(status=Status.DRAFT) | Q(kind=Kind.CREDIT_NOTE), then=Value(None)),
            default=F("total_incl_vat") - CREDIT_NOTES.per_document() - F("amount_settled"),
            output_field=AMOUNT,
        ),
    )


def facture_lister(
    *, company: Company, kind: str = "", status: str = "", search: str = ""
) -> QuerySet[Facture]:
    qs = Facture.objects.for_company(company).select_related("client")
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    if status in Status.values:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(client__name__icontains=search))
    return with_amount_due(qs).order_by("status", "-issue_date", "-number", "-pk")


def facture_lire(*, company: Company, pk: int) -> Facture:
    qs = Facture.objects.for_company(company).select_related("client", "origin")
    return with_amount_due(qs).get(pk=pk)


def article_lister(*, company: Company, search: str = "", active_only: bool = False):
    qs = Article.objects.for_company(company)
    if active_only:
        qs = qs.filter(active=True)
    if search.strip():
        qs = qs.filter(designation__icontains=search.strip())
    return qs.order_by("-active", "designation", "pk")


def dashboard_figures(*, company: Company, today) -> dict:
    """Sales of the last 12 months (credit notes deducted), what is still due and overdue.

    Two aggregate queries whatever the number of invoices."""
    issued = Facture.objects.for_company(company).filter(status=Status.ISSUED)
    sign = Case(When(kind=Kind.CREDIT_NOTE, then=-1), default=1)
    sales = issued.filter(issue_date__gt=today - timedelta(days=365)).aggregate(
        excl_vat=Coalesce(Sum(F("total_excl_vat") * sign), ZERO)
    )
    # What is due per invoice: the reductions of `with_amount_due`, grouped once and joined
    # (one pass over each table instead of a subquery per invoice: 100,000 invoices in
    # bench/receivables.py).
    base_sql, params = (
        issued.exclude(kind=Kind.CREDIT_NOTE)
        .order_by()
        .values("id", "total_incl_vat", "due_date")
        .query.sql_with_params()
    )
    joins, minus = [], []
    for index, reduction in enumerate([CREDIT_NOTES, *SETTLEMENTS]):
        sql, more = reduction.grouped(company).query.sql_with_params()
        joins.append(f'LEFT JOIN ({sql}) AS r{index} ON r{index}."{reduction.key}" = f.id')
        minus.append(f" - COALESCE(r{index}.total, 0)")
        params = (*params, *more)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(due), 0), COALESCE(SUM(due) FILTER (WHERE due_date < %s), 0), "
            "COUNT(*) FILTER (WHERE due_date < %s) FROM ("
            f"SELECT f.due_date, f.total_incl_vat{''.join(minus)} AS due FROM ({base_sql}) AS f "
            f"{' '.join(joins)}) AS open_invoices WHERE due > 0",
            [today, today, *params],
        )
        total_due, overdue, overdue_count = cursor.fetchone()
    due = {"due": total_due, "overdue": overdue, "overdue_count": overdue_count}
    return {"sales_excl_vat": sales["excl_vat"], **due}


# Entries that the apps above facturation add to a document's history (payments): functions
# facture -> [{"at": datetime, "label": "other", "detail": "", "text": str, "icon": str}].
TIMELINE_SOURCES: list[Callable[[Facture], list[dict]]] = []


def register_timeline_source(func: Callable[[Facture], list[dict]]):
    TIMELINE_SOURCES.append(func)
    return func


def facture_timeline(facture: Facture) -> list[dict]:
    """What happened to a document, oldest first: creation, issue and sealing, PDF, emails,
    credit notes, and what the apps above add (payments). Every entry comes from a row that
    never changes once written."""
    events = [{"at": facture.created_at, "label": "created", "detail": ""}]
    if facture.number:
        records = Enregistrement.objects.filter(
            company_id=facture.company_id, reference=facture.number
        ).values_list("kind", "sequence", "recorded_at")
        for kind, sequence, recorded_at in records:
            events.append({"at": recorded_at, "label": "pdf" if kind == "pdf" else "issued",
                           "detail": f"#{sequence}"})  # fmt: skip
    for envoi in facture.envois.all():
        events.append({"at": envoi.created_at, "label": "sent", "detail": envoi.recipients})
    for avoir in facture.credit_notes.filter(status=Status.ISSUED):
        events.append({"at": avoir.issued_at, "label": "credited", "detail": avoir.number})
    for source in TIMELINE_SOURCES:
        events.extend(source(facture))
    return sorted(events, key=lambda event: event["at"])


# Work after commit (pgi.queue): what the sweeper publishes again when its task was lost.
# How long a sender may take before another one takes its email over (it died mid-send).
CLAIM_EXPIRY = timedelta(minutes=10)
SWEEP_BATCH = 500


def pdfs_en_attente(*, before) -> list[int]:
    """Issued documents still without their PDF, issued before `before`."""
    pending = Facture.objects.filter(
        status=Status.ISSUED, issued_at__lt=before, pdf__isnull=True
    ).order_by("issued_at")
    return list(pending.values_list("pk", flat=True)[:SWEEP_BATCH])


def envois_en_attente(*, before, now) -> list[int]:
    """Emails recorded before `before`, not sent, and not being sent (or whose sender died)."""
    pending = (
        Envoi.objects.filter(sent_at__isnull=True, created_at__lt=before)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRY))
        .order_by("created_at")
    )
    return list(pending.values_list("pk", flat=True)[:SWEEP_BATCH])
