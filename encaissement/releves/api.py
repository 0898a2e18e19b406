"""Bank statements API: upload (preview or import), lines, their matches, confirm, dismiss.

Endpoints parse, scope to the token's company, check the role and call
`encaissement.releves.services`; a domain error becomes a 422 through `pgi.api`.
"""

import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from crm import selectors as crm_selectors
from crm.models import Client
from encaissement.releves import selectors, services
from encaissement.releves.exceptions import ReleveError
from encaissement.releves.formats import csvfile
from encaissement.releves.models import CompteBancaire, Format, LigneReleve, Releve, Suggestion
from encaissement.services import Allocation
from pgi.api import require
from pgi.permissions import Perm

router = Router(tags=["relevés bancaires"])


class CompteBancaireOut(Schema):
    id: int
    name: str
    iban: str
    bic: str


class CompteBancaireIn(Schema):
    name: str = Field("", max_length=100)
    iban: str
    bic: str = ""


class ImportReleveOut(Schema):
    id: int | None = Field(..., description="null pour un aperçu")
    format: str
    imported: int
    duplicates: int
    matched: int
    new: int = Field(0, description="aperçu : lignes qui seraient importées")


def _suggestion_out(s: Suggestion) -> dict[str, Any]:
    return {
        "id": s.pk,
        "facture_id": s.facture_id,
        "facture_number": s.facture.number,
        "client_id": s.client_id,
        "client_name": s.client.name,
        "amount": s.amount,
        "amount_due": getattr(s.facture, "amount_due", None),
        "score": s.score,
        "reasons": s.reasons,
        "exact": s.exact,
        "autres_factures": s.autres_factures,
    }


class SuggestionReleveOut(Schema):
    id: int
    facture_id: int
    autres_factures: list[int] = Field(
        [], description="un virement qui règle plusieurs factures du client : les autres"
    )
    facture_number: str
    client_id: int
    client_name: str
    amount: Decimal
    amount_due: Decimal | None
    score: int
    reasons: list[str]
    exact: bool


class LigneReleveOut(Schema):
    id: int
    compte_id: int
    booking_date: date
    value_date: date | None
    amount: Decimal
    label: str
    reference: str
    counterparty: str
    counterparty_iban: str
    status: str
    paiement_id: int | None
    dismiss_reason: str
    suggestions: list[SuggestionReleveOut]

    @staticmethod
    def resolve_suggestions(obj: LigneReleve) -> list[dict[str, Any]]:
        return [_suggestion_out(s) for s in obj.suggestions.all()]


class LigneReleveFilters(Schema):
    onglet: str = Field(
        "a_rapprocher",
        description="a_rapprocher, sans_correspondance, rapprochees ou ecartees",
    )
    compte: int | None = None


class ConfirmerLigneIn(Schema):
    suggestion_id: int | None = Field(None, description="Une suggestion de la ligne, ou :")
    client_id: int | None = Field(None, description="le client, avec ses affectations")
    allocations: list[dict[str, Any]] = Field(
        [], description='[{"facture_id": 12, "amount": "120.00"}]'
    )


class EcarterLigneIn(Schema):
    reason: str = Field(..., max_length=200)


def _ligne(request, ligne_id: int) -> LigneReleve:
    try:
        return selectors.ligne_lire(company=request.company, pk=ligne_id)
    except LigneReleve.DoesNotExist as exc:
        raise Http404 from exc


@router.get("/comptes", response=list[CompteBancaireOut], summary="Lister les comptes bancaires")
def list_comptes(request):
    require(request, Perm.VIEW)
    return list(CompteBancaire.objects.for_company(request.company))


@router.post("/comptes", response={201: CompteBancaireOut}, summary="Ajouter un compte bancaire")
def create_compte(request, payload: CompteBancaireIn):
    require(request, Perm.COMMERCIAL_WRITE)
    compte = services.compte_bancaire_creer(company=request.company, **payload.dict())
    return Status(201, compte)


@router.post(
    "/",
    response={200: ImportReleveOut, 201: ImportReleveOut},
    summary="Importer un relevé (CSV, OFX, CAMT.053, CFONB 120)",
    description=(
        "Multipart : `file`, et en option `compte_id` (requis en CSV s'il y a plusieurs "
        "comptes), `mapping` (CSV : JSON des colonnes, sinon celle du compte ou devinée), "
        "`apercu=true` pour lire le fichier sans rien importer."
    ),
)
def upload(
    request,
    file: File[UploadedFile],
    compte_id: Form[int | None] = None,
    mapping: Form[str] = "",
    apercu: Form[bool] = False,
):
    require(request, Perm.COMMERCIAL_WRITE)
    services.compte_initial(request.company)
    compte = None
    if compte_id is not None:
        compte = CompteBancaire.objects.for_company(request.company).filter(pk=compte_id).first()
        if compte is None:
            raise ReleveError(_("Compte bancaire introuvable."))
    content = file.read()
    parsed_mapping = None
    if mapping:
        try:
            parsed_mapping = json.loads(mapping)
        except ValueError as exc:
            raise ReleveError(_("La correspondance des colonnes n'est pas du JSON.")) from exc
    fmt = services.detect_format(content)
    if fmt == Format.CSV and parsed_mapping is None and not (compte and compte.csv_mapping):
        rows, delimiter = csvfile.read_rows(content)
        parsed_mapping = csvfile.guess_mapping(rows, delimiter)
    if apercu:
        releve = Releve(company=request.company, compte=compte, format=fmt, content=content)
        preview = services.apercu(releve, parsed_mapping)
        return Status(200, {
            "id": None, "format": fmt, "imported": 0, "duplicates": preview.duplicates,
            "matched": 0, "new": preview.new,
        })  # fmt: skip
    releve = services.releve_deposer(
        company=request.company, user=request.user, filename=file.name or "releve",
        content=content, compte=compte, fmt=fmt,
    )  # fmt: skip
    releve = services.releve_importer(releve=releve, user=request.user, mapping=parsed_mapping)
    return Status(201, {
        "id": releve.pk, "format": releve.format, "imported": releve.imported,
        "duplicates": releve.duplicates, "matched": releve.matched, "new": releve.imported,
    })  # fmt: skip


@router.get("/lignes", response=list[LigneReleveOut], summary="Lister les lignes de relevé")
@paginate(LimitOffsetPagination)
def list_lignes(request, filters: Query[LigneReleveFilters]):
    require(request, Perm.VIEW)
    compte = None
    if filters.compte is not None:
        compte = CompteBancaire.objects.for_company(request.company).filter(pk=filters.compte)
        compte = compte.first()
        if compte is None:
            raise Http404
    tab = filters.onglet if filters.onglet in selectors.TABS else "a_rapprocher"
    return selectors.lignes_lister(company=request.company, tab=tab, compte=compte)


@router.get(
    "/lignes/{ligne_id}/correspondances",
    response=list[SuggestionReleveOut],
    summary="Les factures suggérées pour une ligne, la meilleure d'abord",
)
def list_matches(request, ligne_id: int):
    require(request, Perm.VIEW)
    return [_suggestion_out(s) for s in _ligne(request, ligne_id).suggestions.all()]


@router.post(
    "/lignes/{ligne_id}/confirmer",
    response=LigneReleveOut,
    summary="Encaisser une ligne : une suggestion, ou un client et ses affectations",
)
def confirm(request, ligne_id: int, payload: ConfirmerLigneIn):
    require(request, Perm.COMMERCIAL_WRITE)
    ligne = _ligne(request, ligne_id)
    if payload.suggestion_id is not None:
        suggestion = ligne.suggestions.filter(pk=payload.suggestion_id).first()
        if suggestion is None:
            raise ReleveError(_("Cette suggestion n'est pas celle de la ligne."))
        services.suggestion_confirmer(suggestion=suggestion, user=request.user)
    else:
        if payload.client_id is None:
            raise ReleveError(_("Indiquez une suggestion, ou un client."))
        try:
            client = crm_selectors.client_lire(company=request.company, pk=payload.client_id)
        except Client.DoesNotExist as exc:
            raise ReleveError(_("Client inconnu.")) from exc
        try:
            allocations = [
                Allocation(int(a["facture_id"]), Decimal(str(a["amount"])))
                for a in payload.allocations
            ]
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise ReleveError(_("Affectations illisibles.")) from exc
        services.ligne_rapprocher(
            ligne=ligne, user=request.user, client=client, allocations=allocations
        )
    return _ligne(request, ligne_id)


@router.post("/lignes/{ligne_id}/ecarter", response=LigneReleveOut, summary="Écarter une ligne")
def dismiss(request, ligne_id: int, payload: EcarterLigneIn):
    require(request, Perm.COMMERCIAL_WRITE)
    services.ligne_ecarter(
        ligne=_ligne(request, ligne_id), user=request.user, reason=payload.reason
    )
    return _ligne(request, ligne_id)
