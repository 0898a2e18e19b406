"""Reads on payments, always scoped to one company."""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from crm.models import Client
from encaissement.models import Affectation, Paiement
from facturation.models import Facture, Status
from facturation.selectors import with_amount_due
from pgi.models import Company

AMOUNT = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=AMOUNT)


def montant_regle():
    """What was paid on the invoice `OuterRef("pk")`, net of reversals (registered with
    `facturation.selectors.register_settlement`: the one "reste dû" subtracts it)."""
    return Coalesce(
        Subquery(
            Affectation.objects.filter(facture=OuterRef("pk"))
            .values("facture")
            .annotate(total=Sum("amount"))
            .values("total")[:1],
            output_field=AMOUNT,
        ),
        ZERO,
    )


def with_available(qs: QuerySet[Paiement]) -> QuerySet[Paiement]:
    """Annotates `allocated` and `available` (what is left to allocate) on each payment."""
    allocated = Coalesce(
        Subquery(
            Affectation.objects.filter(paiement=OuterRef("pk"))
            .values("paiement")
            .annotate(total=Sum("amount"))
            .values("total")[:1],
            output_field=AMOUNT,
        ),
        ZERO,
    )
    return qs.annotate(allocated=allocated).annotate(available=Coalesce("amount", ZERO) - allocated)


def paiement_lister(
    *, company: Company, client: Client | None = None, search: str = ""
) -> QuerySet[Paiement]:
    qs = Paiement.objects.for_company(company).select_related("client", "reverses", "reversal")
    if client is not None:
        qs = qs.filter(client=client)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(number__icontains=search) | Q(client__name__icontains=search)
            | Q(reference__icontains=search) | Q(payer__icontains=search)
        )  # fmt: skip
    return with_available(qs).order_by("-date", "-pk")


def paiement_lire(*, company: Company, pk: int) -> Paiement:
    qs = Paiement.objects.for_company(company).select_related("client", "reverses", "reversal")
    return (
        with_available(qs)
        .prefetch_related(
            Prefetch("affectations", queryset=Affectation.objects.select_related("facture"))
        )
        .get(pk=pk)
    )


def solde_client(client: Client) -> Decimal:
    """The customer's credit: what it paid that is not allocated to an invoice yet."""
    paid = Paiement.objects.filter(client=client).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    allocated = Affectation.objects.filter(paiement__client=client).aggregate(s=Sum("amount"))[
        "s"
    ] or Decimal("0")
    return paid - allocated


def affectations_de_facture(facture: Facture) -> QuerySet[Affectation]:
    return facture.affectations.select_related("paiement").order_by("created_at", "pk")


def reste_du_client(client: Client) -> Decimal:
    """What the customer still owes on its issued invoices (facturation's one "reste dû")."""
    due = (
        with_amount_due(Facture.objects.filter(client=client, status=Status.ISSUED))
        .filter(amount_due__gt=0)
        .aggregate(s=Sum("amount_due"))["s"]
    )
    return due or Decimal("0")
