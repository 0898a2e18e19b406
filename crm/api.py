from typing import Literal

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from crm import selectors, services
from crm.models import Client
from pgi.api import require
from pgi.permissions import Perm
from pgi.schemas import CleanSchema

router = Router(tags=["clients"])


class ClientIn(CleanSchema):
    kind: Literal["entreprise", "particulier"] = "entreprise"
    status: Literal["prospect", "client"] = "prospect"
    name: str = Field(..., min_length=1, max_length=200)
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    email: str = ""
    phone: str = ""
    billing_line1: str = ""
    billing_line2: str = ""
    billing_postal_code: str = ""
    billing_city: str = ""
    billing_country: str = "FR"
    delivery_line1: str = ""
    delivery_line2: str = ""
    delivery_postal_code: str = ""
    delivery_city: str = ""
    delivery_country: str = ""
    payment_terms_days: int | None = None
    notes: str = ""


class ClientPatch(CleanSchema):
    kind: Literal["entreprise", "particulier"] | None = None
    status: Literal["prospect", "client"] | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    email: str | None = None
    phone: str | None = None
    billing_line1: str | None = None
    billing_line2: str | None = None
    billing_postal_code: str | None = None
    billing_city: str | None = None
    billing_country: str | None = None
    payment_terms_days: int | None = None
    notes: str | None = None


class ClientOut(ClientIn):
    id: int
    created_at: str

    @staticmethod
    def resolve_created_at(obj: Client) -> str:
        return obj.created_at.isoformat()


class ClientFilters(Schema):
    q: str = ""
    statut: str = ""


def _get(request, client_id: int) -> Client:
    try:
        return selectors.client_lire(company=request.company, pk=client_id)
    except Client.DoesNotExist as exc:
        raise Http404 from exc


@router.get("/", response=list[ClientOut], summary="Lister les clients")
@paginate(LimitOffsetPagination)
def list_clients(request, filters: Query[ClientFilters]):
    require(request, Perm.VIEW)
    return selectors.client_lister(company=request.company, search=filters.q, status=filters.statut)


@router.post("/", response={201: ClientOut}, summary="Créer un client")
def create_client(request, payload: ClientIn):
    require(request, Perm.COMMERCIAL_WRITE)
    return Status(201, services.client_creer(company=request.company, fields=payload.dict()))


@router.get("/{client_id}", response=ClientOut, summary="Lire un client")
def read_client(request, client_id: int):
    require(request, Perm.VIEW)
    return _get(request, client_id)


@router.put("/{client_id}", response=ClientOut, summary="Remplacer un client")
def replace_client(request, client_id: int, payload: ClientIn):
    require(request, Perm.COMMERCIAL_WRITE)
    return services.client_modifier(client=_get(request, client_id), fields=payload.dict())


@router.patch("/{client_id}", response=ClientOut, summary="Modifier un client")
def update_client(request, client_id: int, payload: ClientPatch):
    require(request, Perm.COMMERCIAL_WRITE)
    fields = payload.dict(exclude_unset=True)
    return services.client_modifier(client=_get(request, client_id), fields=fields)
