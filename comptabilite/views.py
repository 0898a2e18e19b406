import uuid

from django.core.cache import cache
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from comptabilite.models import Registre
from comptabilite.tasks import run_key, verify_ledger_task
from pgi.permissions import Perm
from pgi.tenancy import member_required


@member_required(Perm.INTEGRITY)
def integrite(request):
    run_id = request.GET.get("run", "")
    run = cache.get(run_key(request.company.pk, run_id)) if run_id else None
    context = {
        "run_id": run_id,
        "run": run,
        "last": cache.get(f"integrity:{request.company.pk}:last"),
        "head": Registre.objects.filter(company=request.company).first(),
    }
    template = "comptabilite/integrite.html"
    if request.htmx:
        template += "#status"
    return render(request, template, context)


@require_POST
@member_required(Perm.INTEGRITY)
def integrite_lancer(request):
    run_id = uuid.uuid4().hex
    cache.set(run_key(request.company.pk, run_id), {"state": "queued"}, 3600)
    verify_ledger_task.delay(request.company.pk, run_id)
    return redirect(f"{request.path.rsplit('/', 2)[0]}/?run={run_id}")


@member_required(Perm.INTEGRITY)
def journal(request):
    """The technical event log of the current company (and its members' logins)."""
    from django.core.paginator import Paginator
    from django.db.models import Q

    from pgi.models import Evenement, Membership

    members = Membership.objects.filter(company=request.company).values("user_id")
    events = Evenement.objects.filter(
        Q(company=request.company) | Q(company__isnull=True, user_id__in=members)
    ).select_related("user")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "comptabilite/journal.html", {"page": page})
