"""The quotes API under /api/v1/devis: drafts (create, replace, delete), send, read, list,
PDF, and conversion into invoices.

Endpoints parse, scope to the token's company, check the role and call `devis.services`; a
`DevisError` becomes a 422 through the handler of `pgi.api`. Another company's quote does
not exist here: 404, as in the UI.
"""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from crm import selectors as crm_selectors
from crm.models import Client, Opportunite
from devis import selectors, services
from devis.exceptions import DevisError
from devis.models import Categorie, Devis, Statut
from facturation.models import Article
from pgi.api import require
from pgi.lignes import line_amounts, line_values, with_article_defaults
from pgi.lignes.schemas import line_in_schema, line_out_schema
from pgi.permissions import Perm
from pgi.schemas import CleanSchema, pdf_response
from pgi.totals import compute_totals

router = Router(tags=["devis"])

# A document line (pgi.lignes) and what a quote's line adds.
LigneDevisIn = line_in_schema(
    "LigneDevisIn",
    category=(Categorie, Field(Categorie.SUPPLY, description="Fourniture, main-d'œuvre ou "
                               "déplacement")),
    optional=(bool, Field(False, description="Option que le client peut cocher, hors total")),
)  # fmt: skip
LigneDevisOut = line_out_schema(
    "LigneDevisOut", category=(str, ...), optional=(bool, ...), chosen=(bool, ...)
)


class DevisIn(CleanSchema):
    client_id: int
    opportunite_id: int | None = Field(
        None, description="L'opportunité du pipeline dont le devis est issu (à la création)"
    )
    subject: str = Field("", max_length=200)
    notes: str = ""
    validity_days: int | None = Field(None, ge=1, le=365, description="Vide : 30 jours ou le "
                                      "réglage de la société")  # fmt: skip
    start_date: date | None = None
    duration: str = Field("", max_length=100)
    deposit_percent: Decimal | None = None
    deposit_amount: Decimal | None = None
    payment_terms: str | None = Field(None, description="Vide : le réglage de la société")
    execution_terms: str | None = None
    after_sales_terms: str | None = None
    price_revision_terms: str | None = None
    is_paid_quote: bool = False
    quote_price: Decimal | None = None
    cgv: str | None = None
    lines: list[LigneDevisIn] = []  # type: ignore[valid-type]


class EnvoiIn(CleanSchema):
    recipients: list[str] = Field(..., min_length=1)
    subject: str = Field("", max_length=200)
    body: str = ""


class FacturerIn(Schema):
    what: Literal["acompte", "solde"]
    percent: Decimal | None = Field(None, description="Acompte : pourcentage du devis accepté")
    amount_excl_vat: Decimal | None = Field(None, description="Ou montant HT de l'acompte")


class DevisSummary(Schema):
    id: int
    reference: str
    version: int
    status: str
    client_id: int
    client_name: str
    opportunite_id: int | None
    subject: str
    issue_date: date | None
    valid_until: date | None
    total_excl_vat: Decimal
    total_incl_vat: Decimal

    @staticmethod
    def resolve_client_name(obj: Devis | dict) -> str:
        return obj["client_name"] if isinstance(obj, dict) else obj.client.name


class DevisOut(DevisSummary):
    start_date: date | None
    duration: str
    deposit_percent: Decimal | None
    deposit_amount: Decimal | None
    payment_terms: str
    execution_terms: str
    after_sales_terms: str
    price_revision_terms: str
    is_paid_quote: bool
    quote_price: Decimal | None
    total_vat: Decimal
    public_url: str
    invoices: list[int]
    lines: list[LigneDevisOut]  # type: ignore[valid-type]


class FactureRef(Schema):
    id: int
    kind: str
    status: str


class DevisFilters(Schema):
    statut: Statut | None = None
    client: str = Field("", description="id ou nom du client")
    du: date | None = None
    au: date | None = None


def _get(request, devis_id: int) -> Devis:
    try:
        return selectors.devis_lire(company=request.company, pk=devis_id)
    except Devis.DoesNotExist as exc:
        raise Http404 from exc


def _client(request, client_id: int) -> Client:
    try:
        return crm_selectors.client_lire(company=request.company, pk=client_id)
    except Client.DoesNotExist as exc:
        message = _("Client inconnu.")
        raise DevisError(message, field_errors={"client_id": [message]}) from exc


def _lines(request, lines: list) -> list[dict[str, Any]]:
    ids = {line.article_id for line in lines if line.article_id is not None}
    articles = Article.objects.for_company(request.company).in_bulk(ids) if ids else {}
    data, problems = [], []
    for position, line in enumerate(lines, start=1):
        fields = line.dict(exclude_unset=True)
        article_id = fields.pop("article_id", None)
        if article_id is not None:
            article = articles.get(article_id)
            if article is None:
                problems.append(_("Ligne %(n)d : article inconnu.") % {"n": position})
                continue
            fields = with_article_defaults(fields, article) | {"article": article}
        data.append(fields)
    if problems:
        raise DevisError(problems)
    return data


def _fields(payload: DevisIn) -> dict[str, Any]:
    fields = payload.dict(exclude={"client_id", "lines", "opportunite_id"})
    # Left out or null: the company's defaults, set by devis_creer.
    return {name: value for name, value in fields.items() if value is not None}


def _out(devis: Devis) -> dict[str, Any]:
    from devis.public import public_url

    lines = list(devis.lines.all())
    totals = compute_totals(lines)
    data = {name: getattr(devis, name) for name in DevisOut.model_fields if hasattr(devis, name)}
    data |= {
        "client_name": devis.client.name,
        "public_url": public_url(devis) if not devis.is_draft else "",
        "invoices": [link.facture_id for link in devis.factures.order_by("pk")],
        "lines": [
            {
                "id": line.pk,
                "position": line.position,
                "article_id": line.article_id,
                "category": line.category,
                "optional": line.optional,
                "chosen": line.chosen,
                **line_values(line),
                **line_amounts(lt),
            }
            for line, lt in zip(lines, totals.lines, strict=True)
        ],  # fmt: skip
    }
    return data


@router.get("/", response=list[DevisSummary], summary="Lister les devis")
@paginate(LimitOffsetPagination)
def list_devis(request, filters: Query[DevisFilters]):
    require(request, Perm.VIEW)
    return selectors.devis_lister(
        company=request.company, status=filters.statut or "", client=filters.client,
        start=filters.du, end=filters.au,
    )  # fmt: skip


@router.post("/", response={201: DevisOut}, summary="Créer un brouillon de devis")
def create_devis(request, payload: DevisIn):
    require(request, Perm.COMMERCIAL_WRITE)
    opportunite = None
    if payload.opportunite_id is not None:
        opportunite = Opportunite.objects.filter(
            company=request.company, pk=payload.opportunite_id
        ).first()
        if opportunite is None:
            message = _("Opportunité inconnue.")
            raise DevisError(message, field_errors={"opportunite_id": [message]})
    devis = services.devis_creer(
        company=request.company, client=_client(request, payload.client_id), user=request.user,
        fields=_fields(payload), lines=_lines(request, payload.lines), opportunite=opportunite,
    )  # fmt: skip
    return Status(201, _out(_get(request, devis.pk)))


@router.get("/{devis_id}", response=DevisOut, summary="Lire un devis")
def read_devis(request, devis_id: int):
    require(request, Perm.VIEW)
    return _out(_get(request, devis_id))


@router.put("/{devis_id}", response=DevisOut, summary="Remplacer un brouillon de devis")
def replace_devis(request, devis_id: int, payload: DevisIn):
    require(request, Perm.COMMERCIAL_WRITE)
    devis = _get(request, devis_id)
    fields = _fields(payload) | {"client": _client(request, payload.client_id)}
    services.devis_brouillon_enregistrer(
        devis=devis, fields=fields, lines=_lines(request, payload.lines)
    )
    return _out(_get(request, devis_id))


@router.delete("/{devis_id}", response={204: None}, summary="Supprimer un brouillon de devis")
def delete_devis(request, devis_id: int):
    require(request, Perm.COMMERCIAL_WRITE)
    services.devis_supprimer(devis=_get(request, devis_id))
    return Status(204, None)


@router.post("/{devis_id}/envoyer", response=DevisOut, summary="Envoyer un devis par e-mail")
def send_devis(request, devis_id: int, payload: EnvoiIn):
    """Vérifie les mentions obligatoires (toutes les manquantes en 422), numérote le devis à
    son premier envoi et l'envoie avec son PDF et le lien de sa page client."""
    require(request, Perm.COMMERCIAL_WRITE)
    devis = _get(request, devis_id)
    services.devis_envoyer(
        devis=devis, user=request.user, recipients=payload.recipients,
        subject=payload.subject or _("Devis"),
        body=payload.body or _("Veuillez trouver notre devis ci-joint."),
    )  # fmt: skip
    return _out(_get(request, devis_id))


@router.get(
    "/{devis_id}/pdf",
    response={200: None},
    summary="Télécharger le PDF d'un devis envoyé",
    openapi_extra=pdf_response("PDF"),
)
def download_pdf(request, devis_id: int):
    require(request, Perm.VIEW)
    devis = _get(request, devis_id)
    if devis.is_draft:
        raise Http404
    devis = services.devis_pdf_generer(devis_id=devis.pk)
    return FileResponse(
        devis.pdf.open("rb"), content_type="application/pdf", filename=f"{devis.reference}.pdf"
    )


@router.post(
    "/{devis_id}/facturer", response={201: FactureRef}, summary="Facturer un devis accepté"
)
def convert_devis(request, devis_id: int, payload: FacturerIn):
    """`acompte` : un brouillon de facture d'acompte (pourcentage ou montant) ; `solde` : le
    brouillon de la facture, acomptes émis déduits. Liés au devis dans les deux sens."""
    require(request, Perm.COMMERCIAL_WRITE)
    devis = _get(request, devis_id)
    if payload.what == "acompte":
        facture = services.devis_facturer_acompte(
            devis=devis, user=request.user, percent=payload.percent,
            amount_excl_vat=payload.amount_excl_vat,
        )  # fmt: skip
    else:
        facture = services.devis_facturer_solde(devis=devis, user=request.user)
    return Status(201, {"id": facture.pk, "kind": facture.kind, "status": facture.status})
