"""The owner's pages of e-invoicing: the platform connection (settings), the flows and the
e-reporting sent, the supplier invoices received; and the platform's webhook."""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.models import Client
from facturation.plateforme import ereporting, reception, selectors, services
from facturation.plateforme.client import InvalidWebhook, PlateformeError, plateforme_for
from facturation.plateforme.forms import ConnexionForm, PayeeForm, RefusForm, RoutageForm
from facturation.plateforme.models import (
    ConnexionPlateforme,
    EtatFactureRecue,
    FactureRecue,
    TypeFlux,
)
from pgi.exceptions import DomainError
from pgi.forms_utils import add_domain_errors
from pgi.permissions import Perm
from pgi.tenancy import member_required

logger = logging.getLogger(__name__)


@member_required(Perm.VIEW)
def connexion(request):
    current = ConnexionPlateforme.objects.filter(company=request.company).first()
    can_edit = request.membership.has_perm(Perm.SETTINGS_MANAGE)
    initial = {"active": False}
    if current is not None:
        initial = {"active": current.active, "name": current.name, "base_url": current.base_url}
    form = ConnexionForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.connexion_enregistrer(company=request.company, **form.cleaned_data)
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("Plateforme enregistrée."))
                return redirect("plateforme:connexion")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    webhook_url = (
        settings.SITE_URL.rstrip("/") + reverse("plateforme_webhooks:webhook",
                                                args=[current.webhook_token])
        if current is not None else ""
    )  # fmt: skip
    return render(request, "facturation/plateforme/connexion.html",
                  {"form": form, "connexion": current, "can_edit": can_edit,
                   "webhook_url": webhook_url})  # fmt: skip


@member_required(Perm.VIEW)
def flux_list(request):
    """What was sent to the platform, when, and what it answered; e-reporting included."""
    flux = selectors.flux_lister(company=request.company)
    return render(request, "facturation/plateforme/flux_list.html", {
        "flux": flux.exclude(kind=TypeFlux.EREPORTING)[:100],
        "ereporting": flux.filter(kind=TypeFlux.EREPORTING)[:48],
        "periode": ereporting.periode_precedente(request.company, timezone.localdate()),
        "connexion": services.connexion_active(request.company),
        "a_traiter": selectors.a_traiter(company=request.company),
    })  # fmt: skip


@member_required(Perm.COMMERCIAL_WRITE)
@require_POST
def ereporting_transmettre(request):
    periode = ereporting.periode_precedente(request.company, timezone.localdate())
    if not ereporting.ereporting_transmettre(company=request.company, periode=periode):
        messages.error(request, _("Aucune plateforme n'est connectée."))
    else:
        messages.success(request, _("E-reporting de %(p)s transmis à la plateforme.")
                         % {"p": periode.label})  # fmt: skip
    return redirect("plateforme:flux_list")


@member_required(Perm.COMMERCIAL_WRITE)
@require_POST
def flux_relancer(request, pk: int):
    try:
        flux = services.flux_relancer(company=request.company, flux_id=pk)
    except DomainError as exc:
        raise Http404 from exc
    messages.success(request, _("Le flux sera transmis à nouveau."))
    return redirect(flux.facture.get_absolute_url() if flux.facture else "plateforme:flux_list")


@member_required(Perm.COMMERCIAL_WRITE)
@require_POST
def routage(request, client_pk: int):
    client = get_object_or_404(Client, pk=client_pk, company=request.company)
    form = RoutageForm(request.POST)
    if form.is_valid():
        services.routage_modifier(client=client, routing_code=form.cleaned_data["routing_code"])
        messages.success(request, _("Code de routage enregistré."))
    return redirect(client.get_absolute_url())


# Received invoices ------------------------------------------------------------------------


def _recue_or_404(request, pk: int) -> FactureRecue:
    return get_object_or_404(FactureRecue, pk=pk, company=request.company)


@member_required(Perm.VIEW)
def recue_list(request):
    state = request.GET.get("etat", "")
    if state not in EtatFactureRecue.values:
        state = ""
    return render(request, "facturation/plateforme/recue_list.html", {
        "recues": selectors.recues_lister(company=request.company, state=state)[:200],
        "state": state, "states": EtatFactureRecue.choices,
    })  # fmt: skip


@member_required(Perm.VIEW)
def recue_detail(request, pk: int):
    recue = _recue_or_404(request, pk)
    return render(request, "facturation/plateforme/recue_detail.html", {
        "recue": recue, "refus_form": RefusForm(), "payee_form": PayeeForm(),
        "statuts": recue.statuts.order_by("at", "pk"),
    })  # fmt: skip


@member_required(Perm.VIEW)
def recue_pdf(request, pk: int):
    recue = _recue_or_404(request, pk)
    if not recue.file:
        raise Http404
    return FileResponse(recue.file.open("rb"), content_type="application/pdf",
                        filename=f"{recue.number}.pdf")  # fmt: skip


def _decide(request, pk: int, action, form=None):
    recue = _recue_or_404(request, pk)
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(recue.get_absolute_url())
    try:
        action(recue, **(form.cleaned_data if form is not None else {}))
    except DomainError as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("Facture %(n)s mise à jour.") % {"n": recue.number})
    return redirect(recue.get_absolute_url())


@member_required(Perm.COMMERCIAL_WRITE)
@require_POST
def recue_approuver(request, pk: int):
    return _decide(request, pk, lambda r: reception.recue_approuver(recue=r, user=request.user))


@member_required(Perm.COMMERCIAL_WRITE)
@require_POST
def recue_refuser(request, pk: int):
    return _decide(request, pk, lambda r, reason: reception.recue_refuser(
        recue=r, user=request.user, reason=reason), RefusForm(request.POST))  # fmt: skip


@member_required(Perm.COMMERCIAL_WRITE)
@require_POST
def recue_payer(request, pk: int):
    return _decide(request, pk, lambda r, day: reception.recue_payer(
        recue=r, user=request.user, day=day), PayeeForm(request.POST))  # fmt: skip


# The platform's webhook ----------------------------------------------------------------------


@csrf_exempt
@require_POST
def webhook(request, webhook_token):
    """The platform's events for one company's connection: verified by its signature, applied
    once. 400 for a request that does not check out; 500 when it could not be recorded, so
    that the platform delivers it again (the poller also finds it later)."""
    connexion = ConnexionPlateforme.objects.filter(webhook_token=webhook_token).first()
    if connexion is None:
        raise Http404
    try:
        event = plateforme_for(connexion).parse_webhook(request.body, request.headers)
    except InvalidWebhook as exc:
        logger.warning("platform webhook refused for connection %s: %s", connexion.pk, exc)
        return HttpResponseBadRequest("invalid signature")
    try:
        outcome = services.evenement_traiter(connexion=connexion, event=event)
    except (DomainError, PlateformeError, DatabaseError):
        logger.exception("platform event %s could not be recorded", event.event_id)
        return HttpResponse("not recorded", status=500)
    return HttpResponse(outcome, content_type="text/plain; charset=utf-8")
