"""Reads on customers: always scoped to one company."""

from django.db.models import Q, QuerySet

from crm.models import Client, ClientStatus
from pgi.models import Company


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
