"""The invoicing API: catalogue, invoices, deposits and credit notes.

Endpoints parse, scope to the token's company, check the role and call the services; every
business rule (mentions, numbering, credit limits, totals) stays in `facturation.services`
and `pgi.totals`, and a `FactureError` becomes a 422 through the handler of `pgi.api`.
Another company's object does not exist here: 404, as in the UI.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from crm import selectors as crm_selectors
from crm.models import Client
from facturation import selectors, services
from facturation.exceptions import FactureError
from facturation.models import Article, Facture, Kind, LigneFacture
from facturation.models import Status as FactureStatus
from facturation.plateforme import selectors as pa_selectors
from pgi.api import require
from pgi.lignes import line_amounts, line_values, with_article_defaults
from pgi.lignes.schemas import article_in_schema, line_in_schema, line_out_schema
from pgi.money import CENT
from pgi.permissions import Perm
from pgi.schemas import CleanSchema, pdf_response
from pgi.totals import compute_totals

articles_router = Router(tags=["articles"])
factures_router = Router(tags=["factures"])

# Catalogue


ArticleIn = article_in_schema("ArticleIn", active=(bool, True))


class ArticleOut(ArticleIn):
    id: int


class ArticleFilters(Schema):
    q: str = ""
    actifs: bool = Field(False, description="Seulement les articles actifs")


def _article(request, article_id: int) -> Article:
    try:
        return Article.objects.for_company(request.company).get(pk=article_id)
    except Article.DoesNotExist as exc:
        raise Http404 from exc


@articles_router.get("/", response=list[ArticleOut], summary="Lister le catalogue")
@paginate(LimitOffsetPagination)
def list_articles(request, filters: Query[ArticleFilters]):
    require(request, Perm.VIEW)
    return selectors.article_lister(
        company=request.company, search=filters.q, active_only=filters.actifs
    )


@articles_router.post("/", response={201: ArticleOut}, summary="Créer un article")
def create_article(request, payload: ArticleIn):
    require(request, Perm.COMMERCIAL_WRITE)
    article = services.article_enregistrer(
        company=request.company, article=None, fields=payload.dict()
    )
    return Status(201, _article(request, article.pk))


@articles_router.get("/{article_id}", response=ArticleOut, summary="Lire un article")
def read_article(request, article_id: int):
    require(request, Perm.VIEW)
    return _article(request, article_id)


@articles_router.put("/{article_id}", response=ArticleOut, summary="Remplacer un article")
def replace_article(request, article_id: int, payload: ArticleIn):
    require(request, Perm.COMMERCIAL_WRITE)
    services.article_enregistrer(
        company=request.company, article=_article(request, article_id), fields=payload.dict()
    )
    return _article(request, article_id)  # read back: decimals as stored


# Invoices and credit notes


# A document line (pgi.lignes) and the links of an invoice line.
LigneIn = line_in_schema(
    "LigneIn",
    deposit_id=(int | None, Field(None, description="Facture d'acompte déduite par cette ligne")),
    origin_line_id=(int | None, Field(None, description="Ligne créditée (avoirs)")),
)
LigneOut = line_out_schema(
    "LigneOut", origin_line_id=(int | None, ...), deposit_id=(int | None, ...)
)


class FactureIn(CleanSchema):
    client_id: int
    kind: Literal["facture", "acompte"] = Field(
        "facture", description="Un avoir se crée par POST /factures/{id}/avoirs"
    )
    subject: str = Field("", max_length=200)
    notes: str = ""
    operation_date: date | None = None
    payment_terms_days: int | None = Field(
        None, ge=0, description="Vide : délai du client, sinon celui de la société"
    )
    lines: list[LigneIn] = []


class FactureUpdate(CleanSchema):
    client_id: int | None = Field(None, description="Omis : le client ne change pas")
    subject: str = Field("", max_length=200)
    notes: str = ""
    operation_date: date | None = None
    payment_terms_days: int | None = Field(None, ge=0)
    lines: list[LigneIn] = Field(..., description="Remplacent toutes les lignes du brouillon")


class AvoirIn(CleanSchema):
    lines: dict[int, Decimal] | None = Field(
        None, description="id de ligne de la facture → quantité à créditer"
    )
    amount_excl_vat: Decimal | None = Field(None, description="Ou un montant HT à créditer")
    vat_rate: Decimal | None = Field(None, description="Taux de ce montant (un de la facture)")
    reason: str = Field("", max_length=200)


class VatBreakdownOut(Schema):
    rate: Decimal
    base: Decimal
    vat: Decimal


class FactureSummaryOut(Schema):
    id: int
    kind: str
    status: str
    number: str
    client_id: int
    client_name: str
    issue_date: date | None
    due_date: date | None
    origin_id: int | None
    total_excl_vat: Decimal | None = Field(..., description="null pour un brouillon")
    total_vat: Decimal | None
    total_incl_vat: Decimal | None
    amount_due: Decimal | None = Field(..., description="null pour un brouillon ou un avoir")
    platform_status: str | None = Field(
        ..., description="statut sur la plateforme agréée (200, 205, 207, 210, 212, 213…), "
        "null si la facture n'y est pas passée",
    )  # fmt: skip
    platform_status_label: str

    @staticmethod
    def resolve_client_name(obj: Facture) -> str:
        return obj.client.name

    @staticmethod
    def resolve_platform_status(obj: Facture) -> str | None:
        return obj.pa_status  # type: ignore[attr-defined]

    @staticmethod
    def resolve_platform_status_label(obj: Facture) -> str:
        return pa_selectors.libelle(obj.pa_status)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_total_excl_vat(obj: Facture) -> Decimal | None:
        return None if obj.is_draft else obj.total_excl_vat

    @staticmethod
    def resolve_total_vat(obj: Facture) -> Decimal | None:
        return None if obj.is_draft else obj.total_vat

    @staticmethod
    def resolve_total_incl_vat(obj: Facture) -> Decimal | None:
        return None if obj.is_draft else obj.total_incl_vat


class FactureOut(Schema):
    id: int
    kind: str
    status: str
    number: str
    client_id: int
    client_name: str
    subject: str
    notes: str
    issue_date: date | None
    operation_date: date | None
    due_date: date | None
    payment_terms_days: int | None
    origin_id: int | None
    origin_number: str | None
    credit_note_ids: list[int]
    lines: list[LigneOut]
    vat_breakdown: list[VatBreakdownOut]
    total_excl_vat: Decimal = Field(..., description="Brouillon : calculé sur les lignes")
    total_vat: Decimal
    total_incl_vat: Decimal
    amount_due: Decimal | None = Field(..., description="null pour un brouillon ou un avoir")
    created_at: datetime
    issued_at: datetime | None


class FactureFilters(Schema):
    type: Kind | None = None
    statut: FactureStatus | None = None
    client: int | None = Field(None, description="id du client")
    q: str = Field("", description="Numéro ou nom du client")
    du: date | None = Field(None, description="Émise le ou après cette date")
    au: date | None = Field(None, description="Émise le ou avant cette date")
    plateforme: Literal["a_corriger"] | None = Field(
        None, description="a_corriger : rejetées ou refusées par la plateforme, sans avoir"
    )


def _get(request, facture_id: int) -> Facture:
    try:
        return selectors.facture_lire(company=request.company, pk=facture_id)
    except Facture.DoesNotExist as exc:
        raise Http404 from exc


def _client(request, client_id: int) -> Client:
    try:
        return crm_selectors.client_lire(company=request.company, pk=client_id)
    except Client.DoesNotExist as exc:
        message = _("Client inconnu.")
        raise FactureError(message, field_errors={"client_id": [message]}) from exc


def _lines(request, lines: list[LigneIn]) -> list[dict[str, Any]]:
    """The lines as `facture_lignes_enregistrer` takes them; articles are the company's own."""
    ids = {line.article_id for line in lines if line.article_id is not None}
    articles = Article.objects.for_company(request.company).in_bulk(ids) if ids else {}
    data, problems = [], []
    for position, line in enumerate(lines, start=1):
        fields = line.dict(exclude_unset=True)
        article_id = fields.pop("article_id", None)
        # Links are looked up in the company only; the service checks what they point to.
        if (deposit_id := fields.pop("deposit_id", None)) is not None:
            fields["deposit"] = (
                Facture.objects.for_company(request.company).filter(pk=deposit_id).first()
            )
            if fields["deposit"] is None:
                problems.append(_("Ligne %(n)d : acompte inconnu.") % {"n": position})
                continue
        if (origin_line_id := fields.pop("origin_line_id", None)) is not None:
            fields["origin_line"] = (
                LigneFacture.objects.for_company(request.company).filter(pk=origin_line_id).first()
            )
            if fields["origin_line"] is None:
                problems.append(_("Ligne %(n)d : ligne d'origine inconnue.") % {"n": position})
                continue
        if article_id is not None:
            article = articles.get(article_id)
            if article is None:
                problems.append(_("Ligne %(n)d : article inconnu.") % {"n": position})
                continue
            fields = with_article_defaults(fields, article) | {"article": article}
        data.append(fields)
    if problems:
        raise FactureError(problems)
    return data


def _facture_out(facture: Facture) -> dict[str, Any]:
    """The detail of a document; a draft's totals come from the shared engine, unsaved."""
    lines = list(facture.lines.all())
    totals = compute_totals(lines)
    frozen = facture if not facture.is_draft else totals
    return {
        "id": facture.pk,
        "kind": facture.kind,
        "status": facture.status,
        "number": facture.number,
        "client_id": facture.client_id,
        "client_name": facture.client.name,
        "subject": facture.subject,
        "notes": facture.notes,
        "issue_date": facture.issue_date,
        "operation_date": facture.operation_date,
        "due_date": facture.due_date,
        "payment_terms_days": facture.payment_terms_days,
        "origin_id": facture.origin_id,
        "origin_number": facture.origin.number if facture.origin_id else None,
        "credit_note_ids": list(facture.credit_notes.order_by("pk").values_list("pk", flat=True)),
        "lines": [
            {
                "id": line.pk,
                "position": line.position,
                "article_id": line.article_id,
                "origin_line_id": line.origin_line_id,
                "deposit_id": line.deposit_id,
                **line_values(line),
                **line_amounts(line_totals),
            }
            for line, line_totals in zip(lines, totals.lines, strict=True)
        ],
        # The engine normalises the rate (20 → 2E+1): shown with two decimals, as sealed.
        "vat_breakdown": [
            {"rate": b.rate.quantize(CENT), "base": b.base, "vat": b.vat} for b in totals.breakdown
        ],
        "total_excl_vat": frozen.total_excl_vat,
        "total_vat": frozen.total_vat,
        "total_incl_vat": frozen.total_incl_vat,
        "amount_due": facture.amount_due,
        "created_at": facture.created_at,
        "issued_at": facture.issued_at,
    }


@factures_router.get(
    "/", response=list[FactureSummaryOut], summary="Lister les factures, acomptes et avoirs"
)
@paginate(LimitOffsetPagination)
def list_factures(request, filters: Query[FactureFilters]):
    require(request, Perm.VIEW)
    factures = selectors.facture_lister(
        company=request.company, kind=filters.type or "", status=filters.statut or "",
        search=filters.q, plateforme=filters.plateforme or "",
    )  # fmt: skip
    # facture_lister has no customer nor date filter: narrowed here, on the scoped queryset.
    if filters.client is not None:
        factures = factures.filter(client_id=filters.client)
    if filters.du is not None:
        factures = factures.filter(issue_date__gte=filters.du)
    if filters.au is not None:
        factures = factures.filter(issue_date__lte=filters.au)
    return factures


@factures_router.post("/", response={201: FactureOut}, summary="Créer un brouillon")
def create_facture(request, payload: FactureIn):
    require(request, Perm.COMMERCIAL_WRITE)
    fields = payload.dict(exclude={"client_id", "kind", "lines"})
    facture = services.facture_creer(
        company=request.company, client=_client(request, payload.client_id), user=request.user,
        kind=payload.kind, fields=fields, lines=_lines(request, payload.lines),
    )  # fmt: skip
    return Status(201, _facture_out(_get(request, facture.pk)))


@factures_router.get("/{facture_id}", response=FactureOut, summary="Lire une facture ou un avoir")
def read_facture(request, facture_id: int):
    require(request, Perm.VIEW)
    return _facture_out(_get(request, facture_id))


@factures_router.put(
    "/{facture_id}", response=FactureOut, summary="Modifier un brouillon et remplacer ses lignes"
)
def replace_facture(request, facture_id: int, payload: FactureUpdate):
    require(request, Perm.COMMERCIAL_WRITE)
    facture = _get(request, facture_id)
    fields = payload.dict(exclude={"client_id", "lines"})
    if payload.client_id is not None:
        fields["client"] = _client(request, payload.client_id)
    lines = _lines(request, payload.lines)
    services.facture_brouillon_enregistrer(facture=facture, fields=fields, lines=lines)
    return _facture_out(_get(request, facture_id))


@factures_router.delete("/{facture_id}", response={204: None}, summary="Supprimer un brouillon")
def delete_facture(request, facture_id: int):
    require(request, Perm.COMMERCIAL_WRITE)
    services.facture_supprimer(facture=_get(request, facture_id))
    return Status(204, None)


@factures_router.post(
    "/{facture_id}/emettre", response=FactureOut, summary="Émettre : numéroter, figer, sceller"
)
def issue_facture(request, facture_id: int):
    require(request, Perm.COMMERCIAL_WRITE)
    services.facture_emettre(facture=_get(request, facture_id), user=request.user)
    return _facture_out(_get(request, facture_id))


@factures_router.get(
    "/{facture_id}/pdf",
    summary="Télécharger le PDF d'un document émis",
    openapi_extra=pdf_response("Le PDF"),
)
def download_pdf(request, facture_id: int):
    require(request, Perm.VIEW)
    facture = _get(request, facture_id)
    if facture.is_draft:
        raise FactureError(_("Un brouillon n'a pas de PDF : émettez-le d'abord."))
    pdf = services.facture_pdf_generer(facture_id=facture.pk)
    return FileResponse(
        pdf.file.open("rb"), content_type="application/pdf", filename=f"{facture.number}.pdf"
    )


@factures_router.post(
    "/{facture_id}/avoirs", response={201: FactureOut}, summary="Préparer un avoir (brouillon)"
)
def create_avoir(request, facture_id: int, payload: AvoirIn):
    require(request, Perm.COMMERCIAL_WRITE)
    facture = _get(request, facture_id)
    if payload.lines is not None and payload.amount_excl_vat is not None:
        raise FactureError(_("Créditez des lignes ou un montant, pas les deux."))
    if payload.amount_excl_vat is not None:
        what: dict[str, Any] = {
            "amount_excl_vat": payload.amount_excl_vat, "vat_rate": payload.vat_rate
        }  # fmt: skip
    elif payload.lines == {}:
        # avoir_creer reads empty quantities as "the whole invoice": never from an empty list.
        raise FactureError(_("Choisissez au moins une ligne à créditer."))
    else:
        what = {"quantities": payload.lines}  # None: the whole invoice
    avoir = services.avoir_creer(facture=facture, user=request.user, reason=payload.reason, **what)
    return Status(201, _facture_out(_get(request, avoir.pk)))


# The e-invoicing platform's endpoints, registered with the invoices' (pgi.api).
from facturation.plateforme.api import recues_router, statuts_router  # noqa: E402, F401
