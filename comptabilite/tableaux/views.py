"""The dashboards: receivables, sales, VAT and dunning (one tab each, the period filter
through htmx), their exports, and the portfolio of an accountant's companies."""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from comptabilite.tableaux import selectors
from comptabilite.tableaux.exports import (
    CONTENT_TYPES,
    EXPORTS,
    export_response,
    portefeuille_rows,
    rows_response,
)
from comptabilite.tableaux.selectors import Periode
from pgi.panels import dashboard_panels
from pgi.permissions import Perm
from pgi.tenancy import member_required

# The aging balance on screen: the biggest debts; the export has every customer.
AGING_ROWS = 20


def _periode(request, today) -> Periode:
    return Periode.parse(request.GET.get("du", ""), request.GET.get("au", ""), today=today)


def _render(request, template: str, context: dict):
    """The page, or only its figures for an htmx request (the period filter)."""
    periode = context["periode"]
    context["period_query"] = "?" + urlencode(
        {"du": f"{periode.start:%Y-%m}", "au": f"{periode.end:%Y-%m}"}
    )
    if request.htmx:
        template += "#figures"
    return render(request, template, context)


@require_safe
@member_required(Perm.VIEW)
def creances(request):
    """Receivables today: what is owed and overdue, DSO, the aging balance; the expected
    cash-in follows as its own request (`previsions`, loaded by htmx)."""
    today = timezone.localdate()
    aging = selectors.balance_agee(company=request.company, today=today, limit=AGING_ROWS)
    context = {
        "tab": "creances", "today": today, "aging": aging, "aging_lines": aging["lines"],
        "aging_more": aging["customers"] > AGING_ROWS,
        "dso": selectors.dso(company=request.company, today=today, outstanding=aging["total"]),
    }  # fmt: skip
    return render(request, "tableaux/creances.html", context)


@require_safe
@member_required(Perm.VIEW)
def previsions(request):
    """The expected cash-in of the next 8 weeks: the receivables tab's last section (its
    figures alone for htmx), or a page of its own."""
    forecast = selectors.previsions(company=request.company, today=timezone.localdate())
    context = {
        "tab": "creances", "forecast": forecast,
        "chart": {
            "labels": [w["start"].strftime("%d/%m") for w in forecast["weeks"]],
            "amounts": [float(w["amount"]) for w in forecast["weeks"]],
        },
    }  # fmt: skip
    template = "tableaux/previsions.html"
    if request.htmx:
        template += "#forecast"
    return render(request, template, context)


@require_safe
@member_required(Perm.VIEW)
def ventes(request):
    """Sales of the period: revenue by month against the previous year, top customers, and
    the sections the apps below add (quotes, pipeline)."""
    today = timezone.localdate()
    periode = _periode(request, today)
    figures = selectors.ventes_tableau(company=request.company, periode=periode)
    context = {
        "tab": "ventes", "periode": periode, **figures,
        "panels": dashboard_panels.render(request, periode),
        "chart": {
            "labels": [m["month"].strftime("%m/%Y") for m in figures["months"]],
            "amounts": [float(m["amount"]) for m in figures["months"]],
            "previous": [float(m["previous"]) for m in figures["months"]],
        },
    }  # fmt: skip
    return _render(request, "tableaux/ventes.html", context)


@require_safe
@member_required(Perm.VIEW)
def tva_relances(request):
    """VAT due by rate over the period (from the books) and dunning effectiveness."""
    today = timezone.localdate()
    periode = _periode(request, today)
    figures = selectors.relances_tableau(company=request.company, periode=periode)
    context = {"tab": "tva", "periode": periode, **figures}
    return _render(request, "tableaux/tva_relances.html", context)


@require_safe
@member_required(Perm.EXPORT)
def export(request, table: str, fmt: str):
    """One dashboard table as CSV or XLSX, for the period asked (reads only)."""
    chosen = EXPORTS.get(table)
    if chosen is None or fmt not in CONTENT_TYPES:
        raise Http404
    today = timezone.localdate()
    return export_response(
        chosen, fmt, company=request.company, today=today, periode=_periode(request, today)
    )


@require_safe
@member_required(Perm.VIEW)
def portefeuille(request):
    """Every company the user belongs to, side by side, each a click away."""
    today = timezone.localdate()
    context = {"companies": selectors.portefeuille(user=request.user, today=today), "today": today}
    return render(request, "tableaux/portefeuille.html", context)


@require_safe
@member_required(Perm.EXPORT)
def portefeuille_export(request, fmt: str):
    """The portfolio as CSV or XLSX: every company of the user, as the page shows them."""
    if fmt not in CONTENT_TYPES:
        raise Http404
    today = timezone.localdate()
    rows = portefeuille_rows(selectors.portefeuille(user=request.user, today=today))
    return rows_response(rows, fmt, title=_("Portefeuille"), name=f"portefeuille-{today:%Y-%m-%d}")
