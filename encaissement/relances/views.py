"""Receivables list, "Relancer maintenant", disputes, promises, customer dunning profile."""

import csv
import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Client
from encaissement.models import Canal, Litige, Relance, ScenarioRelance
from encaissement.relances import services
from encaissement.relances.contenu import contenu_relance
from encaissement.relances.forms import LitigeForm, PromesseForm, RelanceForm, ResolutionForm
from encaissement.relances.planning import Scenarios, pause, prochain_niveau
from encaissement.relances.selectors import (
    EFFECTIVENESS_DAYS,
    FILTRES,
    creances_lister,
    creances_totaux,
    efficacite_par_niveau,
)
from facturation.models import Facture
from facturation.selectors import facture_lire
from pgi.exceptions import DomainError
from pgi.forms_utils import add_domain_errors
from pgi.permissions import Perm
from pgi.tenancy import member_required

PAGE_SIZE = 50
PAUSES = {
    "litige": _("En litige"),
    "promesse": _("Promesse"),
    "ne_pas_relancer": _("Ne pas relancer"),
}


def _facture(request, pk: int) -> Facture:
    try:
        return facture_lire(company=request.company, pk=pk)
    except Facture.DoesNotExist as exc:
        raise Http404 from exc


def _rows(request, factures, today):
    """Each invoice with its days late and its next planned action (no query per row)."""
    scenarios = Scenarios.load(request.company)
    rows = []
    for facture in factures:
        reason = pause(facture)
        nxt = None if reason else prochain_niveau(facture, scenarios.of(facture), today)
        rows.append({
            "facture": facture, "late": max((today - facture.due_date).days, 0),
            "pause": reason, "next": nxt,
        })  # fmt: skip
    return rows


def _next_label(row) -> str:
    if row["pause"]:
        return str(PAUSES.get(row["pause"], row["pause"]))
    if row["next"]:
        level, day = row["next"]
        return f"{level.name} ({day:%d/%m/%Y})"
    return ""


@member_required(Perm.VIEW)
def creances(request):
    """Open invoices by state (not due, overdue buckets, disputed, promised, collection)."""
    today = timezone.localdate()
    filtre = request.GET.get("etat", "")
    factures = creances_lister(company=request.company, today=today, filtre=filtre)
    page = Paginator(factures, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = creances_totaux(company=request.company, today=today)
    filtres = [{"key": f.key, "label": f.label, **totals[f.key]} for f in FILTRES]
    context = {
        "page": page, "rows": _rows(request, page.object_list, today), "filtre": filtre,
        "filtres": filtres, "today": today,
        "efficacite": efficacite_par_niveau(company=request.company), "days": EFFECTIVENESS_DAYS,
    }  # fmt: skip
    return render(request, "encaissement/relances/creances.html", context)


EXPORT_HEADER = [
    "Facture", "Client", "Émise le", "Échéance", "Jours de retard", "Montant TTC", "Reste dû",
    "Prochaine action",
]  # fmt: skip


@member_required(Perm.VIEW)
def creances_export(request, fmt: str):
    """The filtered receivables as CSV (semicolon, UTF-8 with BOM, for French Excel) or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    today = timezone.localdate()
    factures = creances_lister(
        company=request.company, today=today, filtre=request.GET.get("etat", "")
    )
    rows = _rows(request, factures.iterator(chunk_size=2000), today)
    data = [
        [
            r["facture"].number,
            r["facture"].client.name,
            r["facture"].issue_date,
            r["facture"].due_date,
            r["late"],
            r["facture"].total_incl_vat,
            r["facture"].amount_due,
            _next_label(r),
        ]  # fmt: skip
        for r in rows
    ]
    name = f"creances-{today:%Y-%m-%d}"
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, delimiter=";")
        writer.writerow(EXPORT_HEADER)
        for line in data:
            writer.writerow([
                v.strftime("%d/%m/%Y") if hasattr(v, "strftime")
                else str(v).replace(".", ",") if hasattr(v, "quantize") else v
                for v in line
            ])  # fmt: skip
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Créances"))
        sheet.append(EXPORT_HEADER)
        for line in data:
            sheet.append(line)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@member_required(Perm.COMMERCIAL_WRITE)
def relancer(request, pk: int):
    """ "Relancer maintenant": shows the next level's text for review, sends it on POST."""
    facture = _facture(request, pk)
    today = timezone.localdate()
    try:
        niveau, invoice = services.relance_manuelle_preparer(facture=facture, today=today)
    except DomainError as error:
        for problem in error.problems:
            messages.error(request, problem)
        return redirect(facture)
    if niveau.channel != Canal.EMAIL and niveau.channel != Canal.LETTRE:
        niveau_text = None
    else:
        niveau_text = contenu_relance(invoice, niveau, today=today)
    initial = {"subject": niveau_text.subject, "body": niveau_text.body} if niveau_text else {}
    form = RelanceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            relance = services.relance_manuelle(
                facture=facture, user=request.user, today=today,
                subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
            )  # fmt: skip
        except DomainError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request, _("%(n)s : %(s)s") % {"n": niveau.name, "s": relance.get_state_display()}
            )
            return redirect(facture)
    context = {"facture": facture, "niveau": niveau, "form": form, "invoice": invoice}
    return render(request, "encaissement/relances/relancer.html", context)


@member_required(Perm.COMMERCIAL_WRITE)
def litige_ouvrir(request, pk: int):
    facture = _facture(request, pk)
    form = LitigeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.litige_ouvrir(facture=facture, user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request, _("Litige ouvert : les relances de cette facture sont suspendues.")
            )
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = facture.get_absolute_url()
            return redirect(target)
    return render(
        request, "encaissement/relances/litige_form.html",
        {"facture": facture, "form": form, "next": request.GET.get("next", "")},
    )  # fmt: skip


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def litige_resoudre(request, pk: int):
    litige = get_object_or_404(Litige, pk=pk, company=request.company)
    form = ResolutionForm(request.POST)
    form.is_valid()
    try:
        services.litige_resoudre(
            litige=litige, user=request.user, note=form.cleaned_data.get("note", "")
        )
    except DomainError as error:
        for problem in error.problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("Litige résolu : les relances reprennent."))
    return redirect(litige.facture)


@member_required(Perm.COMMERCIAL_WRITE)
def promesse(request, pk: int):
    facture = _facture(request, pk)
    form = PromesseForm(request.POST or None, initial={"amount": facture.amount_due})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.promesse_enregistrer(
                facture=facture, day=data["date"], amount=data["amount"], note=data["note"],
                user=request.user,
            )  # fmt: skip
        except DomainError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request, _("Promesse enregistrée : les relances attendent cette date.")
            )
            return redirect(facture)
    return render(
        request, "encaissement/relances/promesse_form.html", {"facture": facture, "form": form}
    )


@member_required(Perm.VIEW)
def lettre_pdf(request, pk: int):
    """The formal notice letter of a reminder, as recorded (PDF to print and send by
    registered post)."""
    relance = get_object_or_404(
        Relance.objects.select_related("facture__client", "facture__company"),
        pk=pk, company=request.company, channel=Canal.LETTRE,
    )  # fmt: skip
    from encaissement.relances.lettre import lettre_pdf as render_letter

    data = render_letter(relance)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"mise-en-demeure-{relance.facture.number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def profil(request, pk: int):
    client = get_object_or_404(Client, pk=pk, company=request.company)
    scenario = None
    if request.POST.get("scenario", "").isdigit():
        scenario = get_object_or_404(
            ScenarioRelance, pk=request.POST["scenario"], company=request.company
        )
    services.profil_relance_modifier(
        client=client, do_not_dun=bool(request.POST.get("do_not_dun")), scenario=scenario
    )
    messages.success(request, _("Relances du client enregistrées."))
    return redirect(client)


@member_required(Perm.SETTINGS_MANAGE)
def scenario(request, pk: int | None = None):
    """A scenario of the company (the default one without `pk`): penalty mode, and each
    level's delay, channel and texts (the default is created from the built-in levels on the
    first visit's save, never by a GET)."""
    from django.db import transaction

    from encaissement.models import NiveauRelance
    from encaissement.relances.forms import NiveauFormSet, ScenarioForm
    from encaissement.relances.scenario import VARIABLES, scenario_defaut_assurer

    scenarios = list(ScenarioRelance.objects.filter(company=request.company))
    if pk is not None:
        current = get_object_or_404(ScenarioRelance, pk=pk, company=request.company)
    else:
        current = next((s for s in scenarios if s.is_default), None)
    base = {"variables": VARIABLES, "scenarios": scenarios, "current": current}
    if request.method == "POST" and current is None:
        current = scenario_defaut_assurer(company=request.company)
    if current is None:  # a GET writes nothing: the defaults, shown unsaved
        from encaissement.relances.scenario import default_levels

        levels = default_levels(request.company)
        form = ScenarioForm(instance=levels[0].scenario)
        context = {**base, "form": form, "formset": None, "levels": levels}
        return render(request, "encaissement/relances/scenario.html", context)
    queryset = NiveauRelance.objects.filter(scenario=current).order_by("position")
    form = ScenarioForm(request.POST or None, instance=current)
    formset = NiveauFormSet(request.POST or None, queryset=queryset)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            form.save()
            formset.save()
        messages.success(request, _("Scénario de relance enregistré."))
        if current.is_default:
            return redirect("relances:scenario")
        return redirect("relances:scenario_edit", pk=current.pk)
    context = {**base, "form": form, "formset": formset}
    return render(request, "encaissement/relances/scenario.html", context)


@require_POST
@member_required(Perm.SETTINGS_MANAGE)
def scenario_nouveau(request):
    from encaissement.relances.scenario import scenario_creer

    try:
        created = scenario_creer(company=request.company, name=request.POST.get("name", ""))
    except DomainError as error:
        for problem in error.problems:
            messages.error(request, problem)
        return redirect("relances:scenario")
    messages.success(
        request, _("Scénario créé à partir du scénario par défaut : ajustez-le, puis "
                   "choisissez-le sur la fiche des clients concernés.")
    )  # fmt: skip
    return redirect("relances:scenario_edit", pk=created.pk)


@member_required(Perm.VIEW)
def recouvrement(request, pk: int):
    """What an injonction de payer (C. proc. civ. art. 1405 s.) or the simplified collection
    procedure needs, on one page: both parties, the claim and its penalties today, the
    reminders and the formal notice with their dates, the disputes and promises."""
    from encaissement.relances.contenu import penalites_facture, soldes
    from encaissement.relances.planning import factures_ouvertes

    facture = _facture(request, pk)
    today = timezone.localdate()
    invoice = factures_ouvertes(company=request.company, today=today).filter(pk=pk).first()
    scenario = ScenarioRelance.objects.filter(company=request.company, is_default=True).first()
    mode = scenario.penalty_mode if scenario else "bce"
    pen = penalites_facture(facture, today=today, mode=mode) if invoice else None
    relances = list(facture.relances.select_related("niveau").order_by("position"))
    context = {
        "facture": facture, "invoice": invoice, "pen": pen, "today": today,
        "relances": relances,
        "demeure": next((r for r in relances if r.channel == Canal.LETTRE), None),
        "litiges": list(facture.litiges.all()), "promesses": list(facture.promesses.all()),
        "soldes": soldes(facture)[1:],
        "total": (invoice.amount_due + pen.total) if invoice and pen else None,
    }  # fmt: skip
    return render(request, "encaissement/relances/recouvrement.html", context)


def _client(request, pk: int) -> Client:
    return get_object_or_404(Client, pk=pk, company=request.company)


@member_required(Perm.VIEW)
def releve_pdf(request, pk: int):
    """The customer's statement today, rendered on request (never stored)."""
    from encaissement.relances.releve_client import filename, render_releve_pdf

    client = _client(request, pk)
    today = timezone.localdate()
    response = HttpResponse(render_releve_pdf(client, today=today), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename(client, today)}"'
    return response


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def releve_envoyer(request, pk: int):
    from encaissement.relances.releve_client import releve_envoyer as envoyer

    client = _client(request, pk)
    try:
        envoi = envoyer(client=client, user=request.user, to=request.POST.get("to", ""))
    except DomainError as error:
        for problem in error.problems:
            messages.error(request, problem)
    else:
        messages.success(
            request, _("Le relevé de compte part à %(to)s.") % {"to": envoi.recipients}
        )
    return redirect(client)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def penalites_facturer(request, pk: int):
    """ "Facturer les pénalités": a draft of the late penalties to review, then issue."""
    facture = _facture(request, pk)
    try:
        draft = services.penalites_facturer(
            facture=facture, user=request.user, today=timezone.localdate()
        )
    except DomainError as error:
        for problem in error.problems:
            messages.error(request, problem)
        return redirect(facture)
    messages.success(
        request,
        _("Brouillon de facture des pénalités créé : vérifiez-le, puis émettez-le."),
    )
    return redirect("facturation:facture_edit", pk=draft.pk)
