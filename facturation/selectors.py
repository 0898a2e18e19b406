"""Reads on invoices and the catalogue, always scoped to one company."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy

from crm.models import Client
from facturation.models import Article, Envoi, Facture, Kind, LigneFacture, Status
from facturation.plateforme import selectors as pa
from pgi.activite import fil_objet
from pgi.models import Company
from pgi.money import format_eur
from pgi.totals import compute_totals

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


class DueState(TextChoices):
    """Where an issued document stands against its due date (the dashboard's cards)."""

    DUE = "du", gettext_lazy("Reste dû")
    NOT_DUE = "a_echoir", gettext_lazy("À échoir")
    OVERDUE = "en_retard", gettext_lazy("En retard")


def facture_lister(
    *, company: Company, kind: str = "", status: str = "", search: str = "", due: str = "",
    plateforme: str = "", today: date | None = None,
) -> QuerySet[Facture]:  # fmt: skip
    """The documents of `company`, filtered; each with `amount_due` and `is_overdue` (still
    owed after its due date, `today`): the same definitions as `dashboard_figures`; and its
    status on the e-invoicing platform (`pa_status`), `plateforme="a_corriger"` keeping the
    rejected or refused ones not yet credited."""
    today = today or timezone.localdate()
    qs = Facture.objects.for_company(company).select_related("client")
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    if status in Status.values:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(client__name__icontains=search))
    qs = with_amount_due(qs).annotate(
        is_overdue=Case(
            When(amount_due__gt=0, due_date__lt=today, then=Value(True)),
            default=Value(False), output_field=BooleanField(),
        )
    )  # fmt: skip
    qs = pa.with_statut_pa(qs)
    if plateforme == pa.A_CORRIGER:
        qs = pa.a_corriger(qs)
    if due in DueState.values:
        qs = qs.filter(status=Status.ISSUED, amount_due__gt=0)
        if due == DueState.OVERDUE:
            qs = qs.filter(due_date__lt=today)
        elif due == DueState.NOT_DUE:
            qs = qs.filter(due_date__gte=today)
    return qs.order_by("status", "-issue_date", "-number", "-pk")


def with_draft_totals(factures: list[Facture]) -> list[Facture]:
    """Sets `draft_total` (incl. VAT, by the totals engine) on the drafts of `factures`, whose
    totals are only stored at issue: one query for all their lines."""
    drafts = {f.pk: f for f in factures if f.is_draft}
    if not drafts:
        return factures
    lines: dict[int, list[LigneFacture]] = {pk: [] for pk in drafts}
    for line in (
        LigneFacture.objects.filter(facture_id__in=drafts)
        .only("facture_id", "quantity", "unit_price", "discount_rate", "vat_rate")
        .order_by("facture_id", "position", "pk")
    ):
        lines[line.facture_id].append(line)
    for pk, facture in drafts.items():
        facture.draft_total = compute_totals(lines[pk]).total_incl_vat
    return factures


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


# A unit price this many times above (or below) the usual one is most likely mistyped:
# "29,90" read as 2990, a price typed in cents, a missing digit. A warning, never a refusal.
PRICE_WARNING_RATIO = Decimal("10")


# (above, against the catalogue) → the warning; whole sentences, for the translators.
_PRICE_WARNINGS = {
    (True, True): gettext_lazy(
        "Ligne %(n)d « %(d)s » : %(p)s, au moins 10 fois le prix du catalogue (%(ref)s)."
    ),
    (False, True): gettext_lazy(
        "Ligne %(n)d « %(d)s » : %(p)s, au plus un dixième du prix du catalogue (%(ref)s)."
    ),
    (True, False): gettext_lazy(
        "Ligne %(n)d « %(d)s » : %(p)s, au moins 10 fois le dernier prix facturé à ce client "
        "(%(ref)s)."
    ),
    (False, False): gettext_lazy(
        "Ligne %(n)d « %(d)s » : %(p)s, au plus un dixième du dernier prix facturé à ce client "
        "(%(ref)s)."
    ),
}


def _usual_prices(client: Client, designations: set[str]) -> dict[str, Decimal]:
    """The last price invoiced to `client` for each designation (lowercased), one query."""
    if not designations:
        return {}
    rows = (
        LigneFacture.objects.filter(
            facture__client=client, facture__status=Status.ISSUED, facture__kind=Kind.INVOICE
        )
        .annotate(key=Lower("designation"))
        .filter(key__in=designations)
        .order_by("key", "-facture__issued_at", "-pk")
        .distinct("key")
        .values_list("key", "unit_price")
    )
    return dict(rows)


def prix_inhabituels(*, client: Client, lines: list[dict]) -> list[str]:
    """A warning for each line whose unit price is at least ten times above, or at most a
    tenth of, its catalogue article's price or, without an article, the last price invoiced
    to this customer for the same designation. `lines`: dicts with `designation`,
    `unit_price` and `article` (an Article or None), as the editor and the saved lines give."""
    usual = _usual_prices(
        client, {line["designation"].strip().lower() for line in lines
                 if line.get("designation") and not line.get("article")},
    )  # fmt: skip
    warnings = []
    for position, line in enumerate(lines, start=1):
        price = line.get("unit_price")
        if not price or price <= 0:
            continue  # a free line is deliberate
        article = line.get("article")
        if article is not None and article.unit_price > 0:
            reference = article.unit_price
        elif (last := usual.get((line.get("designation") or "").strip().lower())) and last > 0:
            reference, article = last, None
        else:
            continue
        above = price >= reference * PRICE_WARNING_RATIO
        if not above and price * PRICE_WARNING_RATIO > reference:
            continue
        values = {"n": position, "d": line.get("designation") or "", "p": format_eur(price),
                  "ref": format_eur(reference)}  # fmt: skip
        warnings.append(_PRICE_WARNINGS[(above, article is not None)] % values)
    return warnings


def facture_prix_inhabituels(facture: Facture) -> list[str]:
    """`prix_inhabituels` of a saved draft's lines."""
    lines = [
        {"designation": line.designation, "unit_price": line.unit_price, "article": line.article}
        for line in facture.lines.select_related("article").order_by("position", "pk")
    ]
    return prix_inhabituels(client=facture.client, lines=lines)


def sales(field: str) -> Combinable:
    """The sum of `field` over issued documents, credit notes deducted: a credit note corrects
    a sale and counts negatively in every total (BOI-TVA-DECLA-30-10-30). Two filtered sums
    rather than a sum of signed products: 4 times faster over 50,000 rows (bench/README.md)."""
    credit_note = Q(kind=Kind.CREDIT_NOTE)
    return Coalesce(Sum(field, filter=~credit_note), ZERO) - Coalesce(
        Sum(field, filter=credit_note), ZERO
    )


def dashboard_figures(*, company: Company, today) -> dict:
    """Sales of the last 12 months (credit notes deducted), what is still due and overdue.

    Two aggregate queries whatever the number of invoices."""
    issued = Facture.objects.for_company(company).filter(status=Status.ISSUED)
    figures = issued.filter(issue_date__gt=today - timedelta(days=365)).aggregate(
        excl_vat=sales("total_excl_vat")
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
    return {"sales_excl_vat": figures["excl_vat"], **due}


def facture_timeline(facture: Facture) -> list[dict]:
    """What happened to a document, oldest first: its creation, then its lines of the
    customer's activity feed (pgi.activite), written by each app in the transaction of its
    action: issue and sealing, PDF, emails, credit notes, payments, reminders, disputes..."""
    events = [{"at": facture.created_at, "label": "created", "icon": "pencil", "text": ""}]
    for ligne in fil_objet(facture):
        events.append({"at": ligne.at, "label": "other", "icon": ligne.icon, "text": ligne.text})
    return events


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
