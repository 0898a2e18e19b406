"""The customer's payment page, reached by the invoice's signed link (`/d/<token>/`), without
an account: a section of facturation's public page (registered in `encaissement.panels`),
the payment by card or SEPA debit through the provider's hosted checkout, the page the
customer comes back to, the "viewed" mark, and the provider's webhook."""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from encaissement import online
from encaissement.models import ComptePrestataire, SessionPaiement, SessionStatus
from encaissement.providers import InvalidEvent, provider_for
from encaissement.selectors import affectations_de_facture
from facturation.models import Facture
from facturation.public import LienRevoque, facture_from_token, public_url
from pgi.epc import epc_qr, epc_svg
from pgi.exceptions import DomainError
from pgi.models import Membership

logger = logging.getLogger(__name__)


def _facture(token: str) -> Facture:
    """The document of a customer link; a link that is not ours, or was renewed since
    (facturation.public.LienRevoque), pays nothing: 404."""
    try:
        facture = facture_from_token(token)
    except LienRevoque as exc:
        raise Http404 from exc
    if facture is None:
        raise Http404
    return facture


def transfer_qr_svg(facture: Facture) -> str:
    """The EPC QR code of a transfer of what is still due, as inline SVG ("" when none)."""
    seller = facture.seller or {}
    due = facture.amount_due
    if not seller.get("iban") or due is None or due <= 0:
        return ""
    qr = epc_qr(
        name=seller.get("legal_name", ""), iban=seller["iban"], bic=seller.get("bic") or "",
        amount=due, text=facture.number,
    )  # fmt: skip
    return epc_svg(qr, title=_("QR code de virement SEPA")) if qr else ""


def panel_context(request, facture: Facture) -> dict:
    """The payment section of the customer's page (facturation.panels.PUBLIC_PANELS)."""
    payable = facture.amount_due is not None
    compte = online.compte_actif(facture.company) if payable else None
    processing = online.en_traitement(facture) if payable else 0
    # A debit still processing for all that is due: nothing more to pay online meanwhile.
    covered = payable and processing >= facture.amount_due
    return {
        "payable": payable,
        "paid": payable and facture.amount_due <= 0,
        "processing": processing,
        "covered": covered,
        "to_pay": facture.amount_due - processing if payable else 0,
        "affectations": list(affectations_de_facture(facture)) if payable else [],
        "methods": [] if covered else online.methodes(compte),
        "qr_svg": transfer_qr_svg(facture) if payable and not covered else "",
    }


@require_POST
def payer(request, token: str, method: str):
    """Opens the provider's hosted checkout for what is due, and sends the customer there."""
    facture = _facture(token)
    if method not in online.ONLINE_METHODS:
        raise Http404
    # Each press creates a checkout at the provider: a robot pressing in a loop is stopped.
    usage = get_usage(request, group="checkout", key="ip", rate=settings.CHECKOUT_RATE_PER_IP,
                      increment=True)  # fmt: skip
    if usage is not None and usage["should_limit"]:
        messages.warning(request, _("Trop de tentatives de paiement. Réessayez dans quelques "
                                    "minutes."))  # fmt: skip
        return redirect("facture_public", token=token)

    def back(session: SessionPaiement) -> str:
        path = reverse("paiement_public:retour", args=[token, session.idempotency_key])
        return settings.SITE_URL.rstrip("/") + path

    try:
        session = online.session_demarrer(
            facture=facture, method=method, success_url=back,
            cancel_url=public_url(facture), locale=request.LANGUAGE_CODE or "fr",
        )  # fmt: skip
    except online.PaiementEnLigneError as exc:
        for problem in exc.problems:
            messages.warning(request, problem)
        return redirect("facture_public", token=token)
    return redirect(session.url)


def retour(request, token: str, key):
    """Where the customer comes back from the checkout: what we know of the payment (the
    provider's webhook may arrive a little later; htmx asks again every few seconds)."""
    facture = _facture(token)
    session = SessionPaiement.objects.filter(facture=facture, idempotency_key=key).first()
    if session is None:
        raise Http404
    waiting = session.status in {SessionStatus.OPEN, SessionStatus.CREATING}
    context = {"facture": facture, "company": facture.company, "session": session,
               "token": token, "waiting": waiting}  # fmt: skip
    template = "encaissement/public/retour.html"
    if request.htmx:
        template += "#etat"
    return render(request, template, context)


@require_POST
def consultation(request, token: str):
    """The page was opened in a browser (an htmx call on load, so that the GET stays
    read-only and a mail scanner fetching the link counts for nothing): marked "viewed" on the
    invoice's history, once a day; a member of the company looking at it is not the customer."""
    facture = _facture(token)
    member = (
        request.user.is_authenticated
        and Membership.objects.filter(user=request.user, company=facture.company).exists()
    )
    if not member:
        online.consultation_enregistrer(facture=facture, at=timezone.now())
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def webhook(request, webhook_token):
    """The provider's events for one company's account: verified by the provider's signature,
    acted on once (encaissement.online.evenement_traiter). 400 for a request that does not
    check out; a failure to record answers 500 so that the provider delivers it again."""
    compte = ComptePrestataire.objects.filter(webhook_token=webhook_token).first()
    if compte is None:
        raise Http404
    try:
        event = provider_for(compte.provider).parse_event(compte, request.body, request.headers)
    except InvalidEvent as exc:
        logger.warning("webhook refused for account %s: %s", compte.pk, exc)
        return HttpResponseBadRequest("invalid signature")
    try:
        outcome = online.evenement_traiter(compte=compte, event=event)
    except DomainError:
        # Nothing was stored (one transaction): the provider delivers the event again.
        logger.exception("webhook %s %s could not be recorded", event.type, event.id)
        return HttpResponse("not recorded", status=500)
    logger.info("webhook %s %s: %s", event.type, event.id, outcome)
    return HttpResponse(outcome, content_type="text/plain; charset=utf-8")
