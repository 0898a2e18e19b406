"""The sales dashboard's "weighted pipeline" section (comptabilite.tableaux, issue #19),
registered with `pgi.panels.dashboard_panels` from `CrmConfig.ready`: the open deals'
weighted total by expected signing month. The deals are the ones open now, whatever the
period shown (a pipeline looks ahead)."""

from decimal import Decimal

from crm import selectors
from pgi.panels import Panel, dashboard_panels


def _tableau_pipeline(request, periode) -> dict:
    months = selectors.pipeline_par_mois(company=request.company)
    return {
        "months": months,
        "count": sum(m["count"] for m in months),
        "total": sum((m["total"] for m in months), Decimal("0")),
        "weighted": sum((m["weighted"] for m in months), Decimal("0")),
    }


dashboard_panels.register(
    Panel(template="crm/pipeline/_tableau_pipeline.html", context=_tableau_pipeline)
)
