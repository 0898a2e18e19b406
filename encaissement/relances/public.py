"""The customer's side of disputes and promises, on the invoice's payment page (the signed
link `/d/<token>/`, no account): "je conteste cette facture" with a message, or "je paierai
le…" with a date and an amount. Each pauses the invoice's dunning and shows on its history."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from encaissement.models import Litige, PromessePaiement, SourceDemande
from encaissement.public import _facture
from encaissement.relances import services
from facturation.models import Facture
from pgi.exceptions import DomainError
from pgi.forms_utils import french_number
from pgi.text import clean_text

RATE = "10/h"  # per address: a robot cannot fill the owner's history


def panel_context(request, facture: Facture) -> dict:
    """The "contester / promettre" section of the customer's page (PUBLIC_PANELS)."""
    open_ = facture.amount_due is not None and facture.amount_due > 0
    today = timezone.localdate()
    return {
        "open": open_,
        "litige": Litige.objects.filter(facture=facture, resolved_at__isnull=True).first()
        if open_ else None,
        "promesse": PromessePaiement.objects.filter(facture=facture, date__gte=today)
        .order_by("-date").first() if open_ else None,
        "today": today,
    }  # fmt: skip


def _limited(request) -> bool:
    usage = get_usage(request, group="relances-public", key="ip", rate=RATE, increment=True)
    if usage is not None and usage["should_limit"]:
        messages.warning(request, _("Trop de demandes. Réessayez plus tard."))
        return True
    return False


@require_POST
def contester(request, token: str):
    facture = _facture(token)
    if not _limited(request):
        message = clean_text(request.POST.get("message", ""))[:2000]
        try:
            services.litige_ouvrir(
                facture=facture, reason=_("Contestée par le client"), message=message,
                user=None, source=SourceDemande.CUSTOMER,
            )  # fmt: skip
        except DomainError as error:
            for problem in error.problems:
                messages.warning(request, problem)
        else:
            messages.success(request, _("Votre contestation a été transmise. Nous revenons "
                                        "vers vous rapidement."))  # fmt: skip
    return redirect("facture_public", token=token)


@require_POST
def promettre(request, token: str):
    facture = _facture(token)
    if not _limited(request):
        try:
            day = date.fromisoformat(request.POST.get("date", ""))
            amount = Decimal(french_number(request.POST.get("amount", "")))
        except (ValueError, InvalidOperation):
            messages.warning(request, _("Indiquez une date et un montant."))
            return redirect("facture_public", token=token)
        try:
            services.promesse_enregistrer(
                facture=facture, day=day, amount=amount, user=None,
                source=SourceDemande.CUSTOMER,
            )  # fmt: skip
        except DomainError as error:
            for problem in error.problems:
                messages.warning(request, problem)
        else:
            messages.success(request, _("Merci : votre promesse de paiement est enregistrée."))
    return redirect("facture_public", token=token)
