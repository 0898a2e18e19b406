"""The books through the API, read-only: entries, VAT due, and the FEC of a fiscal year."""

from datetime import date
from decimal import Decimal

from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.utils.translation import gettext_noop
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from comptabilite.livres.fec import (
    ENCODINGS,
    SEPARATORS,
    FecOptions,
    fec_count,
    fec_filename,
    fec_stream,
)
from comptabilite.livres.models import Journal
from comptabilite.livres.selectors import ecriture_lister
from comptabilite.livres.tva import tva_due
from comptabilite.selectors import period_from_label
from pgi.api import require
from pgi.events import event_record
from pgi.models import EventKind
from pgi.permissions import Perm

router = Router(tags=["livres"])


class LigneEcritureOut(Schema):
    account: str
    account_label: str
    aux: str
    aux_label: str
    debit: Decimal
    credit: Decimal
    rate: Decimal | None


class EcritureOut(Schema):
    journal: str
    number: int
    code: str
    date: date
    piece_ref: str
    label: str
    validated_on: date
    lignes: list[LigneEcritureOut]

    @staticmethod
    def resolve_lignes(obj):
        return list(obj.lignes.all())


@router.get("/ecritures", response=list[EcritureOut], summary="Lister les écritures")
@paginate(LimitOffsetPagination)
def ecritures(request, journal: str = "", debut: date | None = None, fin: date | None = None):
    require(request, Perm.VIEW)
    qs = ecriture_lister(
        company=request.company, journal=journal if journal in Journal.values else ""
    )
    if debut:
        qs = qs.filter(date__gte=debut)
    if fin:
        qs = qs.filter(date__lte=fin)
    return qs


class TauxTvaOut(Schema):
    rate: Decimal
    base: Decimal
    vat: Decimal
    box: str


class TvaDueOut(Schema):
    start: date
    end: date
    regime: str
    rates: list[TauxTvaOut]
    total_vat: Decimal
    intra_eu_goods: Decimal
    intra_eu_services: Decimal
    exports: Decimal
    exempt: Decimal
    other_non_taxable: Decimal
    franchise: dict | None


@router.get("/tva-due", response=TvaDueOut, summary="TVA due d'une période (CA3)")
def tva(request, debut: date, fin: date):
    require(request, Perm.VIEW)
    return tva_due(company=request.company, start=debut, end=fin)


@router.get(
    "/fec", summary="FEC de l'exercice clos l'année AAAA (fichier texte)",
    response={200: None, 400: None},
)  # fmt: skip
def fec(request, exercice: str, separateur: str = "tab", encodage: str = "iso-8859-15"):
    """Streams the FEC (LPF art. A47 A-1) in constant memory; the export is logged."""
    require(request, Perm.EXPORT)
    if separateur not in SEPARATORS or encodage not in ENCODINGS:
        return HttpResponseBadRequest("separateur: tab|pipe ; encodage: iso-8859-15|utf-8")
    try:
        period = period_from_label(company=request.company, label=exercice)
    except ValueError:
        return HttpResponseBadRequest("exercice: AAAA")
    if len(exercice) != 4:
        return HttpResponseBadRequest("exercice: AAAA")
    name = fec_filename(request.company, period.end)
    event_record(
        kind=EventKind.EXPORT, company=request.company, user=request.user,
        summary=gettext_noop("Export du FEC %(file)s (%(lines)s lignes)"),
        params={"file": name, "lines": fec_count(company=request.company, start=period.start,
                                                  end=period.end)},
    )  # fmt: skip
    charset = "iso-8859-15" if encodage == "iso-8859-15" else "utf-8"
    response = StreamingHttpResponse(
        fec_stream(company=request.company, start=period.start, end=period.end,
                   options=FecOptions(separator=separateur, encoding=encodage)),
        content_type=f"text/plain; charset={charset}",
    )  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
