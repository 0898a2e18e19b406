"""The e-invoicing platform in the API: an invoice's lifecycle on the platform, and the
supplier invoices received (list, read, approve, refuse with a reason, mark paid). Scoped to
the token's company; the rules stay in `services` and `reception` (a `DomainError` is a 422
through `pgi.api`)."""

import datetime as dt
from decimal import Decimal

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from facturation.models import Facture
from facturation.plateforme import reception, selectors
from facturation.plateforme.models import EtatFactureRecue, FactureRecue
from pgi.api import require
from pgi.permissions import Perm
from pgi.schemas import CleanSchema

statuts_router = Router(tags=["facturation électronique"])
recues_router = Router(tags=["facturation électronique"])


class StatutOut(Schema):
    code: str
    label: str
    at: dt.datetime
    reason: str
    source: str
    detail: dict


class PlateformeOut(Schema):
    state: str | None = Field(None, description="a_envoyer, transmis, erreur ; null : non envoyée")
    flow_id: str = ""
    error: str = ""
    current: StatutOut | None = None
    statuses: list[StatutOut] = []


def _statut(s) -> dict:
    return {"code": s.code, "label": s.get_code_display(), "at": s.at, "reason": s.reason,
            "source": s.source, "detail": s.detail}  # fmt: skip


@statuts_router.get(
    "/{facture_id}/plateforme", response=PlateformeOut,
    summary="Statuts d'une facture sur la plateforme agréée",
)  # fmt: skip
def facture_plateforme(request, facture_id: int):
    require(request, Perm.VIEW)
    facture = Facture.objects.filter(company=request.company, pk=facture_id).first()
    if facture is None:
        raise Http404
    flux = selectors.flux_facture(facture)
    if flux is None:
        return {}
    current = selectors.statut_courant(facture)
    return {
        "state": flux.state, "flow_id": flux.flow_id, "error": flux.error,
        "current": _statut(current) if current else None,
        "statuses": [_statut(s) for s in selectors.statuts(facture)],
    }  # fmt: skip


class RecueOut(Schema):
    id: int
    supplier_name: str
    supplier_siren: str
    number: str
    issue_date: dt.date | None
    due_date: dt.date | None
    currency: str
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    state: str
    refusal_reason: str
    paid_on: dt.date | None
    duplicate_of_id: int | None
    received_at: dt.datetime


class RecueFilters(Schema):
    etat: EtatFactureRecue | None = None


class RefusIn(CleanSchema):
    reason: str = Field(..., min_length=1, max_length=500)


class PaiementIn(Schema):
    date: dt.date


def _recue(request, recue_id: int) -> FactureRecue:
    recue = FactureRecue.objects.filter(company=request.company, pk=recue_id).first()
    if recue is None:
        raise Http404
    return recue


@recues_router.get("/", response=list[RecueOut], summary="Lister les factures reçues")
@paginate(LimitOffsetPagination)
def list_recues(request, filters: Query[RecueFilters]):
    require(request, Perm.VIEW)
    return selectors.recues_lister(company=request.company, state=filters.etat or "")


@recues_router.get("/{recue_id}", response=RecueOut, summary="Lire une facture reçue")
def get_recue(request, recue_id: int):
    require(request, Perm.VIEW)
    return _recue(request, recue_id)


@recues_router.post("/{recue_id}/approbation", response=RecueOut, summary="Approuver (205)")
def approve_recue(request, recue_id: int):
    require(request, Perm.COMMERCIAL_WRITE)
    return reception.recue_approuver(recue=_recue(request, recue_id), user=request.user)


@recues_router.post("/{recue_id}/refus", response=RecueOut, summary="Refuser avec un motif (210)")
def refuse_recue(request, recue_id: int, payload: RefusIn):
    require(request, Perm.COMMERCIAL_WRITE)
    return reception.recue_refuser(recue=_recue(request, recue_id), user=request.user,
                                   reason=payload.reason)  # fmt: skip


@recues_router.post("/{recue_id}/paiement", response=RecueOut, summary="Marquer payée (211)")
def pay_recue(request, recue_id: int, payload: PaiementIn):
    require(request, Perm.COMMERCIAL_WRITE)
    return reception.recue_payer(recue=_recue(request, recue_id), user=request.user,
                                 day=payload.date)  # fmt: skip
