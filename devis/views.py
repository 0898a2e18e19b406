"""The owner's pages of quotes, and the customer's page through its signed link."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Opportunite
from devis import selectors, services
from devis.delivery import acceptation_pdf_generer
from devis.documents import preview_content
from devis.exceptions import DevisError
from devis.forms import (
    AcceptationForm,
    AcompteForm,
    DevisCreateForm,
    DevisForm,
    FiltreForm,
    ParametresDevisForm,
    RefusForm,
    ligne_devis_formset,
)
from devis.models import OPEN_STATES, Acceptation, Devis, Statut
from devis.pdf import render_devis_pdf
from devis.public import LienRevoque, devis_from_token, public_url
from facturation.forms import EnvoiForm
from facturation.selectors import article_lister
from pgi.events import client_ip
from pgi.forms_utils import add_domain_errors
from pgi.models import Membership
from pgi.pdf import brand_colours
from pgi.permissions import Perm
from pgi.tenancy import member_required
from pgi.totals import compute_totals

PAGE_SIZE = 25


def _devis_or_404(request, pk: int) -> Devis:
    try:
        return selectors.devis_lire(company=request.company, pk=pk)
    except Devis.DoesNotExist as exc:
        raise Http404 from exc


@member_required(Perm.VIEW)
def devis_list(request):
    filtre = FiltreForm(request.GET or None)
    data = filtre.cleaned_data if filtre.is_valid() else {}
    quotes = selectors.devis_lister(
        company=request.company, status=data.get("statut") or "",
        client=data.get("client") or "", start=data.get("du"), end=data.get("au"),
    )  # fmt: skip
    page = Paginator(quotes, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "filtre": filtre,
        "synthese": selectors.devis_synthese(company=request.company, today=timezone.localdate()),
    }  # fmt: skip
    template = "devis/devis_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


@member_required(Perm.COMMERCIAL_WRITE)
def devis_create(request):
    initial = {"client": request.GET["client"]} if request.GET.get("client") else {}
    form = DevisCreateForm(request.POST or None, company=request.company, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        client = data.pop("client")
        try:
            devis = services.devis_creer(
                company=request.company, client=client, user=request.user, fields=data
            )
        except DevisError as exc:
            add_domain_errors(form, exc)
        else:
            return redirect("devis:devis_edit", pk=devis.pk)
    return render(request, "devis/devis_create.html", {"form": form})


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def devis_depuis_opportunite(request, pk: int):
    """The "Créer un devis" button of an opportunity: a draft for its customer, linked to it and
    titled after it."""
    opp = get_object_or_404(Opportunite.objects.select_related("client"), pk=pk,
                            company=request.company)  # fmt: skip
    try:
        devis = services.devis_creer(
            company=request.company, client=opp.client, user=request.user,
            fields={"subject": opp.title[:200]}, opportunite=opp,
        )  # fmt: skip
    except DevisError as exc:
        messages.error(request, " ".join(exc.problems))
        return redirect(opp)
    return redirect("devis:devis_edit", pk=devis.pk)


@member_required(Perm.COMMERCIAL_WRITE)
def devis_edit(request, pk: int):
    devis = _devis_or_404(request, pk)
    if not devis.is_draft:
        messages.error(request, _("Ce devis est envoyé : faites-en une nouvelle version."))
        return redirect(devis)
    form = DevisForm(request.POST or None, instance=devis, company=request.company)
    if request.method == "POST":
        formset = ligne_devis_formset(request.company, request.POST)
    else:
        initial = [
            {name: getattr(line, name) for name in services.LINE_FIELDS}
            for line in devis.lines.all()
        ]
        formset = ligne_devis_formset(request.company, initial=initial or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.devis_brouillon_enregistrer(
                devis=devis, fields=dict(form.cleaned_data), lines=formset.line_data()
            )
        except DevisError as exc:
            add_domain_errors(form, exc)
        else:
            if "send" in request.POST:
                return redirect("devis:devis_send", pk=devis.pk)
            if "preview" in request.POST:
                return redirect("devis:devis_apercu", pk=devis.pk)
            messages.success(request, _("Brouillon enregistré."))
            return redirect("devis:devis_edit", pk=devis.pk)
    lines = [line for line in devis.lines.all() if line.counts]
    context = {
        "devis": devis, "form": form, "formset": formset,
        "articles": article_lister(company=request.company, active_only=True),
        "totals": formset.totals() or compute_totals(lines),
        "send_problems": request.session.pop("send_problems", []),
    }  # fmt: skip
    return render(request, "devis/devis_edit.html", context)


@member_required(Perm.COMMERCIAL_WRITE)
def devis_totals(request, pk: int):
    """htmx: the live totals of the line editor (the shared engine), options left out."""
    devis = _devis_or_404(request, pk)
    formset = ligne_devis_formset(request.company, request.POST)
    return render(
        request, "devis/devis_edit.html#totals", {"devis": devis, "totals": formset.totals()}
    )


@member_required(Perm.VIEW)
def devis_detail(request, pk: int):
    devis = _devis_or_404(request, pk)
    if devis.is_draft and request.membership.has_perm(Perm.COMMERCIAL_WRITE):
        return redirect("devis:devis_edit", pk=devis.pk)
    lines = list(devis.lines.all())
    first = devis.origine or devis
    context = {
        "devis": devis,
        "rows": list(zip(lines, compute_totals(lines).lines, strict=True)),
        "acceptation": Acceptation.objects.filter(devis=devis).first(),
        "versions": Devis.objects.filter(company=request.company)
        .filter(Q(pk=first.pk) | Q(origine=first))
        .order_by("version"),
        "factures": devis.factures.select_related("facture").order_by("pk"),
        "historique": devis.historique.select_related("user"),
        "link": public_url(devis) if not devis.is_draft else "",
        "acompte_form": AcompteForm(initial={"percent": devis.deposit_percent}),
        "is_open": devis.status in OPEN_STATES,
    }
    return render(request, "devis/devis_detail.html", context)


@member_required(Perm.VIEW)
def devis_pdf(request, pk: int):
    devis = _devis_or_404(request, pk)
    if devis.is_draft:
        raise Http404
    devis = services.devis_pdf_generer(devis_id=devis.pk)
    return FileResponse(
        devis.pdf.open("rb"), content_type="application/pdf", filename=f"{devis.reference}.pdf"
    )


@member_required(Perm.VIEW)
def devis_signed_pdf(request, pk: int):
    devis = _devis_or_404(request, pk)
    acceptation = Acceptation.objects.filter(devis=devis).first()
    if acceptation is None:
        raise Http404
    acceptation = acceptation_pdf_generer(acceptation_id=acceptation.pk)
    return FileResponse(
        acceptation.signed_pdf.open("rb"), content_type="application/pdf",
        filename=f"{devis.reference}-signe.pdf",
    )  # fmt: skip


@member_required(Perm.VIEW)
def devis_apercu(request, pk: int):
    """A draft's PDF as it would print, marked « APERÇU »: nothing stored (a GET writes
    nothing)."""
    devis = _devis_or_404(request, pk)
    if not devis.is_draft:
        raise Http404
    content = preview_content(
        devis, today=timezone.localdate(), parametres=services.parametres_devis(request.company)
    )
    logo = devis.company.logo.path if devis.company.logo else None
    response = HttpResponse(render_devis_pdf(content, logo_path=logo, preview=True),
                            "application/pdf")  # fmt: skip
    response["Content-Disposition"] = f'inline; filename="apercu-devis-{devis.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@member_required(Perm.COMMERCIAL_WRITE)
def devis_send(request, pk: int):
    devis = _devis_or_404(request, pk)
    if devis.status not in (Statut.DRAFT, *OPEN_STATES):
        raise Http404
    # The link is known before the first sending: it signs the quote's first version.
    context_email = {"devis": devis, "company": request.company, "link": public_url(devis)}
    initial = {
        "recipients": devis.client.email,
        "subject": render_to_string("devis/email/devis_subject.txt", context_email).strip(),
        "body": render_to_string("devis/email/devis_body.txt", context_email),
    }
    form = EnvoiForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A big quote to a company: the directory is asked again first; what it warns of
        # (closed, collective procedure) holds the sending until the owner confirms. An
        # unavailable directory only says so.
        verification = services.devis_verifier_client(devis)
        if (
            verification is not None
            and verification.at_risk
            and not request.POST.get("directory_ok")
        ):
            context = {"devis": devis, "form": form, "verification": verification}
            return render(request, "devis/devis_send.html", context)
        if verification is not None and verification.unavailable:
            messages.info(
                request,
                _("Annuaire des entreprises indisponible : le client n'a pas pu être vérifié."),
            )
        try:
            services.devis_envoyer(
                devis=devis, user=request.user, recipients=data["recipients"],
                subject=data["subject"], body=data["body"],
            )  # fmt: skip
        except DevisError as exc:
            if devis.is_draft:
                request.session["send_problems"] = exc.problems
                messages.error(
                    request, _("Envoi impossible : complétez les mentions obligatoires.")
                )
                return redirect("devis:devis_edit", pk=devis.pk)
            add_domain_errors(form, exc)
        else:
            messages.success(
                request, _("Devis envoyé à %(r)s.") % {"r": ", ".join(data["recipients"])}
            )
            return redirect("devis:devis_detail", pk=devis.pk)
    return render(request, "devis/devis_send.html", {"devis": devis, "form": form})


def _action(service, success: str):
    """A POST on one quote calling one service; a refusal becomes a message, never a 500."""

    @require_POST
    @member_required(Perm.COMMERCIAL_WRITE)
    def view(request, pk: int):
        devis = _devis_or_404(request, pk)
        try:
            result = service(request, devis)
        except DevisError as exc:
            messages.error(request, " ".join(exc.problems))
            return redirect(devis)
        messages.success(request, success)
        return redirect(result)

    return view


devis_reviser = _action(
    lambda request, devis: services.devis_reviser(
        devis=devis, user=request.user
    ).get_absolute_url(),
    _("Nouvelle version en brouillon : modifiez-la puis envoyez-la."),
)
devis_duplicate = _action(
    lambda request, devis: services.devis_dupliquer(devis=devis, user=request.user),
    _("Copie créée : un nouveau brouillon."),
)
devis_cancel = _action(
    lambda request, devis: services.devis_annuler(devis=devis, user=request.user),
    _("Devis annulé."),
)
devis_lien_renouveler = _action(
    lambda request, devis: services.lien_devis_renouveler(devis=devis) and devis,
    _("L'ancien lien client est révoqué ; le nouveau figure sur cette page."),
)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def devis_delete(request, pk: int):
    devis = _devis_or_404(request, pk)
    try:
        services.devis_supprimer(devis=devis)
    except DevisError as exc:
        messages.error(request, " ".join(exc.problems))
        return redirect(devis)
    messages.success(request, _("Brouillon supprimé."))
    return redirect("devis:devis_list")


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def devis_acompte(request, pk: int):
    devis = _devis_or_404(request, pk)
    form = AcompteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez un pourcentage ou un montant d'acompte."))
        return redirect(devis)
    try:
        deposit = services.devis_facturer_acompte(
            devis=devis, user=request.user, percent=form.cleaned_data["percent"],
            amount_excl_vat=form.cleaned_data["amount"],
        )  # fmt: skip
    except DevisError as exc:
        messages.error(request, " ".join(exc.problems))
        return redirect(devis)
    messages.success(request, _("Facture d'acompte préparée : vérifiez-la puis émettez-la."))
    return redirect("facturation:facture_edit", pk=deposit.pk)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def devis_solde(request, pk: int):
    devis = _devis_or_404(request, pk)
    try:
        final = services.devis_facturer_solde(devis=devis, user=request.user)
    except DevisError as exc:
        messages.error(request, " ".join(exc.problems))
        return redirect(devis)
    messages.success(request, _("Facture préparée d'après le devis, acomptes émis déduits."))
    return redirect(final)


@member_required(Perm.SETTINGS_MANAGE)
def parametres(request):
    instance = services.parametres_devis(request.company)
    form = ParametresDevisForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.parametres_devis_enregistrer(company=request.company, fields=form.cleaned_data)
        except DevisError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Paramètres des devis enregistrés."))
            return redirect("devis:parametres")
    return render(request, "devis/parametres.html", {"form": form})


# The customer's page -------------------------------------------------------------------------


def _public(token: str) -> Devis:
    devis = devis_from_token(token)
    if devis is None:
        raise Http404
    return devis


def _revoked(request, revoked: LienRevoque):
    return render(
        request, "facturation/public_revoked.html", {"company": revoked.company}, status=410
    )


def devis_public(request, token: str):
    """The customer's page: the quote, its options to tick, the PDF, the terms, then accept
    (name, consent, optional drawn signature) or refuse with a reason."""
    try:
        devis = _public(token)
    except LienRevoque as revoked:
        return _revoked(request, revoked)
    if devis.status == Statut.CANCELLED:
        raise Http404
    return _public_page(request, devis, token)


def _public_page(request, devis: Devis, token: str, *, form=None, refus=None, status=200):
    lines = list(devis.lines.all())
    option_lines = [line for line in lines if line.optional]
    if form is None:
        devis = services.devis_pdf_generer(devis_id=devis.pk)  # the PDF whose hash is shown
        form = AcceptationForm(
            option_lines=option_lines,
            initial={"pdf_sha256": devis.pdf_sha256,
                     "options": [line.position for line in option_lines if line.chosen]},
        )  # fmt: skip
    context = {
        "devis": devis, "company": devis.company, "token": token,
        "rows": list(zip(lines, compute_totals(lines).lines, strict=True)),
        "form": form, "refus": refus or RefusForm(), "consent_text": services.consent_text(devis),
        "is_open": devis.status in OPEN_STATES
        and (devis.valid_until is None or devis.valid_until >= timezone.localdate()),
        "acceptation": Acceptation.objects.filter(devis=devis).first(),
        "brand_css_url": _url("devis_public_css", token),
        "logo_url": _url("devis_public_logo", token) if devis.company.logo else "",
    }  # fmt: skip
    return render(request, "devis/public.html", context, status=status)


def _url(name: str, token: str) -> str:
    return reverse(name, args=[token])


@require_POST
def devis_public_accept(request, token: str):
    try:
        devis = _public(token)
    except LienRevoque as revoked:
        return _revoked(request, revoked)
    option_lines = [line for line in devis.lines.all() if line.optional]
    form = AcceptationForm(request.POST, option_lines=option_lines)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.devis_accepter(
                devis=devis, name=data["name"], consent=data["consent"],
                options=data["options"], pdf_sha256=data["pdf_sha256"], ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""), signature=data["signature"],
            )  # fmt: skip
        except DevisError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request,
                _("Merci : le devis est accepté. Votre copie signée vous est envoyée par e-mail."),
            )
            return redirect("devis_public", token=token)
    return _public_page(request, devis, token, form=form, status=422)


@require_POST
def devis_public_refuse(request, token: str):
    try:
        devis = _public(token)
    except LienRevoque as revoked:
        return _revoked(request, revoked)
    refus = RefusForm(request.POST)
    if refus.is_valid():
        try:
            services.devis_refuser(devis=devis, reason=refus.cleaned_data["reason"])
        except DevisError as exc:
            add_domain_errors(refus, exc)
        else:
            messages.info(request, _("Votre refus est enregistré. Merci de votre réponse."))
            return redirect("devis_public", token=token)
    return _public_page(request, devis, token, refus=refus, status=422)


@require_POST
def devis_public_vu(request, token: str):
    """The page was opened in a browser (htmx on load, so the GET stays read-only and a mail
    scanner fetching the link counts for nothing); a member of the company is not the
    customer."""
    try:
        devis = _public(token)
    except LienRevoque as exc:
        raise Http404 from exc
    member = (
        request.user.is_authenticated
        and Membership.objects.filter(user=request.user, company=devis.company).exists()
    )
    if not member:
        services.devis_marquer_vu(devis=devis)
    return HttpResponse(status=204)


def devis_public_pdf(request, token: str):
    try:
        devis = _public(token)
    except LienRevoque as revoked:
        return _revoked(request, revoked)
    acceptation = Acceptation.objects.filter(devis=devis).first()
    if acceptation is not None:
        acceptation = acceptation_pdf_generer(acceptation_id=acceptation.pk)
        return FileResponse(
            acceptation.signed_pdf.open("rb"), content_type="application/pdf",
            filename=f"{devis.reference}-signe.pdf",
        )  # fmt: skip
    devis = services.devis_pdf_generer(devis_id=devis.pk)
    return FileResponse(
        devis.pdf.open("rb"), content_type="application/pdf", filename=f"{devis.reference}.pdf"
    )


def devis_public_logo(request, token: str):
    try:
        company = _public(token).company
    except LienRevoque as exc:
        raise Http404 from exc
    if not company.logo:
        raise Http404
    try:
        return FileResponse(company.logo.open("rb"))
    except FileNotFoundError as exc:
        raise Http404 from exc


def devis_public_css(request, token: str):
    try:
        company = _public(token).company
    except LienRevoque as exc:
        raise Http404 from exc
    return render(
        request, "facturation/public_brand.css", brand_colours(company.brand_color),
        content_type="text/css",
    )  # fmt: skip
