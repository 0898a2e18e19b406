from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from crm import selectors, services
from crm.models import Activite, Client, Contact, Etape, Opportunite
from pgi.activite import fil_client_page
from pgi.api import require
from pgi.exceptions import DomainError
from pgi.models import User
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
    legal_form: str = ""
    naf_code: str = ""
    source: Literal["", "site", "recommandation", "salon", "prospection", "reseaux", "autre"] = ""
    tags: list[str] = []


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
    legal_form: str | None = None
    naf_code: str | None = None
    source: (
        Literal["", "site", "recommandation", "salon", "prospection", "reseaux", "autre"] | None
    ) = None
    tags: list[str] | None = None


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


# Contacts, the sales funnel, activities and the customer's activity feed (issue #20) -------

contacts_router = Router(tags=["contacts"])
pipeline_router = Router(tags=["opportunités"])
activites_router = Router(tags=["activités"])
fil_router = Router(tags=["clients"])


class ContactIn(CleanSchema):
    client_id: int
    first_name: str = ""
    last_name: str = Field(..., min_length=1, max_length=100)
    job_title: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    is_primary: bool = False


class ContactPatch(CleanSchema):
    first_name: str | None = None
    last_name: str | None = Field(None, min_length=1, max_length=100)
    job_title: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    is_primary: bool | None = None


class ContactOut(Schema):
    id: int
    client_id: int
    first_name: str
    last_name: str
    job_title: str
    email: str
    phone: str
    mobile: str
    is_primary: bool


def _contact(request, contact_id: int) -> Contact:
    contact = Contact.objects.for_company(request.company).filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact


@contacts_router.get("/", response=list[ContactOut], summary="Lister les contacts")
@paginate(LimitOffsetPagination)
def list_contacts(request, client_id: int | None = None):
    require(request, Perm.VIEW)
    contacts = Contact.objects.for_company(request.company).order_by("last_name", "pk")
    return contacts.filter(client_id=client_id) if client_id else contacts


@contacts_router.post("/", response={201: ContactOut}, summary="Créer un contact")
def create_contact(request, payload: ContactIn):
    require(request, Perm.COMMERCIAL_WRITE)
    fields = payload.dict()
    client = _get(request, fields.pop("client_id"))
    return Status(201, services.contact_creer(client=client, fields=fields))


@contacts_router.get("/{contact_id}", response=ContactOut, summary="Lire un contact")
def read_contact(request, contact_id: int):
    require(request, Perm.VIEW)
    return _contact(request, contact_id)


@contacts_router.patch("/{contact_id}", response=ContactOut, summary="Modifier un contact")
def update_contact(request, contact_id: int, payload: ContactPatch):
    require(request, Perm.COMMERCIAL_WRITE)
    fields = payload.dict(exclude_unset=True)
    return services.contact_modifier(contact=_contact(request, contact_id), fields=fields)


@contacts_router.delete("/{contact_id}", response={204: None}, summary="Supprimer un contact")
def delete_contact(request, contact_id: int):
    require(request, Perm.COMMERCIAL_WRITE)
    services.contact_supprimer(contact=_contact(request, contact_id))
    return Status(204, None)


class EtapeOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool


class OpportuniteIn(CleanSchema):
    title: str = Field(..., min_length=1, max_length=200)
    client_id: int
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    expected_close_date: date | None = None
    etape_id: int | None = None
    probability_override: int | None = Field(None, ge=0, le=100)
    owner_id: int | None = None
    next_action: str = ""
    next_action_date: date | None = None


class OpportunitePatch(CleanSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    expected_close_date: date | None = None
    probability_override: int | None = Field(None, ge=0, le=100)
    owner_id: int | None = None
    next_action: str | None = None
    next_action_date: date | None = None


class OpportuniteOut(Schema):
    id: int
    title: str
    client_id: int
    amount: Decimal
    expected_close_date: date | None
    etape_id: int
    etape: str
    probability: int
    owner_id: int | None
    next_action: str
    next_action_date: date | None
    status: str
    close_reason: str
    created_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_etape(obj: Opportunite) -> str:
        return obj.etape.name


class DeplacementIn(CleanSchema):
    etape_id: int
    reason: str = ""


class PerteIn(CleanSchema):
    reason: str = Field(..., min_length=1, max_length=300)


class OpportuniteFilters(Schema):
    statut: str = ""
    etape_id: str = ""
    owner_id: str = ""
    q: str = ""
    tri: str = ""


def _opportunite(request, opportunite_id: int) -> Opportunite:
    try:
        return selectors.opportunite_lire(company=request.company, pk=opportunite_id)
    except Opportunite.DoesNotExist as exc:
        raise Http404 from exc


def _member(request, user_id: int | None):
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, memberships__company=request.company).first()
    if user is None:
        raise DomainError(_("Responsable inconnu."))
    return user


def _etape(request, etape_id: int) -> Etape:
    etape = Etape.objects.for_company(request.company).filter(pk=etape_id).first()
    if etape is None:
        raise DomainError(_("Étape inconnue."))
    return etape


@pipeline_router.get("/etapes", response=list[EtapeOut], summary="Étapes du tunnel de vente")
def list_etapes(request):
    require(request, Perm.VIEW)
    return selectors.etape_lister(company=request.company)


@pipeline_router.get("/", response=list[OpportuniteOut], summary="Lister les opportunités")
@paginate(LimitOffsetPagination)
def list_opportunites(request, filters: Query[OpportuniteFilters]):
    require(request, Perm.VIEW)
    return selectors.opportunite_lister(
        company=request.company, status=filters.statut, etape=filters.etape_id,
        owner=filters.owner_id, search=filters.q, order=filters.tri,
    )  # fmt: skip


@pipeline_router.post("/", response={201: OpportuniteOut}, summary="Créer une opportunité")
def create_opportunite(request, payload: OpportuniteIn):
    require(request, Perm.COMMERCIAL_WRITE)
    data = payload.dict()
    fields = {k: v for k, v in data.items() if k not in ("client_id", "etape_id", "owner_id")}
    fields["client"] = _get(request, data["client_id"])
    fields["owner"] = _member(request, data["owner_id"]) or request.user
    if data["etape_id"] is not None:
        fields["etape"] = _etape(request, data["etape_id"])
    opp = services.opportunite_creer(company=request.company, fields=fields, user=request.user)
    return Status(201, opp)


@pipeline_router.get("/{opportunite_id}", response=OpportuniteOut, summary="Lire une opportunité")
def read_opportunite(request, opportunite_id: int):
    require(request, Perm.VIEW)
    return _opportunite(request, opportunite_id)


@pipeline_router.patch(
    "/{opportunite_id}", response=OpportuniteOut, summary="Modifier une opportunité"
)
def update_opportunite(request, opportunite_id: int, payload: OpportunitePatch):
    require(request, Perm.COMMERCIAL_WRITE)
    fields = payload.dict(exclude_unset=True)
    if "owner_id" in fields:
        fields["owner"] = _member(request, fields.pop("owner_id"))
    opp = _opportunite(request, opportunite_id)
    return services.opportunite_modifier(opportunite=opp, fields=fields, user=request.user)


@pipeline_router.post(
    "/{opportunite_id}/deplacer", response=OpportuniteOut,
    summary="Changer d'étape (une étape perdue demande un motif)",
)  # fmt: skip
def move_opportunite(request, opportunite_id: int, payload: DeplacementIn):
    require(request, Perm.COMMERCIAL_WRITE)
    opp = _opportunite(request, opportunite_id)
    return services.opportunite_deplacer(
        opportunite=opp, etape=_etape(request, payload.etape_id), user=request.user,
        reason=payload.reason,
    )  # fmt: skip


class GainIn(CleanSchema):
    reason: str = Field("", max_length=300)


@pipeline_router.post("/{opportunite_id}/gagner", response=OpportuniteOut, summary="Gagnée")
def win_opportunite(request, opportunite_id: int, payload: GainIn):
    """Body `{}` or `{"reason": "…"}`."""
    require(request, Perm.COMMERCIAL_WRITE)
    opp = _opportunite(request, opportunite_id)
    return services.opportunite_gagner(opportunite=opp, user=request.user, reason=payload.reason)


@pipeline_router.post("/{opportunite_id}/perdre", response=OpportuniteOut, summary="Perdue")
def lose_opportunite(request, opportunite_id: int, payload: PerteIn):
    require(request, Perm.COMMERCIAL_WRITE)
    opp = _opportunite(request, opportunite_id)
    return services.opportunite_perdre(opportunite=opp, reason=payload.reason, user=request.user)


class ActiviteIn(CleanSchema):
    kind: Literal["appel", "email", "rdv", "note", "tache"]
    subject: str = Field(..., min_length=1, max_length=200)
    body: str = ""
    client_id: int
    opportunite_id: int | None = None
    due_date: date | None = None
    assignee_id: int | None = None


class ActiviteOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    client_id: int
    opportunite_id: int | None
    due_date: date | None
    assignee_id: int | None
    done_at: datetime | None
    created_at: datetime


class ActiviteFilters(Schema):
    client_id: int | None = None
    opportunite_id: int | None = None
    kind: str = ""
    a_faire: bool = False


@activites_router.get("/", response=list[ActiviteOut], summary="Lister les activités")
@paginate(LimitOffsetPagination)
def list_activites(request, filters: Query[ActiviteFilters]):
    require(request, Perm.VIEW)
    qs = Activite.objects.for_company(request.company).order_by("-created_at", "-pk")
    if filters.client_id:
        qs = qs.filter(client_id=filters.client_id)
    if filters.opportunite_id:
        qs = qs.filter(opportunite_id=filters.opportunite_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.a_faire:
        qs = qs.filter(kind="tache", done_at__isnull=True).order_by("due_date", "pk")
    return qs


@activites_router.post("/", response={201: ActiviteOut}, summary="Créer une activité")
def create_activite(request, payload: ActiviteIn):
    require(request, Perm.COMMERCIAL_WRITE)
    data = payload.dict()
    fields = {k: v for k, v in data.items() if not k.endswith("_id")}
    fields["client"] = _get(request, data["client_id"])
    if data["opportunite_id"] is not None:
        fields["opportunite"] = _opportunite(request, data["opportunite_id"])
    fields["assignee"] = _member(request, data["assignee_id"])
    activite = services.activite_creer(company=request.company, fields=fields, user=request.user)
    return Status(201, activite)


@activites_router.post("/{activite_id}/terminer", response=ActiviteOut, summary="Tâche faite")
def done_activite(request, activite_id: int):
    require(request, Perm.COMMERCIAL_WRITE)
    activite = Activite.objects.for_company(request.company).filter(pk=activite_id).first()
    if activite is None:
        raise Http404
    return services.activite_terminer(activite=activite, user=request.user)


class LigneFilOut(Schema):
    at: datetime
    famille: str
    text: str
    reference: str
    url: str
    user: str


class FilOut(Schema):
    items: list[LigneFilOut]
    next: str | None


@fil_router.get("/{client_id}/fil", response=FilOut, summary="Fil d'activité d'un client")
def client_timeline(request, client_id: int, type: str = "", avant: str = ""):
    """Newest first, 50 a page; `avant` is the `next` of the previous page."""
    require(request, Perm.VIEW)
    client = _get(request, client_id)
    before = None
    if avant:
        at, _sep, pk = avant.rpartition("_")
        parsed = parse_datetime(at.replace(" ", "+"))
        if parsed is None or not pk.isdigit():
            raise DomainError(_("Curseur « avant » invalide."))
        before = (parsed, int(pk))
    lignes, nxt = fil_client_page(
        company=request.company, client_id=client.pk, famille=type, before=before
    )
    return {"items": lignes, "next": f"{nxt[0].isoformat()}_{nxt[1]}" if nxt else None}
