from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Client
from facturation import selectors, services
from facturation.documents import preview_content
from facturation.exceptions import FactureError
from facturation.forms import (
    ArticleForm,
    AvoirForm,
    EnvoiForm,
    FactureForm,
    RecurrenceForm,
    ligne_formset,
)
from facturation.models import Article, DocumentPDF, Facture, FactureRecurrente, Kind, Status
from facturation.panels import facture_panels, public_panels
from facturation.pdf import render_preview_pdf
from facturation.plateforme import selectors as pa_selectors
from facturation.public import LienRevoque, facture_from_token, public_url
from facturation.recurrence import add_months, recurrence_creer
from pgi import numbering
from pgi.exceptions import NumerotationError
from pgi.forms import NumerotationRepriseForm
from pgi.forms_utils import add_domain_errors
from pgi.mentions import payment_terms_warning
from pgi.pdf import brand_colours
from pgi.permissions import Perm
from pgi.tenancy import member_required
from pgi.totals import compute_totals

PAGE_SIZE = 25


def _facture_or_404(request, pk: int) -> Facture:
    try:
        return selectors.facture_lire(company=request.company, pk=pk)
    except Facture.DoesNotExist as exc:
        raise Http404 from exc


def _article_or_404(request, pk: int) -> Article:
    try:
        return Article.objects.for_company(request.company).get(pk=pk)
    except Article.DoesNotExist as exc:
        raise Http404 from exc


@member_required(Perm.VIEW)
def facture_list(request):
    kind, status, due, q, pa = (
        request.GET.get(k, "") for k in ("type", "statut", "echeance", "q", "plateforme")
    )
    factures = selectors.facture_lister(
        company=request.company, kind=kind, status=status, search=q, due=due, plateforme=pa,
        today=timezone.localdate(),
    )  # fmt: skip
    page = Paginator(factures, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_draft_totals(list(page.object_list))
    for facture in page.object_list:
        facture.pa_label = pa_selectors.libelle(facture.pa_status)
    context = {
        "page": page, "q": q, "kind": kind, "status": status, "due": due, "pa": pa,
        "kinds": Kind.choices, "statuses": Status.choices, "due_states": selectors.DueState.choices,
        "a_corriger": pa_selectors.A_CORRIGER,
    }  # fmt: skip
    template = "facturation/facture_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


@member_required(Perm.COMMERCIAL_WRITE)
def facture_create(request):
    initial = {}
    if request.GET.get("client"):
        initial["client"] = request.GET["client"]
    form = FactureForm(request.POST or None, company=request.company, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        client = data.pop("client")
        try:
            facture = services.facture_creer(
                company=request.company, client=client, user=request.user, fields=data
            )
        except FactureError as exc:
            add_domain_errors(form, exc)
        else:
            return redirect("facturation:facture_edit", pk=facture.pk)
    return render(request, "facturation/facture_create.html", {"form": form})


def _editor_context(request, facture, form, formset):
    return {
        "facture": facture,
        "form": form,
        "formset": formset,
        "articles": _articles(request),
        "terms_warning": payment_terms_warning(facture.payment_terms_days),
    }


def _articles(request):
    return selectors.article_lister(company=request.company, active_only=True)


@member_required(Perm.COMMERCIAL_WRITE)
def facture_edit(request, pk: int):
    facture = _facture_or_404(request, pk)
    if not facture.is_draft:
        messages.error(request, services.frozen_message(facture))
        return redirect(facture)
    initial = [
        {name: getattr(line, name) for name in services.LINE_FIELDS} for line in facture.lines.all()
    ]
    form = FactureForm(request.POST or None, instance=facture, company=request.company)
    if request.method == "POST":
        # No initial on a POST: the rows are compared with what the page showed, not with the
        # lines saved since (from another tab, or by « Aperçu PDF »), else a row the page
        # added and another submit saved looks unchanged and is dropped.
        formset = ligne_formset(request.company, request.POST)
    else:
        formset = ligne_formset(request.company, initial=initial or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.facture_brouillon_enregistrer(
                facture=facture, fields=data, lines=formset.line_data()
            )
        except FactureError as exc:
            add_domain_errors(form, exc)
        else:
            if "issue" in request.POST:
                return _issue(request, facture)
            if "preview" in request.POST:  # saved, then shown as it would print
                return redirect("facturation:facture_apercu", pk=facture.pk)
            messages.success(request, _("Brouillon enregistré."))
            return redirect("facturation:facture_edit", pk=facture.pk)
    context = _editor_context(request, facture, form, formset)
    context["totals"] = formset.totals() or compute_totals(facture.lines.all())
    context["issue_problems"] = request.session.pop("issue_problems", [])
    context["price_warnings"] = selectors.facture_prix_inhabituels(facture)
    if facture.kind == Kind.INVOICE:
        context["deductible"] = list(services.acomptes_a_deduire(facture=facture))
    return render(request, "facturation/facture_edit.html", context)


@member_required(Perm.COMMERCIAL_WRITE)
def facture_totals(request, pk: int):
    """htmx: the live totals of the line editor, computed by the shared engine, not saved."""
    facture = _facture_or_404(request, pk)
    formset = ligne_formset(request.company, request.POST)
    totals = formset.totals()
    lines = [
        form.cleaned_data for form in formset.forms
        if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
    ]  # fmt: skip
    client = facture.client
    if (client_id := request.POST.get("client", "")).isdigit() and int(client_id) != client.pk:
        client = Client.objects.for_company(request.company).filter(pk=client_id).first() or client
    return render(
        request,
        "facturation/facture_edit.html#totals",
        {"facture": facture, "totals": totals,
         "live_price_warnings": selectors.prix_inhabituels(client=client, lines=lines)},
    )  # fmt: skip


def _issue(request, facture: Facture):
    # A price far from the catalogue's or the customer's usual one holds the issue until the
    # user has seen it: the editor sends back, as `price_ok`, the warnings it showed.
    seen = request.POST.getlist("price_ok")
    if [w for w in selectors.facture_prix_inhabituels(facture) if w not in seen]:
        messages.warning(
            request,
            _("Émission suspendue : vérifiez les prix signalés, puis émettez à nouveau pour "
              "confirmer."),
        )  # fmt: skip
        return redirect("facturation:facture_edit", pk=facture.pk)
    try:
        facture = services.facture_emettre(facture=facture, user=request.user)
    except FactureError as exc:
        request.session["issue_problems"] = exc.problems
        messages.error(request, _("Émission impossible : complétez les mentions obligatoires."))
        return redirect("facturation:facture_edit", pk=facture.pk)
    messages.success(request, services.issued_message(facture))
    return redirect(facture)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def facture_issue(request, pk: int):
    return _issue(request, _facture_or_404(request, pk))


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def facture_delete(request, pk: int):
    facture = _facture_or_404(request, pk)
    try:
        services.facture_supprimer(facture=facture)
    except FactureError as exc:
        messages.error(request, " ".join(exc.problems))
        return redirect(facture)
    messages.success(request, _("Brouillon supprimé."))
    return redirect("facturation:facture_list")


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def facture_duplicate(request, pk: int):
    """A new draft with the same customer and lines (draft or issued document)."""
    facture = _facture_or_404(request, pk)
    try:
        copy = services.facture_dupliquer(facture=facture, user=request.user)
    except FactureError as exc:
        messages.error(request, " ".join(exc.problems))
        return redirect(facture)
    messages.success(request, _("Copie créée : un nouveau brouillon, à vérifier puis émettre."))
    return redirect("facturation:facture_edit", pk=copy.pk)


@member_required(Perm.VIEW)
def facture_detail(request, pk: int):
    facture = _facture_or_404(request, pk)
    if facture.is_draft and request.membership.has_perm(Perm.COMMERCIAL_WRITE):
        return redirect("facturation:facture_edit", pk=facture.pk)
    lines = list(facture.lines.all())
    totals = compute_totals(lines)
    context = {
        "facture": facture,
        "rows": list(zip(lines, totals.lines, strict=True)),
        "totals": totals,
        "credit_notes": facture.credit_notes.order_by("pk"),
        "pdf": DocumentPDF.objects.filter(facture=facture).first(),
        "timeline": selectors.facture_timeline(facture),
        "panels": facture_panels(request, facture),
    }
    return render(request, "facturation/facture_detail.html", context)


@member_required(Perm.VIEW)
def facture_pdf(request, pk: int):
    facture = _facture_or_404(request, pk)
    if facture.status != Status.ISSUED:
        raise Http404
    pdf = services.facture_pdf_generer(facture_id=facture.pk)
    return FileResponse(
        pdf.file.open("rb"), content_type="application/pdf", filename=f"{facture.number}.pdf"
    )


@member_required(Perm.VIEW)
def facture_apercu(request, pk: int):
    """The PDF of a draft as it would print if issued today, marked « APERÇU — non émise »:
    no number, nothing stored, nothing sealed (a GET writes nothing)."""
    facture = _facture_or_404(request, pk)
    if not facture.is_draft:
        raise Http404
    content = preview_content(facture, today=timezone.localdate())
    logo = facture.company.logo.path if facture.company.logo else None
    response = HttpResponse(render_preview_pdf(content, logo_path=logo), "application/pdf")
    response["Content-Disposition"] = f'inline; filename="apercu-brouillon-{facture.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@member_required(Perm.COMMERCIAL_WRITE)
def avoir_create(request, pk: int):
    facture = _facture_or_404(request, pk)
    if facture.status != Status.ISSUED or facture.kind == Kind.CREDIT_NOTE:
        raise Http404
    lines = list(facture.lines.all())
    form = AvoirForm(request.POST or None, lines=lines, initial={"mode": "lignes"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        what: dict = {}  # « totalite »: every line, its whole quantity
        if data["mode"] == "montant":
            what = {"amount_excl_vat": data["amount"], "vat_rate": data["vat_rate"]}
        elif data["mode"] == "lignes":
            what = {"quantities": form.quantities()}
        try:
            avoir = services.avoir_creer(
                facture=facture, user=request.user, reason=data["reason"], **what
            )
        except FactureError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Avoir préparé : vérifiez-le puis émettez-le."))
            return redirect("facturation:facture_edit", pk=avoir.pk)
    return render(
        request, "facturation/avoir_create.html", {"facture": facture, "form": form, "lines": lines}
    )


@member_required(Perm.VIEW)
def article_list(request):
    q = request.GET.get("q", "")
    page = Paginator(
        selectors.article_lister(company=request.company, search=q), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "facturation/article_list.html", {"page": page, "q": q})


@member_required(Perm.COMMERCIAL_WRITE)
def article_edit(request, pk: int | None = None):
    article = _article_or_404(request, pk) if pk else None
    form = ArticleForm(request.POST or None, instance=article)
    if request.method == "POST" and form.is_valid():
        try:
            services.article_enregistrer(
                company=request.company, article=article, fields=form.cleaned_data
            )
        except FactureError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Article enregistré."))
            return redirect("facturation:article_list")
    return render(request, "facturation/article_form.html", {"form": form, "article": article})


@member_required(Perm.COMMERCIAL_WRITE)
def facture_send(request, pk: int):
    facture = _facture_or_404(request, pk)
    if facture.status != Status.ISSUED:
        raise Http404
    link = public_url(facture)
    initial = {
        "recipients": facture.client.email,
        "subject": render_to_string(
            "facturation/email/facture_subject.txt", {"facture": facture}
        ).strip(),
        "body": render_to_string(
            "facturation/email/facture_body.txt",
            {"facture": facture, "link": link, "company": request.company},
        ),
    }
    form = EnvoiForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.facture_envoyer(
                facture=facture, user=request.user, recipients=form.cleaned_data["recipients"],
                subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
            )  # fmt: skip
        except FactureError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request,
                _("Envoi programmé à %(r)s.") % {"r": ", ".join(form.cleaned_data["recipients"])},
            )
            return redirect(facture)
    return render(
        request, "facturation/facture_send.html", {"facture": facture, "form": form, "link": link}
    )


def _public_facture(request, token: str) -> Facture:
    """The document of a customer link; 404 for a link that is not ours, `LienRevoque`
    (answered 410 by the page) for one the company has replaced."""
    facture = facture_from_token(token)
    if facture is None:
        raise Http404
    return facture


def facture_public(request, token: str):
    """The customer's view of an issued document, through its signed link, under the
    company's brand and contact."""
    try:
        facture = _public_facture(request, token)
    except LienRevoque as revoked:
        return _public_revoked(request, revoked)
    lines = list(facture.lines.all())
    totals = compute_totals(lines)
    credit_notes = []
    if facture.kind != Kind.CREDIT_NOTE:
        credit_notes = list(facture.credit_notes.filter(status=Status.ISSUED).order_by("pk"))
    fully_credited = (
        bool(credit_notes) and facture.amount_due is not None and (facture.amount_due <= 0)
    )
    return render(
        request,
        "facturation/public.html",
        {
            "facture": facture, "company": facture.company,
            "rows": list(zip(lines, totals.lines, strict=True)), "totals": totals,
            "token": token, "credit_notes": credit_notes, "fully_credited": fully_credited,
            "panels": public_panels(request, facture),
        },
    )  # fmt: skip


def _public_revoked(request, revoked: LienRevoque):
    """410: the link was ours and has been replaced; the page names whom to ask."""
    return render(
        request, "facturation/public_revoked.html", {"company": revoked.company}, status=410
    )


def facture_public_pdf(request, token: str):
    try:
        facture = _public_facture(request, token)
    except LienRevoque as revoked:
        return _public_revoked(request, revoked)
    pdf = services.facture_pdf_generer(facture_id=facture.pk)
    return FileResponse(
        pdf.file.open("rb"), content_type="application/pdf", filename=f"{facture.number}.pdf"
    )


def facture_public_logo(request, token: str):
    """The company's logo for its customer page (media files have no public route)."""
    try:
        company = _public_facture(request, token).company
    except LienRevoque as exc:
        raise Http404 from exc
    if not company.logo:
        raise Http404
    try:
        return FileResponse(company.logo.open("rb"))
    except FileNotFoundError as exc:
        raise Http404 from exc


def facture_public_css(request, token: str):
    """The company's colour for its customer page: a stylesheet, as the CSP allows no
    inline style."""
    try:
        company = _public_facture(request, token).company
    except LienRevoque as exc:
        raise Http404 from exc
    return render(
        request, "facturation/public_brand.css", brand_colours(company.brand_color),
        content_type="text/css",
    )  # fmt: skip


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def facture_lien_renouveler(request, pk: int):
    """Revokes the customer link of an issued document and makes a new one."""
    facture = _facture_or_404(request, pk)
    try:
        services.lien_client_renouveler(facture=facture, user=request.user)
    except FactureError as exc:
        messages.error(request, " ".join(exc.problems))
        return redirect(facture)
    messages.success(
        request,
        _("L'ancien lien client est révoqué. Nouveau lien : %(link)s")
        % {"link": public_url(facture)},
    )
    return redirect("facturation:facture_send", pk=facture.pk)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def facture_acompte(request, pk: int):
    """From a draft invoice: a deposit invoice for a percentage of it."""
    facture = _facture_or_404(request, pk)
    try:
        percent = Decimal(request.POST.get("percent", "").replace(",", "."))
    except InvalidOperation:
        percent = Decimal("0")
    try:
        deposit = services.acompte_creer(
            company=request.company, client=facture.client, user=request.user,
            facture=facture, percent=percent,
        )  # fmt: skip
    except FactureError as exc:
        messages.error(request, " ".join(exc.problems))
        return redirect("facturation:facture_edit", pk=facture.pk)
    messages.success(request, _("Facture d'acompte préparée : vérifiez-la puis émettez-la."))
    return redirect("facturation:facture_edit", pk=deposit.pk)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def facture_deduire(request, pk: int):
    facture = _facture_or_404(request, pk)
    ids = [int(v) for v in request.POST.getlist("deposit") if v.isdigit()]
    deposits = list(Facture.objects.for_company(request.company).filter(pk__in=ids))
    try:
        services.facture_deduire_acomptes(facture=facture, deposits=deposits)
    except FactureError as exc:
        messages.error(request, " ".join(exc.problems))
    else:
        messages.success(request, _("Acompte(s) déduit(s)."))
    return redirect("facturation:facture_edit", pk=facture.pk)


@member_required(Perm.COMMERCIAL_WRITE)
def recurrence_create(request, pk: int):
    facture = _facture_or_404(request, pk)
    form = RecurrenceForm(
        request.POST or None,
        initial={"frequency": "mensuelle", "next_date": add_months(timezone.localdate(), 1)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            recurrence_creer(facture=facture, **form.cleaned_data)
        except FactureError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Facture récurrente créée."))
            return redirect("facturation:recurrence_list")
    return render(request, "facturation/recurrence_form.html", {"facture": facture, "form": form})


@member_required(Perm.VIEW)
def recurrence_list(request):
    recurrences = FactureRecurrente.objects.for_company(request.company).select_related("client")
    return render(request, "facturation/recurrence_list.html", {"recurrences": recurrences})


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def recurrence_toggle(request, pk: int):
    recurrence = FactureRecurrente.objects.for_company(request.company).filter(pk=pk).first()
    if recurrence is None:
        raise Http404
    recurrence.active = not recurrence.active
    recurrence.save(update_fields=["active"])
    return redirect("facturation:recurrence_list")


@member_required(Perm.SETTINGS_MANAGE)
def numerotation(request):
    """The number format of every registered series (invoices, credit notes, deposits...)."""
    series = numbering.registered_series()
    formats = {
        s.key: numbering.numerotation_format(company=request.company, series=s.key) for s in series
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        for key in formats:
            pattern = request.POST.get(key, formats[key])
            try:
                numbering.numerotation_modifier(
                    company=request.company, series=key, pattern=pattern, user=request.user
                )
            except NumerotationError as exc:
                errors[key] = " ".join(exc.problems)
            formats[key] = pattern
        if not errors:
            messages.success(request, _("Numérotation enregistrée."))
            return redirect("facturation:numerotation")
    return _numerotation_page(request, formats=formats, errors=errors)


def _numerotation_page(request, *, formats=None, errors=None, reprise_form=None):
    series = numbering.registered_series()
    saved = {
        s.key: numbering.numerotation_format(company=request.company, series=s.key) for s in series
    }
    formats, errors = formats or saved, errors or {}
    rows = []
    for s in series:
        # The next number follows the saved format and the counter; a typed format that
        # was refused has none.
        unchanged = formats[s.key] == saved[s.key]
        rows.append({
            "series": s.key, "label": s.label, "pattern": formats[s.key],
            "error": errors.get(s.key),
            "next": numbering.numerotation_prochain(company=request.company, series=s.key)
            if unchanged else "—",
            "started": numbering.numerotation_entamee(company=request.company, series=s.key),
        })  # fmt: skip
    open_series = [(row["series"], row["label"]) for row in rows if not row["started"]]
    if reprise_form is None:
        reprise_form = NumerotationRepriseForm(series_choices=open_series)
    context = {"rows": rows, "reprise_form": reprise_form if open_series else None}
    return render(request, "facturation/numerotation.html", context)


@require_POST
@member_required(Perm.SETTINGS_MANAGE)
def numerotation_reprendre(request):
    """Continues a series numbered until now in another tool (once, before its first number)."""
    # Every series is a valid choice: one already started is refused by the service, in words.
    every_series = [(s.key, s.label) for s in numbering.registered_series()]
    form = NumerotationRepriseForm(request.POST, series_choices=every_series)
    if form.is_valid():
        try:
            upcoming = numbering.numerotation_reprendre(
                company=request.company, series=form.cleaned_data["series"],
                next_number=form.cleaned_data["next_number"], user=request.user,
            )  # fmt: skip
        except NumerotationError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request,
                _("Numérotation reprise : le prochain numéro sera %(n)s.") % {"n": upcoming},
            )
            return redirect("facturation:numerotation")
    return _numerotation_page(request, reprise_form=form)
