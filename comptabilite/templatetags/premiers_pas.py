"""`{% premiers_pas as checklist %}`: the first-run checklist of the current company, read by
its partial (templates/includes/first_run_checklist.html) so that a page shows it with one
include line."""

from django import template

from comptabilite.premiers_pas import premiers_pas_lire

register = template.Library()


@register.simple_tag(takes_context=True)
def premiers_pas(context) -> dict | None:
    request = context.get("request")
    membership = getattr(request, "membership", None) if request is not None else None
    if not membership:
        return None
    steps = premiers_pas_lire(company=membership.company, membership=membership)
    if steps is None:
        return None
    done = sum(step.done for step in steps)
    return {
        "steps": steps,
        "done": done,
        "total": len(steps),
        "percent": round(100 * done / len(steps)),
    }
