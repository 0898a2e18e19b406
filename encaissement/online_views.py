"""The owner's side of online payment and receipts: the company's Stripe account (settings),
and a payment's receipt (reçu) as PDF, on request."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from encaissement import online, selectors
from encaissement.forms import CompteStripeForm
from encaissement.models import Paiement
from encaissement.receipt import render_receipt_pdf
from pgi.forms_utils import add_domain_errors
from pgi.permissions import Perm
from pgi.tenancy import member_required

EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)


@member_required(Perm.VIEW)
def compte_paiement_en_ligne(request):
    compte = online.compte_lire(request.company)
    can_edit = request.membership.has_perm(Perm.SETTINGS_MANAGE)
    initial = {"active": False, "card": True, "sepa_debit": True}
    if compte is not None:
        initial = {
            "active": compte.active, "card": compte.card, "sepa_debit": compte.sepa_debit,
            "publishable_key": compte.publishable_key,
        }  # fmt: skip
    form = CompteStripeForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                online.compte_enregistrer(company=request.company, user=request.user,
                                          **form.cleaned_data)  # fmt: skip
            except online.PaiementEnLigneError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("Paiement en ligne enregistré."))
                return redirect("encaissement:compte_paiement_en_ligne")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    webhook_url = (
        settings.SITE_URL.rstrip("/")
        + reverse("paiement_webhooks:webhook", args=[compte.webhook_token])
        if compte is not None
        else ""
    )
    context = {
        "form": form, "compte": compte, "can_edit": can_edit, "webhook_url": webhook_url,
        "events": EVENTS,
    }  # fmt: skip
    return render(request, "encaissement/compte_paiement_en_ligne.html", context)


@member_required(Perm.VIEW)
def paiement_recu(request, pk: int):
    """The receipt of a payment, rendered on request (never stored: the sealed payment is the
    record; the receipt is a view of it)."""
    try:
        paiement = selectors.paiement_lire(company=request.company, pk=pk)
    except Paiement.DoesNotExist as exc:
        raise Http404 from exc
    if paiement.is_reversal:
        raise Http404
    response = HttpResponse(render_receipt_pdf(paiement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recu-{paiement.number}.pdf"'
    return response
