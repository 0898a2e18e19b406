"""Reads on payments, always scoped to one company."""

import json
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from crm.models import Client
from encaissement.models import Affectation, Imputation, Method, Paiement
from facturation.models import Facture, Status
from facturation.selectors import Reduction, with_amount_due
from pgi.models import Company, Enregistrement, RecordKind
from pgi.money import CENT

AMOUNT = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=AMOUNT)


# What was paid on each invoice, net of reversals: registered with
# `facturation.selectors.register_settlement`, so the one "reste dû" subtracts it.
MONTANT_REGLE = Reduction(rows=lambda: Affectation.objects.all(), key="facture", amount="amount")
# A credit note set against another invoice: that invoice owes less, the credit note's own
# invoice owes that much more (its credit note no longer covers it).
IMPUTATIONS_RECUES = Reduction(
    rows=lambda: Imputation.objects.all(), key="facture", amount="amount"
)
IMPUTATIONS_FAITES = Reduction(
    rows=lambda: Imputation.objects.all(), key="avoir__origin", amount=-F("amount")
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


def paiements_scelles(*, company: Company, start: date, end: date) -> list[tuple[int, dict]]:
    """(sequence, sealed document) of every payment and reversal dated in the period, in
    sealing order. Read from the sealed records: closures total what was sealed."""
    numbers = Paiement.objects.filter(company=company, date__range=(start, end)).values("number")
    records = Enregistrement.objects.filter(
        company=company,
        kind__in=[RecordKind.PAYMENT, RecordKind.PAYMENT_REVERSAL],
        reference__in=Subquery(numbers),
    ).values_list("sequence", "payload")
    return sorted((sequence, json.loads(bytes(payload))["doc"]) for sequence, payload in records)


def totaux_encaissements(sealed: list[tuple[int, dict]]) -> dict:
    """Count, total and total per method of sealed payments (reversals count negatively: their
    amount is negative). What closures keep, and what any period shows on demand."""
    per_method: dict[str, Decimal] = {method: Decimal("0") for method in Method.values}
    count = 0
    for _sequence, doc in sealed:
        per_method[doc["method"]] += Decimal(doc["amount"])
        count += 1
    return {
        "count": count,
        "per_method": [
            {"method": method, "amount": format(amount.quantize(CENT), "f")}
            for method, amount in per_method.items()
        ],
        "total": format(sum(per_method.values(), Decimal("0")).quantize(CENT), "f"),
    }
