from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Client
from crm.selectors import client_lire, client_lister
from encaissement import selectors, services
from encaissement.forms import AnnulationForm, PaiementForm
from encaissement.models import Method, Paiement
from facturation.models import Facture, Kind, Status
from facturation.selectors import facture_lire, facture_lister
from pgi.exceptions import DomainError
from pgi.forms_utils import add_domain_errors, french_number
from pgi.money import ZERO, cents
from pgi.permissions import Perm
from pgi.tenancy import member_required

PAGE_SIZE = 50


def _paiement_or_404(request, pk: int) -> Paiement:
    try:
        return selectors.paiement_lire(company=request.company, pk=pk)
    except Paiement.DoesNotExist as exc:
        raise Http404 from exc


def _open_invoices(request, client: Client) -> list[Facture]:
    """The customer's issued invoices with something left to pay, the oldest due first."""
    return list(
        facture_lister(company=request.company, status=Status.ISSUED)
        .filter(client=client, amount_due__gt=0)
        .exclude(kind=Kind.CREDIT_NOTE)
        .order_by("due_date", "issue_date", "pk")
    )


def _allocations(
    data, invoices: list[Facture], *, available: Decimal | None, auto: bool
) -> tuple[list[services.Allocation], list[str]]:
    """The `alloc_<pk>` amounts typed on the page (French input), then, with `auto`, what is
    left of `available` on the oldest invoices not allocated by hand."""
    allocations, problems = [], []
    for facture in invoices:
        text = (data.get(f"alloc_{facture.pk}") or "").strip()
        if not text:
            continue
        try:
            amount = cents(Decimal(french_number(text)))
        except InvalidOperation:
            problems.append(
                _("%(f)s : « %(t)s » n'est pas un montant.") % {"f": facture, "t": text}
            )
            continue
        if amount:
            allocations.append(services.Allocation(facture.pk, amount))
    if auto and available is not None and not problems:
        left = available - sum((a.amount for a in allocations), ZERO)
        chosen = {a.facture_id for a in allocations}
        for facture in invoices:
            if left <= 0:
                break
            if facture.pk in chosen:
                continue
            amount = min(left, facture.amount_due)
            allocations.append(services.Allocation(facture.pk, amount))
            left -= amount
    return allocations, problems


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@member_required(Perm.VIEW)
def paiement_list(request):
    """Payments, searchable; between two dates, with the period's totals per method, read
    from the sealed records (the totals of any period, on demand: LEGAL.md §4)."""
    q = request.GET.get("q", "")
    start, end = _day(request.GET.get("du", "")), _day(request.GET.get("au", ""))
    paiements = selectors.paiement_lister(company=request.company, search=q)
    totals = None
    if start and end and start <= end:
        paiements = paiements.filter(date__range=(start, end))
        totals = selectors.totaux_encaissements(
            selectors.paiements_scelles(company=request.company, start=start, end=end)
        )
        labels = dict(Method.choices)
        for row in totals["per_method"]:
            row["label"] = labels[row["method"]]
    page = Paginator(paiements, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "start": start, "end": end, "totals": totals}
    return render(request, "encaissement/paiement_list.html", context)


@member_required(Perm.COMMERCIAL_WRITE)
def paiement_create(request):
    """Records a payment for a customer (`?client=`), or from an invoice (`?facture=`): the
    amount due is proposed and allocated to that invoice."""
    facture = None
    client = None
    try:
        if request.GET.get("facture"):
            facture = facture_lire(company=request.company, pk=int(request.GET["facture"]))
            client = facture.client
        elif request.GET.get("client"):
            client = client_lire(company=request.company, pk=int(request.GET["client"]))
    except (ValueError, Facture.DoesNotExist, Client.DoesNotExist) as exc:
        raise Http404 from exc
    if client is None:
        q = request.GET.get("q", "")
        clients = client_lister(company=request.company, search=q)[:20] if q else []
        return render(request, "encaissement/paiement_client.html", {"q": q, "clients": clients})

    invoices = _open_invoices(request, client)
    initial = {}
    if facture is not None and facture.amount_due and facture.amount_due > 0:
        initial["amount"] = facture.amount_due
    form = PaiementForm(request.POST or None, initial=initial)
    typed = request.POST if request.method == "POST" else {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        allocations, problems = _allocations(
            request.POST, invoices, available=data["amount"], auto=data["auto"]
        )
        for problem in problems:
            form.add_error(None, problem)
        if not problems:
            try:
                paiement = services.paiement_enregistrer(
                    company=request.company, user=request.user, client=client,
                    day=data["date"], amount=data["amount"], method=data["method"],
                    payer=data["payer"], reference=data["reference"], notes=data["notes"],
                    allocations=allocations,
                )  # fmt: skip
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(
                    request, _("Encaissement %(n)s enregistré et scellé.") % {"n": paiement.number}
                )
                return redirect(facture or paiement)
    elif facture is not None and facture.amount_due and facture.amount_due > 0:
        typed = {f"alloc_{facture.pk}": facture.amount_due}
    rows = [(f, typed.get(f"alloc_{f.pk}", "")) for f in invoices]
    context = {"form": form, "client": client, "facture": facture, "rows": rows}
    return render(request, "encaissement/paiement_form.html", context)


@member_required(Perm.VIEW)
def paiement_detail(request, pk: int):
    paiement = _paiement_or_404(request, pk)
    can_write = request.membership.has_perm(Perm.COMMERCIAL_WRITE)
    reversed_ = hasattr(paiement, "reversal")
    context = {
        "paiement": paiement,
        "affectations": list(paiement.affectations.all()),
        "reversed": reversed_,
        "can_reverse": can_write and not paiement.is_reversal and not reversed_,
        "annulation_form": AnnulationForm(),
        "invoices": (
            _open_invoices(request, paiement.client)
            if can_write and paiement.available > 0 and not paiement.is_reversal and not reversed_
            else []
        ),
    }
    return render(request, "encaissement/paiement_detail.html", context)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def paiement_affecter(request, pk: int):
    paiement = _paiement_or_404(request, pk)
    invoices = _open_invoices(request, paiement.client)
    allocations, problems = _allocations(request.POST, invoices, available=None, auto=False)
    if not problems:
        try:
            services.paiement_affecter(
                paiement=paiement, user=request.user, allocations=allocations
            )
        except DomainError as exc:
            problems = exc.problems
    for problem in problems:
        messages.error(request, problem)
    if not problems:
        messages.success(request, _("Affectation enregistrée."))
    return redirect(paiement)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def paiement_annuler(request, pk: int):
    paiement = _paiement_or_404(request, pk)
    form = AnnulationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(paiement)
    try:
        reversal = services.paiement_annuler(
            paiement=paiement, user=request.user, day=form.cleaned_data["date"],
            reason=form.cleaned_data["reason"],
        )  # fmt: skip
    except DomainError as exc:
        for problem in exc.problems:
            messages.error(request, problem)
        return redirect(paiement)
    messages.success(request, _("Encaissement annulé par %(n)s, scellé.") % {"n": reversal.number})
    return redirect(reversal)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def avoir_imputer(request, pk: int):
    """Sets an issued credit note against another invoice of its customer (its own invoice
    was already paid)."""
    try:
        avoir = facture_lire(company=request.company, pk=pk)
        facture = facture_lire(company=request.company, pk=int(request.POST.get("facture", "")))
    except (ValueError, Facture.DoesNotExist) as exc:
        raise Http404 from exc
    try:
        amount = cents(Decimal(french_number(request.POST.get("amount", "").strip())))
        services.avoir_imputer(avoir=avoir, facture=facture, amount=amount, user=request.user)
    except InvalidOperation:
        messages.error(request, _("Saisissez un montant."))
    except DomainError as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    else:
        messages.success(
            request, _("Avoir %(n)s imputé sur %(f)s.") % {"n": avoir.number, "f": facture}
        )
    return redirect(avoir)
