"""The dunning API (issue #17): receivables with their state and next action, an invoice's
reminders, disputes and promises to pay. Scoped to the token's company; the rules stay in
`encaissement.relances.services` (a `RelanceError` becomes a 422 through `pgi.api`)."""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from encaissement.models import Litige, PromessePaiement, Relance
from encaissement.relances import services
from encaissement.relances.planning import Scenarios, pause, prochain_niveau
from encaissement.relances.selectors import FILTRES_PAR_CLE, creances_lister
from facturation.models import Facture
from facturation.selectors import facture_lire
from pgi.api import require
from pgi.permissions import Perm
from pgi.schemas import CleanSchema

router = Router(tags=["relances"])


class CreanceFilters(Schema):
    etat: str = ""


class ProchaineAction(Schema):
    niveau: str
    date: date


class CreanceOut(Schema):
    id: int
    number: str
    client: str
    due_date: date
    amount_due: Decimal
    days_late: int
    pause: str | None  # litige, promesse, ne_pas_relancer
    in_collection: bool
    next_action: ProchaineAction | None


@router.get("/creances/", response=list[CreanceOut], summary="Lister les créances")
@paginate(LimitOffsetPagination)
def list_creances(request, filters: Query[CreanceFilters]):
    require(request, Perm.VIEW)
    if filters.etat and filters.etat not in FILTRES_PAR_CLE:
        raise Http404
    today = timezone.localdate()
    scenarios = Scenarios.load(request.company)

    def row(f: Facture) -> dict:
        reason = pause(f)
        nxt = None if reason else prochain_niveau(f, scenarios.of(f), today)
        return {
            "id": f.pk, "number": f.number, "client": f.client.name, "due_date": f.due_date,
            "amount_due": f.amount_due, "days_late": max((today - f.due_date).days, 0),
            "pause": reason, "in_collection": f.in_collection,
            "next_action": {"niveau": nxt[0].name, "date": nxt[1]} if nxt else None,
        }  # fmt: skip

    qs = creances_lister(company=request.company, today=today, filtre=filters.etat)
    return _Mapped(qs, row)


class _Mapped:
    """A queryset whose page's rows are mapped once sliced (the paginator slices it)."""

    def __init__(self, qs, func):
        self.qs, self.func = qs, func

    def __len__(self) -> int:
        return self.qs.count()

    def count(self) -> int:
        return self.qs.count()

    def __getitem__(self, key):
        return [self.func(f) for f in self.qs[key]]


class RelanceOut(Schema):
    id: int
    niveau: str
    nature: str
    channel: str
    state: str
    planned_for: date
    sent_at: datetime | None
    recipients: str
    error: str
    amount_due: Decimal
    penalties: Decimal
    indemnity: Decimal

    @staticmethod
    def resolve_niveau(obj: Relance) -> str:
        return obj.niveau.name


class LitigeIn(CleanSchema):
    reason: str
    message: str = ""


class LitigeOut(Schema):
    id: int
    reason: str
    message: str
    source: str
    opened_at: datetime
    resolved_at: datetime | None
    resolution_note: str


class ResolutionIn(CleanSchema):
    note: str = ""


class PromesseIn(CleanSchema):
    date: date
    amount: Decimal
    note: str = ""


class PromesseOut(Schema):
    id: int
    date: date
    amount: Decimal
    note: str
    source: str


class EtatRelancesOut(Schema):
    relances: list[RelanceOut]
    litiges: list[LitigeOut]
    promesses: list[PromesseOut]


def _facture(request, facture_id: int) -> Facture:
    try:
        return facture_lire(company=request.company, pk=facture_id)
    except Facture.DoesNotExist as exc:
        raise Http404 from exc


@router.get("/factures/{facture_id}/", response=EtatRelancesOut, summary="État des relances")
def etat_relances(request, facture_id: int):
    require(request, Perm.VIEW)
    facture = _facture(request, facture_id)
    relances = Relance.objects.filter(facture=facture).select_related("niveau").order_by("pk")
    return {
        "relances": list(relances),
        "litiges": list(Litige.objects.filter(facture=facture)),
        "promesses": list(PromessePaiement.objects.filter(facture=facture)),
    }


@router.post(
    "/factures/{facture_id}/litiges/", response={201: LitigeOut}, summary="Ouvrir un litige"
)
def ouvrir_litige(request, facture_id: int, payload: LitigeIn):
    require(request, Perm.COMMERCIAL_WRITE)
    facture = _facture(request, facture_id)
    litige = services.litige_ouvrir(
        facture=facture, reason=payload.reason, message=payload.message, user=request.user
    )
    return Status(201, litige)


@router.post("/litiges/{litige_id}/resoudre/", response=LitigeOut, summary="Résoudre un litige")
def resoudre_litige(request, litige_id: int, payload: ResolutionIn):
    require(request, Perm.COMMERCIAL_WRITE)
    litige = get_object_or_404(Litige, pk=litige_id, company=request.company)
    return services.litige_resoudre(litige=litige, user=request.user, note=payload.note)


@router.post(
    "/factures/{facture_id}/promesses/", response={201: PromesseOut},
    summary="Enregistrer une promesse de paiement",
)  # fmt: skip
def promettre(request, facture_id: int, payload: PromesseIn):
    require(request, Perm.COMMERCIAL_WRITE)
    facture = _facture(request, facture_id)
    promesse = services.promesse_enregistrer(
        facture=facture, day=payload.date, amount=payload.amount, note=payload.note,
        user=request.user,
    )  # fmt: skip
    return Status(201, promesse)
