import uuid
from datetime import date, datetime

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from comptabilite.archives import public_key_hex
from comptabilite.exceptions import ComptabiliteError
from comptabilite.models import Archive, Cloture, ClotureKind
from comptabilite.pdf import render_cloture_pdf
from comptabilite.selectors import add_months, archive_lister, cloture_lister
from comptabilite.services import archive_creer, cloture_effectuer
from comptabilite.tableaux.selectors import chiffres_accueil
from comptabilite.tasks import run_key, verify_registre_task
from crm.models import Client, ClientStatus
from pgi import registre
from pgi.events import sealed_events
from pgi.models import Evenement, Registre
from pgi.permissions import Perm
from pgi.tenancy import member_required


@member_required(Perm.VIEW)
def tableau_de_bord(request):
    """The home page: customers and prospects, sales of the last 12 months, due and overdue."""
    clients = Client.objects.for_company(request.company)
    context = {
        "customer_count": clients.filter(status=ClientStatus.CUSTOMER).count(),
        "prospect_count": clients.filter(status=ClientStatus.PROSPECT).count(),
        "recent_clients": clients.order_by("-created_at")[:5],
        "figures": chiffres_accueil(company=request.company, today=timezone.localdate()),
    }
    return render(request, "comptabilite/tableau_de_bord.html", context)


def _with_times(result: dict | None) -> dict | None:
    """A cached result with its ISO times as datetimes: the page shows them in the site's
    time zone, not as the UTC text they are stored in."""
    if not result:
        return result
    return {
        name: datetime.fromisoformat(value) if name in ("started", "finished") else value
        for name, value in result.items()
    }


@member_required(Perm.INTEGRITY)
def integrite(request):
    run_id = request.GET.get("run", "")
    run = cache.get(run_key(request.company.pk, run_id)) if run_id else None
    context = {
        "run_id": run_id,
        "run": _with_times(run),
        "last": _with_times(cache.get(f"integrity:{request.company.pk}:last")),
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
    verify_registre_task.delay(request.company.pk, run_id, request.user.pk)
    return redirect(f"{request.path.rsplit('/', 2)[0]}/?run={run_id}")


@member_required(Perm.INTEGRITY)
def evenements(request):
    """The company's technical event log (its members' logins included), shown as sealed:
    time, user and message come from each event's payload, the message in the reader's
    language, the time in the site's time zone."""
    events = Evenement.objects.filter(company=request.company).order_by("-sequence")
    page = Paginator(events.only("sequence", "payload"), 50).get_page(request.GET.get("page"))
    context = {"page": page, "events": sealed_events(page.object_list)}
    return render(request, "comptabilite/evenements.html", context)


def _closable_months(company, today):
    """Months that can be closed next: after the last monthly closure, up to last month."""
    last = (
        Cloture.objects.filter(company=company, kind=ClotureKind.MONTHLY)
        .order_by("-period_start")
        .first()
    )
    if last is not None:
        start = add_months(last.period_start, 1)
    else:
        first = registre.first_document_day(company=company)
        start = (first or today).replace(day=1)
    months = []
    while add_months(start, 1) <= today.replace(day=1) and len(months) < 24:
        months.append(start)
        start = add_months(start, 1)
    return months


@member_required(Perm.VIEW)
def clotures(request):
    today = timezone.localdate()
    can_close = request.membership.has_perm(Perm.CLOSE)
    context = {
        "clotures": cloture_lister(company=request.company).order_by("-period_start", "kind"),
        "closable": _closable_months(request.company, today) if can_close else [],
        "archives": archive_lister(company=request.company) if can_close else [],
        "can_close": can_close,
        "public_key": public_key_hex(),
    }
    return render(request, "comptabilite/clotures.html", context)


@require_POST
@member_required(Perm.CLOSE)
def cloture_creer(request):
    kind = request.POST.get("kind", "mensuelle")
    try:
        start = date.fromisoformat(request.POST.get("start", ""))
    except ValueError:
        messages.error(request, _("Période invalide."))
        return redirect("comptabilite:clotures")
    try:
        cloture = cloture_effectuer(
            company=request.company, kind=kind, period_start=start, user=request.user
        )
    except ComptabiliteError as exc:
        messages.error(request, " ".join(exc.problems))
    else:
        messages.success(request, _("Période clôturée : %(r)s.") % {"r": cloture.reference})
    return redirect("comptabilite:clotures")


@member_required(Perm.VIEW)
def cloture_pdf(request, pk: int):
    cloture = Cloture.objects.filter(company=request.company, pk=pk).first()
    if cloture is None:
        raise Http404
    response = HttpResponse(render_cloture_pdf(cloture), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{cloture.reference}.pdf"'
    return response


@require_POST
@member_required(Perm.CLOSE)
def cloture_archiver(request, pk: int):
    """Builds, seals and keeps the signed archive of a closed period."""
    cloture = Cloture.objects.filter(company=request.company, pk=pk).first()
    if cloture is None:
        raise Http404
    try:
        archive = archive_creer(company=request.company, cloture=cloture, user=request.user)
    except ComptabiliteError as exc:
        messages.error(request, " ".join(exc.problems))
    else:
        messages.success(request, _("Archive créée : %(f)s.") % {"f": archive.filename})
    return redirect("comptabilite:clotures")


@require_safe
@member_required(Perm.CLOSE)
def archive_telecharger(request, pk: int):
    """Sends a stored archive as it was sealed; writes nothing."""
    archive = Archive.objects.for_company(request.company).filter(pk=pk).first()
    if archive is None:
        raise Http404
    return FileResponse(archive.file.open("rb"), as_attachment=True, filename=archive.filename)
