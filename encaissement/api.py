"""The payments API: payments (list, record, read, reverse, allocate), a customer's balance,
and the payment link of an invoice.

Endpoints parse, scope to the token's company, check the role and call the services of
`encaissement.services`; a `PaiementError` becomes a 422 through the handler of `pgi.api`.
Another company's object does not exist here: 404, as in the UI.
"""

import datetime as dt
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from crm import selectors as crm_selectors
from crm.models import Client
from encaissement import online, selectors, services
from encaissement.models import Method, Paiement
from facturation.models import Facture
from facturation.public import public_url
from facturation.selectors import etat_paiement, facture_lire
from pgi.api import require
from pgi.permissions import Perm
from pgi.schemas import CleanSchema

paiements_router = Router(tags=["encaissements"])
soldes_router = Router(tags=["encaissements"])
liens_router = Router(tags=["encaissements"])


class AllocationIn(Schema):
    facture_id: int
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)


class PaiementIn(CleanSchema):
    client_id: int
    date: dt.date
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    method: Method
    payer: str = Field("", max_length=200)
    reference: str = Field("", max_length=140)
    notes: str = Field("", max_length=500)
    allocations: list[AllocationIn] = Field(
        [], description="Ce qui n'est pas affecté reste au crédit du client"
    )


class AnnulationIn(CleanSchema):
    date: dt.date | None = Field(None, description="Omis : aujourd'hui")
    reason: str = Field(..., min_length=1, max_length=500)


class AffectationsIn(Schema):
    allocations: list[AllocationIn] = Field(..., min_length=1)


class AffectationOut(Schema):
    facture_id: int
    facture_number: str
    amount: Decimal
    ventilation: list[dict] = Field(..., description="Par taux de TVA : rate, base, vat, amount")
    created_at: dt.datetime


class PaiementOut(Schema):
    id: int
    kind: str = Field(..., description="encaissement, ou annulation (montant négatif)")
    number: str
    client_id: int
    date: dt.date
    amount: Decimal
    method: str
    payer: str
    reference: str
    notes: str
    reverses: str | None = Field(..., description="Numéro de l'encaissement annulé")
    reversed_by: str | None = Field(..., description="Numéro de l'annulation")
    available: Decimal = Field(..., description="Reste à affecter (crédit du client)")
    allocations: list[AffectationOut]


class PaiementFilters(Schema):
    client_id: int | None = None
    q: str = ""


class SoldeOut(Schema):
    client_id: int
    credit: Decimal = Field(..., description="Payé et non affecté à une facture")
    amount_due: Decimal = Field(..., description="Reste dû sur ses factures émises")
    balance: Decimal = Field(..., description="Reste dû moins crédit (positif : il doit)")


class LienOut(Schema):
    facture_id: int
    number: str
    url: str
    amount_due: Decimal
    state: str = Field(..., description="a_payer, partielle, payee, en_retard")
    online_payment: bool = Field(..., description="Carte ou prélèvement proposés")


def _out(paiement: Paiement) -> dict:
    return {
        "id": paiement.pk, "kind": paiement.kind, "number": paiement.number,
        "client_id": paiement.client_id, "date": paiement.date, "amount": paiement.amount,
        "method": paiement.method, "payer": paiement.payer, "reference": paiement.reference,
        "notes": paiement.notes,
        "reverses": paiement.reverses.number if paiement.reverses_id else None,
        "reversed_by": paiement.reversal.number if hasattr(paiement, "reversal") else None,
        "available": paiement.available,
        "allocations": [
            {"facture_id": a.facture_id, "facture_number": a.facture.number, "amount": a.amount,
             "ventilation": a.ventilation, "created_at": a.created_at}
            for a in paiement.affectations.all()
        ],
    }  # fmt: skip


def _get(request, paiement_id: int) -> Paiement:
    try:
        return selectors.paiement_lire(company=request.company, pk=paiement_id)
    except Paiement.DoesNotExist as exc:
        raise Http404 from exc


def _allocations(items: list[AllocationIn]) -> list[services.Allocation]:
    return [services.Allocation(a.facture_id, a.amount) for a in items]


@paiements_router.get("/", response=list[PaiementOut], summary="Lister les encaissements")
@paginate(LimitOffsetPagination)
def list_paiements(request, filters: Query[PaiementFilters]):
    require(request, Perm.VIEW)
    qs = selectors.paiement_lister(company=request.company, search=filters.q)
    if filters.client_id is not None:
        qs = qs.filter(client_id=filters.client_id)
    return [_out(p) for p in qs.prefetch_related("affectations__facture")]


@paiements_router.post("/", response={201: PaiementOut}, summary="Enregistrer un encaissement")
def create_paiement(request, payload: PaiementIn):
    require(request, Perm.COMMERCIAL_WRITE)
    try:
        client = crm_selectors.client_lire(company=request.company, pk=payload.client_id)
    except Client.DoesNotExist as exc:
        raise Http404 from exc
    paiement = services.paiement_enregistrer(
        company=request.company, user=request.user, client=client, day=payload.date,
        amount=payload.amount, method=payload.method, payer=payload.payer,
        reference=payload.reference, notes=payload.notes,
        allocations=_allocations(payload.allocations),
    )  # fmt: skip
    return Status(201, _out(_get(request, paiement.pk)))


@paiements_router.get("/{paiement_id}", response=PaiementOut, summary="Lire un encaissement")
def read_paiement(request, paiement_id: int):
    require(request, Perm.VIEW)
    return _out(_get(request, paiement_id))


@paiements_router.post(
    "/{paiement_id}/annulation", response={201: PaiementOut},
    summary="Annuler un encaissement (par un nouvel enregistrement scellé)",
)  # fmt: skip
def reverse_paiement(request, paiement_id: int, payload: AnnulationIn):
    require(request, Perm.COMMERCIAL_WRITE)
    reversal = services.paiement_annuler(
        paiement=_get(request, paiement_id), user=request.user,
        day=payload.date or timezone.localdate(), reason=payload.reason,
    )  # fmt: skip
    return Status(201, _out(_get(request, reversal.pk)))


@paiements_router.post(
    "/{paiement_id}/affectations", response=PaiementOut,
    summary="Affecter le reste d'un encaissement à des factures",
)  # fmt: skip
def allocate_paiement(request, paiement_id: int, payload: AffectationsIn):
    require(request, Perm.COMMERCIAL_WRITE)
    services.paiement_affecter(
        paiement=_get(request, paiement_id), user=request.user,
        allocations=_allocations(payload.allocations),
    )  # fmt: skip
    return _out(_get(request, paiement_id))


@soldes_router.get("/{client_id}/solde", response=SoldeOut, summary="Solde d'un client")
def client_solde(request, client_id: int):
    require(request, Perm.VIEW)
    try:
        client = crm_selectors.client_lire(company=request.company, pk=client_id)
    except Client.DoesNotExist as exc:
        raise Http404 from exc
    credit = selectors.solde_client(client)
    due = selectors.reste_du_client(client)
    return {"client_id": client.pk, "credit": credit, "amount_due": due, "balance": due - credit}


@liens_router.get(
    "/{facture_id}/lien-de-paiement", response=LienOut,
    summary="Lien de paiement d'une facture émise (page du client, sans compte)",
)  # fmt: skip
def facture_lien(request, facture_id: int):
    require(request, Perm.VIEW)
    try:
        facture = facture_lire(company=request.company, pk=facture_id)
    except Facture.DoesNotExist as exc:
        raise Http404 from exc
    if facture.amount_due is None:
        raise Http404  # a draft or a credit note: nothing to pay
    return {
        "facture_id": facture.pk, "number": facture.number, "url": public_url(facture),
        "amount_due": facture.amount_due,
        "state": etat_paiement(facture, today=timezone.localdate()),
        "online_payment": online.compte_actif(request.company) is not None,
    }  # fmt: skip
