"""The dashboards' reports under /api/v1/tableaux/ (issue #19): the same selectors as the
pages, so the API and the screens agree. Read-only; scoped to the token's company (the
portfolio: to its user's companies)."""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from ninja import Query, Router, Schema

from comptabilite.tableaux import selectors
from comptabilite.tableaux.selectors import Periode
from pgi.api import require
from pgi.permissions import Perm

router = Router(tags=["tableaux de bord"])


class Montant(Schema):
    key: str
    amount: Decimal


class LigneAgeeOut(Schema):
    client_id: int
    client: str
    buckets: list[Montant]
    total: Decimal


class SemaineOut(Schema):
    start: date
    count: int
    amount: Decimal


class CreancesOut(Schema):
    date: date
    outstanding: Decimal
    overdue: Decimal
    dso_days: Decimal | None
    aging_buckets: list[str]
    aging: list[LigneAgeeOut]
    aging_totals: list[Montant]
    forecast: list[SemaineOut]
    forecast_later: Decimal
    doubtful: Decimal


def _amounts(values: dict) -> list[dict]:
    return [{"key": key, "amount": amount} for key, amount in values.items()]


@router.get("/creances", response=CreancesOut, summary="Créances : balance âgée, DSO, prévisions")
def creances(request):
    """What is owed today: totals, the aging balance of every customer (buckets `a_echoir`,
    `retard_1_30`, `retard_31_60`, `retard_61_90`, `retard_90`), DSO over 90 days and the
    expected cash-in of the next 8 weeks."""
    require(request, Perm.VIEW)
    today = timezone.localdate()
    figures = selectors.creances_tableau(company=request.company, today=today)
    aging, forecast = figures["aging"], figures["forecast"]
    return {
        "date": today, "outstanding": aging["total"], "overdue": aging["overdue"],
        "dso_days": figures["dso"], "aging_buckets": [b.key for b in aging["buckets"]],
        "aging": [
            {"client_id": line.client_id, "client": line.client,
             "buckets": _amounts(line.buckets), "total": line.total}
            for line in aging["lines"]
        ],
        "aging_totals": _amounts(aging["totals"]),
        "forecast": forecast["weeks"], "forecast_later": forecast["later"],
        "doubtful": forecast["doubtful"],
    }  # fmt: skip


class PeriodeIn(Schema):
    du: str = ""  # YYYY-MM; the last 12 months by default
    au: str = ""


class MoisOut(Schema):
    month: date
    amount: Decimal
    previous: Decimal


class ClientOut(Schema):
    client_id: int
    client: str
    amount: Decimal
    share: Decimal
    cumulated: Decimal


class VentesOut(Schema):
    start: date
    end: date
    total: Decimal
    previous_total: Decimal
    months: list[MoisOut]
    top_customers: list[ClientOut]
    customers: int
    customers_for_80_percent: int


def _periode(request, filters: PeriodeIn) -> Periode:
    return Periode.parse(filters.du, filters.au, today=timezone.localdate())


@router.get("/ventes", response=VentesOut, summary="Ventes : CA HT par mois, meilleurs clients")
def ventes(request, filters: Query[PeriodeIn]):
    """Revenue excl. VAT (invoices minus credit notes) per month of the period against the
    previous year, and the top 10 customers with their share."""
    require(request, Perm.VIEW)
    periode = _periode(request, filters)
    figures = selectors.ventes_tableau(company=request.company, periode=periode)
    top = figures["top"]
    return {
        "start": periode.start, "end": periode.end, "total": figures["total"],
        "previous_total": figures["previous_total"], "months": figures["months"],
        "top_customers": top["lines"], "customers": top["customers"],
        "customers_for_80_percent": top["pareto"],
    }  # fmt: skip


class TauxOut(Schema):
    rate: Decimal
    base: Decimal
    vat: Decimal


class NiveauOut(Schema):
    level: str
    count: int
    paid: Decimal


class RelancesOut(Schema):
    vat_due: list[TauxOut] | None  # null until the books compute it
    dunning: list[NiveauOut]


@router.get("/tva-relances", response=RelancesOut, summary="TVA due et efficacité des relances")
def tva_relances(request, filters: Query[PeriodeIn]):
    require(request, Perm.VIEW)
    figures = selectors.relances_tableau(
        company=request.company, periode=_periode(request, filters)
    )
    return {"vat_due": figures["tva"], "dunning": figures["efficacite"]}


class SocieteOut(Schema):
    company_id: int
    name: str
    role: str
    overdue: Decimal
    overdue_count: int
    vat_due: Decimal | None
    last_closure: str | None
    last_closure_end: date | None
    integrity_ok: bool | None  # null: never verified


@router.get("/portefeuille", response=list[SocieteOut], summary="Portefeuille de sociétés")
def portefeuille(request):
    """Every company the token's user belongs to: overdue, VAT due this month, last closure,
    last integrity check."""
    require(request, Perm.VIEW)
    rows = selectors.portefeuille(user=request.user, today=timezone.localdate())
    return [
        {
            "company_id": row["company"].pk,
            "name": row["company"].display_name,
            "role": row["membership"].role,
            "overdue": row["overdue"],
            "overdue_count": row["overdue_count"],
            "vat_due": None
            if row["tva"] is None
            else sum((r["vat"] for r in row["tva"]), Decimal("0")),
            "last_closure": row["closure"].reference if row["closure"] else None,
            "last_closure_end": row["closure"].period_end if row["closure"] else None,
            "integrity_ok": row["integrity"]["ok"] if row["integrity"] else None,
        }  # fmt: skip
        for row in rows
    ]
