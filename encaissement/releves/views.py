"""Bank accounts, statement import (upload → preview → import) and reconciliation pages."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Client
from crm.selectors import client_lire, client_lister
from encaissement.releves import selectors, services
from encaissement.releves.formats import csvfile
from encaissement.releves.forms import (
    CompteForm,
    EcarterForm,
    MappingForm,
    ReglagesForm,
    UploadForm,
)
from encaissement.releves.models import CompteBancaire, Format, LigneReleve, Releve, Suggestion
from encaissement.views import _allocations, _open_invoices
from pgi.exceptions import DomainError
from pgi.forms_utils import add_domain_errors
from pgi.permissions import Perm
from pgi.tenancy import member_required

PAGE_SIZE = 50
PREVIEW_ROWS = 200


def _counts(releve: Releve) -> str:
    return _("importées : %(i)d · doublons : %(d)d · rapprochées : %(r)d") % {
        "i": releve.imported,
        "d": releve.duplicates,
        "r": releve.matched,
    }


def _lines_url(tab: str = "a_rapprocher") -> str:
    return reverse("encaissement:releves:ligne_list") + f"?onglet={tab}"


# Bank accounts and settings


@member_required(Perm.VIEW)
def compte_list(request):
    company = request.company
    can_write = request.membership.has_perm(Perm.COMMERCIAL_WRITE)
    form = CompteForm(request.POST or None)
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        if form.is_valid():
            try:
                compte = services.compte_bancaire_creer(company=company, **form.cleaned_data)
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("Compte %(c)s ajouté.") % {"c": compte})
                return redirect("encaissement:releves:compte_list")
    elif company.iban and not CompteBancaire.objects.for_company(company).exists():
        form = CompteForm(initial={"name": _("Compte principal"), "iban": company.iban,
                                   "bic": company.bic})  # fmt: skip
    context = {
        "comptes": selectors.comptes_lister(company=company),
        "form": form,
        "can_write": can_write,
        "can_settings": request.membership.has_perm(Perm.SETTINGS_MANAGE),
        "reglages_form": ReglagesForm(
            initial={"auto_confirm": services.reglages(company).auto_confirm}
        ),
        "releves": selectors.releves_recents(company=company),
    }
    return render(request, "encaissement/releves/comptes.html", context)


@require_POST
@member_required(Perm.SETTINGS_MANAGE)
def reglages(request):
    form = ReglagesForm(request.POST)
    form.is_valid()
    settings = services.reglages_enregistrer(
        company=request.company, auto_confirm=form.cleaned_data.get("auto_confirm", False)
    )
    if settings.auto_confirm:
        messages.success(request, _("Les correspondances exactes seront confirmées à l'import."))
    else:
        messages.success(request, _("Chaque correspondance attendra votre confirmation."))
    return redirect("encaissement:releves:compte_list")


# Import


@member_required(Perm.COMMERCIAL_WRITE)
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None, company=request.company)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            releve = services.releve_deposer(
                company=request.company, user=request.user, filename=upload.name,
                content=upload.read(), compte=form.cleaned_data["compte"],
            )  # fmt: skip
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return redirect("encaissement:releves:import_preview", pk=releve.pk)
    return render(request, "encaissement/releves/import_upload.html", {"form": form})


def _releve_or_404(request, pk: int) -> Releve:
    try:
        return Releve.objects.for_company(request.company).select_related("compte").get(pk=pk)
    except Releve.DoesNotExist as exc:
        raise Http404 from exc


def _mapping_form(request, releve: Releve, data) -> tuple[MappingForm, list[list[str]]]:
    """The CSV mapping form: what was typed, else the account's saved mapping, else a guess
    from the header row."""
    delimiter = (data or {}).get("delimiter") or None
    rows, sniffed = csvfile.read_rows(bytes(releve.content), delimiter)
    saved = releve.compte.csv_mapping if releve.compte else {}
    if not saved and releve.compte is None:
        only = list(CompteBancaire.objects.for_company(request.company)[:2])
        saved = only[0].csv_mapping if len(only) == 1 else {}
    initial = saved or csvfile.guess_mapping(rows, sniffed)
    width = max((len(r) for r in rows[:20]), default=0)
    header = rows[0] if rows and initial.get("header", True) else []
    columns = [header[i] if i < len(header) else "" for i in range(width)]
    columns = [c or _("colonne %(n)d") % {"n": i + 1} for i, c in enumerate(columns)]
    form = MappingForm(data or None, initial=initial, columns=columns)
    return form, rows


@member_required(Perm.COMMERCIAL_WRITE)
def import_preview(request, pk: int):
    """GET shows what the file holds and what would be imported (nothing is written); POST
    imports it, in one transaction, with the CSV mapping it was previewed with."""
    releve = _releve_or_404(request, pk)
    if releve.state == Releve.State.IMPORTED:
        return redirect(_lines_url())
    is_csv = releve.format == Format.CSV
    data = request.POST if request.method == "POST" else request.GET
    form, rows = (
        _mapping_form(request, releve, data if "delimiter" in data else None)
        if (is_csv)
        else (None, [])
    )
    mapping = None
    if form is not None:
        if form.is_bound and form.is_valid():
            mapping = form.mapping()
        elif not form.is_bound:
            mapping = {**form.initial}
    problems: list[str] = []
    apercu = None
    if request.method == "POST":
        try:
            releve = services.releve_importer(releve=releve, user=request.user, mapping=mapping)
        except DomainError as exc:
            problems = exc.problems
        else:
            messages.success(request, _("Relevé importé : %(c)s.") % {"c": _counts(releve)})
            return redirect(_lines_url())
    if not problems and (form is None or mapping is not None):
        try:
            apercu = services.apercu(releve, mapping)
        except DomainError as exc:
            problems = exc.problems
    context = {
        "releve": releve,
        "form": form,
        "raw_rows": rows[:8],
        "apercu": apercu,
        "preview_rows": apercu.rows[:PREVIEW_ROWS] if apercu else [],
        "problems": problems,
    }
    return render(request, "encaissement/releves/import_preview.html", context)


# Lines and suggestions


@member_required(Perm.VIEW)
def ligne_list(request):
    tab = request.GET.get("onglet", "a_rapprocher")
    if tab not in selectors.TABS:
        tab = "a_rapprocher"
    compte = None
    if request.GET.get("compte", "").isdigit():
        compte = (
            CompteBancaire.objects.for_company(request.company)
            .filter(pk=int(request.GET["compte"]))
            .first()
        )
    lignes = selectors.lignes_lister(company=request.company, tab=tab, compte=compte)
    page = Paginator(lignes, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "tab": tab,
        "compte": compte,
        "counts": selectors.compteurs(company=request.company),
        "can_write": request.membership.has_perm(Perm.COMMERCIAL_WRITE),
        "ecarter_form": EcarterForm(),
    }
    return render(request, "encaissement/releves/lignes.html", context)


def _ligne_or_404(request, pk: int) -> LigneReleve:
    try:
        return selectors.ligne_lire(company=request.company, pk=pk)
    except LigneReleve.DoesNotExist as exc:
        raise Http404 from exc


def _back(request) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/encaissements/") else _lines_url()


def _row(request, pk: int):
    """The line's row again, for htmx (one-click confirm, dismiss)."""
    context = {
        "ligne": _ligne_or_404(request, pk),
        "can_write": True,
        "ecarter_form": EcarterForm(),
    }
    return render(request, "encaissement/releves/lignes.html#ligne_row", context)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def suggestion_confirmer(request, pk: int):
    suggestion = (
        Suggestion.objects.for_company(request.company)
        .select_related("ligne")
        .filter(pk=pk)
        .first()
    )
    if suggestion is None:
        raise Http404
    ligne_pk = suggestion.ligne_id
    try:
        ligne = services.suggestion_confirmer(suggestion=suggestion, user=request.user)
    except DomainError as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    else:
        messages.success(
            request, _("Encaissement %(n)s enregistré et scellé.") % {"n": ligne.paiement.number}
        )
    if request.htmx:
        return _row(request, ligne_pk)
    return redirect(_back(request))


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def suggestions_confirmer(request):
    """Bulk: the suggestions ticked on the page, each in its own transaction."""
    ids = [int(i) for i in request.POST.getlist("suggestion") if i.isdigit()]
    suggestions = list(
        Suggestion.objects.for_company(request.company).filter(pk__in=ids).select_related("ligne")
    )
    problems = services.suggestions_confirmer(suggestions=suggestions, user=request.user)
    done = len(suggestions) - len(problems)
    for problem in problems:
        messages.error(request, problem)
    if done:
        messages.success(
            request, _("%(n)d encaissement(s) enregistré(s) et scellé(s).") % {"n": done}
        )
    return redirect(_back(request))


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def suggestions_recalculer(request):
    lignes = list(
        LigneReleve.objects.for_company(request.company).filter(
            status=LigneReleve.Status.OPEN, amount__gt=0
        )
    )
    confirmed = services.suggestions_calculer(
        company=request.company, lignes=lignes, user=request.user
    )
    messages.success(
        request,
        _("Suggestions recalculées pour %(n)d ligne(s) ; %(r)d rapprochée(s).")
        % {"n": len(lignes), "r": confirmed},
    )
    return redirect(_back(request))


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def ligne_ecarter(request, pk: int):
    ligne = _ligne_or_404(request, pk)
    form = EcarterForm(request.POST)
    if form.is_valid():
        try:
            services.ligne_ecarter(
                ligne=ligne, user=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            for problem in exc.problems:
                messages.error(request, problem)
        else:
            messages.success(request, _("Ligne écartée."))
    else:
        messages.error(request, _("Indiquez le motif."))
    if request.htmx:
        return _row(request, pk)
    return redirect(_back(request))


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def ligne_rouvrir(request, pk: int):
    try:
        services.ligne_rouvrir(ligne=_ligne_or_404(request, pk), user=request.user)
    except DomainError as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("Ligne remise à rapprocher."))
    return redirect(_back(request))


@member_required(Perm.COMMERCIAL_WRITE)
def ligne_affecter(request, pk: int):
    """By hand: choose the customer, then how much goes to which of its open invoices; the
    rest of the line stays as the customer's credit."""
    ligne = _ligne_or_404(request, pk)
    if ligne.status != LigneReleve.Status.OPEN or ligne.amount <= 0:
        messages.error(request, _("Cette ligne du relevé est déjà traitée."))
        return redirect(_lines_url())
    client = None
    if request.GET.get("client", "").isdigit():
        try:
            client = client_lire(company=request.company, pk=int(request.GET["client"]))
        except Client.DoesNotExist as exc:
            raise Http404 from exc
    if client is None:
        q = request.GET.get("q", "")
        context = {
            "ligne": ligne,
            "q": q,
            "clients": client_lister(company=request.company, search=q)[:20] if q else [],
            "suggested": {s.client for s in ligne.suggestions.all()},
        }
        return render(request, "encaissement/releves/ligne_client.html", context)
    invoices = _open_invoices(request, client)
    problems: list[str] = []
    if request.method == "POST":
        allocations, problems = _allocations(
            request.POST, invoices, available=ligne.amount, auto=bool(request.POST.get("auto"))
        )
        if not problems:
            try:
                services.ligne_rapprocher(
                    ligne=ligne, user=request.user, client=client, allocations=allocations
                )
            except DomainError as exc:
                problems = exc.problems
            else:
                messages.success(request, _("Ligne rapprochée, encaissement enregistré et scellé."))
                return redirect(_lines_url())
    typed = request.POST if request.method == "POST" else {}
    rows = [(f, typed.get(f"alloc_{f.pk}", "")) for f in invoices]
    context = {"ligne": ligne, "client": client, "rows": rows, "problems": problems}
    return render(request, "encaissement/releves/ligne_affecter.html", context)
