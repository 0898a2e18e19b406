"""The sales funnel's pages: the kanban board, the list, an opportunity, stages, activities
and "Mes tâches". Thin views: permission, form, service call (crm.pipeline), redirect or
partial."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.forms import ActiviteForm, EtapeForm, OpportuniteForm, PerteForm
from crm.models import Activite, Client, Etape, Opportunite, OpportuniteStatut
from crm.panels import opportunite_panels
from pgi.activite import fil_objet
from pgi.exceptions import DomainError
from pgi.forms_utils import add_domain_errors
from pgi.models import User
from pgi.permissions import Perm
from pgi.tenancy import member_required

PAGE_SIZE = 25


def _opportunite_or_404(request, pk: int) -> Opportunite:
    try:
        return selectors.opportunite_lire(company=request.company, pk=pk)
    except Opportunite.DoesNotExist as exc:
        raise Http404 from exc


def _next(request, default: str) -> str:
    """Where to go back after a POST: a path of this site only."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(default)


def _owner_filter(request) -> int | None:
    """The board's filter: in the query string, or posted with a move (static/js/pipeline.js)."""
    owner = request.GET.get("responsable") or request.POST.get("responsable", "")
    if owner == "moi":
        return request.user.pk
    return int(owner) if owner.isdigit() else None


def _board_context(request, error: str = "") -> dict:
    columns, totals = selectors.pipeline_tableau(
        company=request.company, owner=_owner_filter(request)
    )
    return {
        "columns": columns,
        "totals": totals,
        "error": error,
        "responsable": request.GET.get("responsable") or request.POST.get("responsable", ""),
        "closed_days": selectors.CLOSED_SHOWN_DAYS,
        # The cards' links are this prefix + pk (crm/pipeline_urls.py): one reverse() for
        # the board instead of two per card (bench/pipeline.py).
        "base": reverse("pipeline:tableau"),
    }


@member_required(Perm.VIEW)
def tableau(request):
    """The kanban board: a column per stage, its count, total and weighted total."""
    return render(request, "crm/pipeline/tableau.html", _board_context(request))


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def opportunite_move(request, pk: int):
    """htmx, from a card dropped on another column: the server checks the move and answers
    with the whole board (counts and totals updated; a refused move puts the card back)."""
    opp = _opportunite_or_404(request, pk)
    etape = Etape.objects.for_company(request.company).filter(pk=request.POST.get("etape")).first()
    error = ""
    if etape is None:
        error = _("Étape inconnue.")
    elif etape.is_lost and etape.pk != opp.etape_id:
        # A lost deal needs its reason: the lose form asks for it.
        url = reverse("pipeline:opportunite_lose", args=[opp.pk])
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return redirect(url)
    else:
        try:
            services.opportunite_deplacer(opportunite=opp, etape=etape, user=request.user)
        except DomainError as exc:
            error = " ".join(exc.problems)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("pipeline:tableau")
    return render(request, "crm/pipeline/tableau.html#board", _board_context(request, error))


def _members(request):
    return User.objects.filter(memberships__company=request.company).order_by("email")


@member_required(Perm.VIEW)
def opportunite_list(request):
    params = {k: request.GET.get(k, "") for k in ("statut", "etape", "responsable", "q", "tri")}
    opportunites = selectors.opportunite_lister(
        company=request.company, status=params["statut"], etape=params["etape"],
        owner=params["responsable"], search=params["q"], order=params["tri"],
    )  # fmt: skip
    page = Paginator(opportunites, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, **params, "statuses": OpportuniteStatut.choices,
        "etapes": selectors.etape_lister(company=request.company), "members": _members(request),
    }  # fmt: skip
    template = "crm/pipeline/opportunite_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


def _opportunite_form_view(request, *, opp: Opportunite | None):
    initial = {}
    if opp is None:
        if (client := request.GET.get("client", "")).isdigit():
            initial["client"] = client
        initial["owner"] = request.user.pk
    form = OpportuniteForm(request.POST or None, instance=opp, company=request.company,
                           initial=initial)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "etape" or v is not None}
        try:
            if opp is None:
                opp = services.opportunite_creer(
                    company=request.company, fields=fields, user=request.user
                )
                messages.success(request, _("Opportunité « %(t)s » créée.") % {"t": opp.title})
            else:
                if fields.get("etape") is None:
                    fields.pop("etape", None)
                opp = services.opportunite_modifier(
                    opportunite=opp, fields=fields, user=request.user
                )
                messages.success(request, _("Opportunité enregistrée."))
            return redirect(opp)
        except DomainError as exc:
            add_domain_errors(form, exc)
    return render(request, "crm/pipeline/opportunite_form.html", {"form": form, "opp": opp})


@member_required(Perm.COMMERCIAL_WRITE)
def opportunite_create(request):
    return _opportunite_form_view(request, opp=None)


@member_required(Perm.COMMERCIAL_WRITE)
def opportunite_update(request, pk: int):
    return _opportunite_form_view(request, opp=_opportunite_or_404(request, pk))


@member_required(Perm.VIEW)
def opportunite_detail(request, pk: int):
    opp = _opportunite_or_404(request, pk)
    context = {
        "opp": opp,
        "activites": opp.activites.select_related("assignee").order_by("-created_at")[:50],
        "history": fil_objet(opp),
        "etapes": selectors.etape_lister(company=request.company),
        "panels": opportunite_panels(request, opp),  # quotes... (crm.panels)
    }
    return render(request, "crm/pipeline/opportunite_detail.html", context)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def opportunite_win(request, pk: int):
    opp = _opportunite_or_404(request, pk)
    try:
        reason = " ".join(request.POST.get("reason", "").split())[:300]
        services.opportunite_gagner(opportunite=opp, user=request.user, reason=reason)
        messages.success(request, _("Opportunité gagnée."))
    except DomainError as exc:
        messages.error(request, " ".join(exc.problems))
    return redirect(opp)


@member_required(Perm.COMMERCIAL_WRITE)
def opportunite_lose(request, pk: int):
    opp = _opportunite_or_404(request, pk)
    form = PerteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunite_perdre(
                opportunite=opp, reason=form.cleaned_data["reason"], user=request.user
            )
            messages.success(request, _("Opportunité perdue."))
            return redirect(opp)
        except DomainError as exc:
            add_domain_errors(form, exc)
    return render(request, "crm/pipeline/perte_form.html", {"form": form, "opp": opp})


@member_required(Perm.VIEW)
def etapes(request):
    """The company's stages; the owner and staff add and change them."""
    form = EtapeForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.has_perm(Perm.COMMERCIAL_WRITE):
            raise Http404
        if form.is_valid():
            try:
                services.etape_enregistrer(
                    company=request.company, etape=None, fields=form.cleaned_data
                )
                messages.success(request, _("Étape ajoutée."))
                return redirect("pipeline:etapes")
            except DomainError as exc:
                add_domain_errors(form, exc)
    context = {"etapes": selectors.etape_lister(company=request.company), "form": form}
    return render(request, "crm/pipeline/etapes.html", context)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def etapes_init(request):
    services.etapes_par_defaut(company=request.company)
    return redirect(_next(request, "pipeline:tableau"))


@member_required(Perm.COMMERCIAL_WRITE)
def etape_update(request, pk: int):
    etape = get_object_or_404(Etape, pk=pk, company=request.company)
    form = EtapeForm(request.POST or None, instance=etape)
    if request.method == "POST" and form.is_valid():
        try:
            services.etape_enregistrer(
                company=request.company, etape=etape, fields=form.cleaned_data
            )
            messages.success(request, _("Étape enregistrée."))
            return redirect("pipeline:etapes")
        except DomainError as exc:
            add_domain_errors(form, exc)
    return render(request, "crm/pipeline/etape_form.html", {"form": form, "etape": etape})


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def etape_delete(request, pk: int):
    etape = get_object_or_404(Etape, pk=pk, company=request.company)
    try:
        services.etape_supprimer(etape=etape)
        messages.success(request, _("Étape supprimée."))
    except DomainError as exc:
        messages.error(request, " ".join(exc.problems))
    return redirect("pipeline:etapes")


@member_required(Perm.COMMERCIAL_WRITE)
def activite_create(request):
    initial: dict = {"kind": request.GET.get("type", "note")}
    client = None
    if (pk := request.GET.get("client", "")).isdigit():
        client = Client.objects.for_company(request.company).filter(pk=pk).first()
        initial["client"] = client.pk if client else None
    if (opp_pk := request.GET.get("opportunite", "")).isdigit():
        opp = Opportunite.objects.for_company(request.company).filter(pk=opp_pk).first()
        if opp is not None:
            initial.update(opportunite=opp.pk, client=opp.client_id)
    form = ActiviteForm(request.POST or None, company=request.company, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activite = services.activite_creer(
                company=request.company, fields=form.cleaned_data, user=request.user
            )
            messages.success(request, _("Activité enregistrée."))
            return redirect(activite.opportunite or activite.client)
        except DomainError as exc:
            add_domain_errors(form, exc)
    return render(request, "crm/pipeline/activite_form.html", {"form": form})


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def activite_done(request, pk: int):
    activite = get_object_or_404(Activite, pk=pk, company=request.company)
    services.activite_terminer(activite=activite, user=request.user)
    messages.success(request, _("Tâche faite."))
    return redirect(_next(request, "pipeline:taches"))


@member_required(Perm.VIEW)
def taches(request):
    """Mes tâches: overdue, today, and the coming week."""
    context = selectors.mes_taches(company=request.company, user=request.user)
    return render(request, "crm/pipeline/taches.html", context)


@member_required(Perm.VIEW)
def statistiques(request):
    """Conversion from each stage to the next, win rate, time to close, pipeline by month."""
    stats = selectors.pipeline_statistiques(company=request.company)
    return render(request, "crm/pipeline/statistiques.html", {"stats": stats})
