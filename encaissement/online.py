"""Online payment of an invoice from the customer's page: the provider's account, a checkout
session per attempt, the provider's events, and the page's "viewed" marks.

The money itself is a `Paiement` (encaissement.services), recorded only when the provider says
it is paid: a SEPA debit still processing is not (LEGAL.md §7: never "paid" while a card or a
debit is still processing); one recorded as paid that fails afterwards is reversed by a sealed
record (CGI art. 286-I-3° bis: a correction is a new record).

Events: each is stored once under its id, in the transaction that acts on it, so a replay
changes nothing; their order does not matter either, a session's state only moves forward:

    creation/ouverte ──processing──▶ traitement ──paid──▶ payee ──failed──▶ echouee (reversed)
          │  └───────────────paid──────────────────────────▲
          └──failed / expired──▶ echouee / expiree   (a late "processing" changes nothing)

Lock order: the session, then (through paiement_enregistrer) the invoice, the numbering
counter, the register head. No lock is ever held while talking to the provider: a checkout is
created between two short transactions.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from encaissement.models import (
    ComptePrestataire,
    Consultation,
    EvenementPrestataire,
    Method,
    Prestataire,
    SessionPaiement,
    SessionStatus,
)
from encaissement.providers import (
    Checkout,
    Outcome,
    ProviderError,
    ProviderEvent,
    provider_for,
)
from encaissement.services import Allocation, PaiementError, paiement_annuler, paiement_enregistrer
from facturation.activite import facture_activite
from facturation.models import Facture, Kind, Status
from facturation.selectors import with_amount_due
from pgi.exceptions import DomainError, PeriodeCloturee
from pgi.models import Company, FamilleActivite, User
from pgi.money import ZERO, format_eur
from pgi.registre import periode_verifier_ouverte
from pgi.secrets import encrypt

logger = logging.getLogger(__name__)

ONLINE_METHODS = (Method.CARD, Method.DIRECT_DEBIT)


class PaiementEnLigneError(DomainError):
    pass


# The company's account ---------------------------------------------------------------------


def compte_lire(company: Company) -> ComptePrestataire | None:
    return ComptePrestataire.objects.filter(company=company).first()


def compte_actif(company: Company) -> ComptePrestataire | None:
    """The account the payment page uses: active, with its keys, and one method at least."""
    compte = compte_lire(company)
    if (
        compte is None
        or not compte.active
        or not compte.secret_key_encrypted
        or not (compte.card or compte.sepa_debit)
    ):
        return None
    return compte


def methodes(compte: ComptePrestataire | None) -> list[str]:
    if compte is None:
        return []
    return [m for m, on in ((Method.CARD, compte.card), (Method.DIRECT_DEBIT, compte.sepa_debit))
            if on]  # fmt: skip


@transaction.atomic
def compte_enregistrer(
    *, company: Company, user: User | None, active: bool, publishable_key: str,
    secret_key: str = "", webhook_secret: str = "", card: bool = True, sepa_debit: bool = True,
) -> ComptePrestataire:  # fmt: skip
    """Saves the company's Stripe account; an empty secret keeps the one stored (the secrets
    are never shown back, so the form cannot send them again)."""
    problems = []
    secret_key, webhook_secret = secret_key.strip(), webhook_secret.strip()
    publishable_key = publishable_key.strip()
    if secret_key and not secret_key.startswith(("sk_", "rk_")):
        problems.append(_("La clé secrète Stripe commence par « sk_ » (ou « rk_ »)."))
    if webhook_secret and not webhook_secret.startswith("whsec_"):
        problems.append(_("Le secret de signature du webhook commence par « whsec_ »."))
    if publishable_key and not publishable_key.startswith("pk_"):
        problems.append(_("La clé publiable Stripe commence par « pk_ »."))
    compte = (
        ComptePrestataire.objects.select_for_update()
        .filter(company=company, provider=Prestataire.STRIPE)
        .first()
    ) or ComptePrestataire(company=company, provider=Prestataire.STRIPE)
    if active and not (secret_key or compte.secret_key_encrypted):
        problems.append(_("Indiquez la clé secrète pour activer le paiement en ligne."))
    if active and not (webhook_secret or compte.webhook_secret_encrypted):
        problems.append(_("Indiquez le secret du webhook pour activer le paiement en ligne."))
    if active and not (card or sepa_debit):
        problems.append(_("Choisissez au moins un moyen de paiement."))
    if problems:
        raise PaiementEnLigneError(problems)
    compte.active, compte.publishable_key = active, publishable_key
    compte.card, compte.sepa_debit = card, sepa_debit
    if secret_key:
        compte.secret_key_encrypted = encrypt(secret_key)
    if webhook_secret:
        compte.webhook_secret_encrypted = encrypt(webhook_secret)
    compte.save()
    return compte


# The page ----------------------------------------------------------------------------------


def consultation_enregistrer(*, facture: Facture, at: datetime | None = None) -> bool:
    """Marks the invoice's page as opened by the customer today; once a day (a second opening
    the same day inserts nothing). True when this is the day's first."""
    at = at or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                Consultation.objects.create(facture=facture, day=timezone.localdate(at), at=at)
        except IntegrityError:
            return False
        facture_activite(facture, gettext_noop("Consultée par le client"), icon="eye", at=at)
    return True


def en_traitement(facture: Facture) -> Decimal:
    """What the customer has paid online that the provider has not confirmed yet (a debit)."""
    total = ZERO
    for session in SessionPaiement.objects.filter(facture=facture, status=SessionStatus.PROCESSING):
        total += session.amount
    return total


def _payable(facture_id: int) -> Facture:
    facture = with_amount_due(Facture.objects.select_related("company", "client")).get(
        pk=facture_id
    )
    if facture.status != Status.ISSUED or facture.kind == Kind.CREDIT_NOTE:
        raise PaiementEnLigneError(_("Ce document ne se paie pas en ligne."))
    if facture.amount_due is None or facture.amount_due <= 0:
        raise PaiementEnLigneError(_("Cette facture est déjà réglée : rien à payer. Merci !"))
    if en_traitement(facture) >= facture.amount_due:
        raise PaiementEnLigneError(
            _("Un paiement de cette facture est déjà en cours de traitement.")
        )
    return facture


def session_demarrer(
    *, facture: Facture, method: str, success_url, cancel_url: str, locale: str = "fr"
) -> SessionPaiement:
    """Opens a checkout for what is due on `facture`; returns the session with its `url`.

    Not atomic on purpose: a short transaction records the attempt, the provider is called
    outside any transaction (no lock held across HTTP), a second one stores its answer.
    `success_url(session)` gives the page the customer comes back to."""
    with transaction.atomic():
        facture = _payable(facture.pk)
        compte = compte_actif(facture.company)
        if compte is None or method not in methodes(compte):
            raise PaiementEnLigneError(_("Ce moyen de paiement n'est pas proposé."))
        session = SessionPaiement.objects.create(
            company=facture.company, compte=compte, facture=facture, method=method,
            amount=facture.amount_due - en_traitement(facture),
        )  # fmt: skip
    checkout = Checkout(
        reference=facture.number, amount=session.amount, method=method,
        description=_("Facture %(n)s — %(c)s") % {"n": facture.number,
                                                  "c": facture.company.display_name},
        customer_email=facture.client.email, success_url=success_url(session),
        cancel_url=cancel_url, locale="en" if locale.startswith("en") else "fr",
        idempotency_key=str(session.idempotency_key),
        metadata={"encaisse_session": str(session.idempotency_key), "facture": facture.number},
    )  # fmt: skip
    try:
        created = provider_for(compte.provider).create_checkout(compte, checkout)
    except ProviderError:
        logger.exception("checkout not created for %s", facture.number)
        SessionPaiement.objects.filter(pk=session.pk).update(status=SessionStatus.UNAVAILABLE)
        raise PaiementEnLigneError(
            _("Le paiement en ligne est momentanément indisponible. Réessayez plus tard, ou "
              "payez par virement.")
        ) from None  # fmt: skip
    SessionPaiement.objects.filter(pk=session.pk, status=SessionStatus.CREATING).update(
        provider_id=created.id, url=created.url, status=SessionStatus.OPEN
    )
    session.refresh_from_db()
    return session


# The provider's events ---------------------------------------------------------------------


class Effet(StrEnum):
    """What an event did (stored with it, and answered to the provider)."""

    PAYE = "paye"  # a payment recorded
    TRAITEMENT = "traitement"  # a debit processing: not paid
    ECHEC = "echec"  # failed before any payment was recorded
    ANNULE = "annule"  # failed after: the payment reversed
    EXPIREE = "expiree"
    SANS_EFFET = "sans_effet"  # late or out of order: the session is already further on
    IGNORE = "ignore"  # not a session of ours, or an event we do not act on
    REJEU = "rejeu"  # already received


# What an online payment that is not (yet, or no longer) a payment adds to the invoice's
# history and the customer's feed.
PROVIDER_TEXTS = {
    Effet.TRAITEMENT: (gettext_noop("Prélèvement SEPA de %(a)s en cours de traitement"),
                       "hourglass-split"),
    Effet.ECHEC: (gettext_noop("Paiement en ligne de %(a)s échoué"), "x-octagon"),
    Effet.ANNULE: (gettext_noop("Prélèvement de %(a)s rejeté : paiement annulé"), "x-octagon"),
}  # fmt: skip


def _record_payment(session: SessionPaiement, event: ProviderEvent) -> "Effet":
    """The money is there: a payment allocated to the invoice (what is still due on it, the
    rest as the customer's credit), dated on the day the provider says it was paid."""
    facture = with_amount_due(
        Facture.objects.select_for_update(of=("self",)).select_related("client")
    ).get(pk=session.facture_id)
    amount = session.amount if event.amount is None else event.amount
    allocated = min(amount, max(facture.amount_due or ZERO, ZERO))
    today = timezone.localdate()
    day = min(timezone.localdate(event.created), today) if event.created else today
    notes = _("Paiement en ligne (%(p)s)") % {"p": session.compte.get_provider_display()}
    try:
        periode_verifier_ouverte(company=session.company, day=day)
    except PeriodeCloturee:
        # The provider's word came after the period was closed: nothing is dated in a closed
        # period (CGI art. 286), so the payment is recorded today, saying when it was paid.
        notes += " — " + _("payé le %(d)s, période close : enregistré le %(t)s") % {
            "d": day.strftime("%d/%m/%Y"),
            "t": today.strftime("%d/%m/%Y"),
        }
        day = today
    paiement = paiement_enregistrer(
        company=session.company, user=None, client=facture.client,
        day=day, amount=amount, method=session.method,
        payer=event.payer, reference=event.reference, notes=notes,
        allocations=[Allocation(facture.pk, allocated)] if allocated > 0 else [],
    )  # fmt: skip
    session.paiement = paiement
    session.status = SessionStatus.PAID
    session.save(update_fields=["paiement", "status", "updated_at"])
    return Effet.PAYE


def _apply(session: SessionPaiement, event: ProviderEvent) -> "Effet":
    """Moves the session forward by `event`, or not at all (an event arriving late)."""
    status = session.status
    before_outcome = {SessionStatus.CREATING, SessionStatus.OPEN, SessionStatus.UNAVAILABLE}
    if event.outcome == Outcome.PAID:
        if status in before_outcome | {SessionStatus.PROCESSING, SessionStatus.EXPIRED}:
            return _record_payment(session, event)
    elif event.outcome == Outcome.PROCESSING:
        if status in before_outcome | {SessionStatus.EXPIRED}:
            session.status = SessionStatus.PROCESSING
            session.save(update_fields=["status", "updated_at"])
            return Effet.TRAITEMENT
    elif event.outcome == Outcome.FAILED:
        if status == SessionStatus.PAID and session.paiement_id is not None:
            paiement_annuler(
                paiement=session.paiement, user=None,
                reason=_("Prélèvement rejeté (%(e)s)") % {"e": event.id},
            )  # fmt: skip
            session.status = SessionStatus.FAILED
            session.save(update_fields=["status", "updated_at"])
            return Effet.ANNULE
        if status in before_outcome | {SessionStatus.PROCESSING, SessionStatus.EXPIRED}:
            session.status = SessionStatus.FAILED
            session.save(update_fields=["status", "updated_at"])
            return Effet.ECHEC
    elif event.outcome == Outcome.EXPIRED:
        if status in before_outcome:
            session.status = SessionStatus.EXPIRED
            session.save(update_fields=["status", "updated_at"])
            return Effet.EXPIREE
    return Effet.SANS_EFFET


@transaction.atomic
def evenement_traiter(*, compte: ComptePrestataire, event: ProviderEvent) -> "Effet":
    """Acts on a verified provider event once: stored under its id in the same transaction
    as its effect, so a replay (or a concurrent second delivery) changes nothing."""
    session = None
    if event.session_id and event.outcome != Outcome.IGNORED:
        session = (
            SessionPaiement.objects.select_for_update(of=("self",))
            .select_related("company", "compte", "paiement")
            .filter(compte=compte, provider_id=event.session_id)
            .first()
        )
    # Read after the session's lock: a concurrent delivery of the same event has committed.
    if EvenementPrestataire.objects.filter(compte=compte, event_id=event.id).exists():
        return Effet.REJEU
    outcome = _apply(session, event) if session is not None else Effet.IGNORE
    try:
        with transaction.atomic():
            stored = EvenementPrestataire.objects.create(
                compte=compte, event_id=event.id, type=event.type[:100], session=session,
                outcome=outcome,
            )  # fmt: skip
            if session is not None and outcome in PROVIDER_TEXTS:
                summary, icon = PROVIDER_TEXTS[Effet(outcome)]
                facture_activite(session.facture, summary, {"a": format_eur(session.amount)},
                                 icon=icon, famille=FamilleActivite.PAIEMENT,
                                 at=stored.received_at)  # fmt: skip
    except IntegrityError:
        # The same event, delivered twice at once, with no session to serialise on.
        if session is not None:
            raise
        return Effet.REJEU
    return outcome


# Sessions whose outcome the webhook should have told by now; asked about by the sweeper.
POLL_AFTER = timedelta(minutes=15)
POLL_UNTIL = timedelta(days=14)  # a SEPA debit's answer can take days; an abandoned one expires


def sessions_a_verifier(*, now) -> list[int]:
    """Open or processing checkouts last changed more than POLL_AFTER ago (and less than
    POLL_UNTIL): their webhook may have been lost."""
    return list(
        SessionPaiement.objects.filter(
            status__in=[SessionStatus.OPEN, SessionStatus.PROCESSING],
            provider_id__isnull=False,
            updated_at__lt=now - POLL_AFTER,
            created_at__gt=now - POLL_UNTIL,
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:200]
    )


def session_verifier(*, session_id: int) -> "Effet | None":
    """Asks the provider about one session (outside any transaction: no lock across HTTP),
    then acts on its answer as on a webhook, once."""
    session = SessionPaiement.objects.select_related("compte").get(pk=session_id)
    if session.status not in (SessionStatus.OPEN, SessionStatus.PROCESSING):
        return None
    event = provider_for(session.compte.provider).session_event(session.compte, session.provider_id)
    effet = evenement_traiter(compte=session.compte, event=event) if event else None
    # Asked again after POLL_AFTER, whatever the answer (still open, still processing).
    SessionPaiement.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    return effet


__all__ = [
    "ONLINE_METHODS", "Effet", "PaiementEnLigneError", "PaiementError", "compte_actif",
    "compte_enregistrer", "compte_lire", "consultation_enregistrer", "en_traitement",
    "evenement_traiter", "methodes", "session_demarrer", "session_verifier",
    "sessions_a_verifier",
]  # fmt: skip
