"""Writes on quotes: drafts, sending, the customer's answer, expiry, revisions, invoices.

Every change of state is one function here (`devis_envoyer`, `devis_marquer_vu`,
`devis_accepter`, `devis_refuser`, `devis_expirer`, `devis_annuler`, `devis_facturer_*`),
which checks the move, writes the history row in the same transaction and queues its emails
after commit: the one place a hook (the sales funnel) can be added.

Lock order (pgi.locks): the quote, then the numbering counter, then the register head, then
the deal it was made from (crm), which never locks a quote.
"""

import hashlib
import json
import logging
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm import services as crm_services
from crm.models import Client, Opportunite
from devis import integrity
from devis.apps import SERIES
from devis.documents import counted, devis_content
from devis.exceptions import DevisError
from devis.mentions import devis_missing_mentions
from devis.models import (
    OPEN_STATES,
    Acceptation,
    Devis,
    DevisFacture,
    EnvoiDevis,
    Historique,
    LigneDevis,
    Motif,
    ParametresDevis,
    Role,
    Statut,
)
from facturation.models import Facture
from facturation.models import Status as FactureStatus
from facturation.services import (
    acompte_creer,
    facture_creer,
    facture_deduire_acomptes,
)
from pgi import registre
from pgi.activite import activite_ecrire
from pgi.exceptions import DomainError
from pgi.lignes import LINE_FIELD_NAMES, line_problems
from pgi.locks import lock_draft
from pgi.mentions import vat_case
from pgi.models import Company, FamilleActivite, User
from pgi.money import cents, format_eur
from pgi.notifications import notifier
from pgi.numbering import numero_attribuer
from pgi.queue import publish_after_commit
from pgi.text import clean_text
from pgi.totals import amount_problems, compute_totals

logger = logging.getLogger(__name__)

# The record kind of an acceptance in the register: sealed like an invoice, so that it
# cannot be denied or altered later (its verification: devis.integrity).
RECORD_KIND = integrity.RECORD_KIND

DRAFT_FIELDS = (
    "client", "subject", "notes", "validity_days", "start_date", "duration",
    "deposit_percent", "deposit_amount", "payment_terms", "execution_terms",
    "after_sales_terms", "price_revision_terms", "is_paid_quote", "quote_price", "cgv",
)  # fmt: skip
LINE_FIELDS = (*LINE_FIELD_NAMES, "article", "category", "optional")
TERMS_FROM_SETTINGS = (
    "payment_terms", "execution_terms", "after_sales_terms", "price_revision_terms", "cgv",
)  # fmt: skip


def parametres_devis(company: Company) -> ParametresDevis:
    """The company's quote settings; the defaults, unsaved, until it saves its own."""
    return ParametresDevis.objects.filter(company=company).first() or ParametresDevis(
        company=company
    )


@transaction.atomic
def parametres_devis_enregistrer(*, company: Company, fields: dict[str, Any]) -> ParametresDevis:
    parametres = parametres_devis(company)
    for name, value in fields.items():
        setattr(parametres, name, value)
    try:
        parametres.full_clean(exclude=["company"])
    except ValidationError as exc:
        raise DevisError.from_validation_error(exc) from exc
    parametres.save()
    return parametres


def _history(
    devis: Devis, *, before: str, after: str, user: User | None = None, note: str = "",
    at=None,
) -> None:  # fmt: skip
    Historique.objects.create(
        company_id=devis.company_id, devis=devis, from_status=before, to_status=after,
        at=at or timezone.now(), user=user, note=note[:300],
    )  # fmt: skip


# What a change of state writes in the customer's activity feed (pgi.activite).
FEED = {
    Statut.SENT: (gettext_noop("Devis %(ref)s envoyé (%(a)s HT)"), "send"),
    Statut.VIEWED: (gettext_noop("Devis %(ref)s consulté par le client"), "eye"),
    Statut.ACCEPTED: (gettext_noop("Devis %(ref)s accepté (%(a)s HT)"), "check2-circle"),
    Statut.REFUSED: (gettext_noop("Devis %(ref)s refusé : %(r)s"), "x-circle"),
    Statut.EXPIRED: (gettext_noop("Devis %(ref)s expiré"), "hourglass-bottom"),
    Statut.INVOICED: (gettext_noop("Devis %(ref)s facturé (%(n)s)"), "receipt"),
    Statut.CANCELLED: (gettext_noop("Devis %(ref)s annulé"), "slash-circle"),
}


def devis_activite(devis: Devis, after: str, *, user: User | None = None, note: str = "") -> None:
    """The customer's feed line of a change of state, linking to the quote's page."""
    if after not in FEED:
        return
    summary, icon = FEED[Statut(after)]
    params = {"ref": devis.reference, "a": format_eur(devis.total_excl_vat),
              "r": devis.refusal_reason or "—", "n": note}  # fmt: skip
    activite_ecrire(
        company=devis.company_id, client_id=devis.client_id, famille=FamilleActivite.DEVIS,
        summary=summary, params=params, icon=icon, url=devis.get_absolute_url(), objet=devis,
        reference=devis.reference, user=user,
    )  # fmt: skip


def _opportunite_suivre(devis: Devis, after: str, *, user: User | None) -> None:
    """The deal the quote was made from follows its answer: accepted wins it; refused or
    expired proposes to mark it lost (the user confirms). A funnel that cannot take the
    move (no won stage) never blocks the customer's answer."""
    if not devis.opportunite_id or after not in (Statut.ACCEPTED, Statut.REFUSED,
                                                  Statut.EXPIRED):  # fmt: skip
        return
    opp = Opportunite.objects.get(pk=devis.opportunite_id, company_id=devis.company_id)
    names = {"ref": devis.reference, "r": devis.refusal_reason or "—"}
    try:
        if after == Statut.ACCEPTED:
            crm_services.opportunite_gagner(
                opportunite=opp, user=user, reason=_("Devis %(ref)s accepté") % names
            )
        elif after == Statut.REFUSED:
            crm_services.opportunite_proposer_perte(
                opportunite=opp, user=user, reason=_("devis %(ref)s refusé (%(r)s)") % names
            )
        else:
            crm_services.opportunite_proposer_perte(
                opportunite=opp, user=user, reason=_("devis %(ref)s expiré") % names
            )
    except DomainError:
        logger.warning("quote %s: its opportunity %s could not follow", devis.pk, opp.pk)


def _set_status(devis: Devis, after: str, *, user: User | None = None, note: str = "",
                **fields: Any) -> Devis:  # fmt: skip
    """The one place a quote changes state: its row, its history row, the customer's feed
    line and the deal it was made from, in the caller's transaction."""
    before = devis.status
    devis.status = after
    for name, value in fields.items():
        setattr(devis, name, value)
    devis.save(update_fields=["status", *fields])
    _history(devis, before=before, after=after, user=user, note=note)
    if before != Statut.INVOICED:  # not the undoing of a deleted invoice draft
        devis_activite(devis, after, user=user, note=note)
        _opportunite_suivre(devis, after, user=user)
    return devis


def _lock(devis: Devis) -> Devis:
    return lock_draft(Devis, devis.pk, related=("company", "client"))


def _ensure_draft(devis: Devis) -> None:
    if not devis.is_draft:
        raise DevisError(
            _("%(n)s est envoyé : faites-en une nouvelle version pour le modifier.")
            % {"n": devis.reference}
        )


def _clean(devis: Devis) -> None:
    errors: dict[str, list[str]] = {}
    try:
        devis.full_clean(
            exclude=["company", "client", "origine", "created_by"],
            validate_unique=False, validate_constraints=False,
        )  # fmt: skip
    except ValidationError as exc:
        errors = DevisError.from_validation_error(exc).field_errors
    if errors:
        raise DevisError([m for ms in errors.values() for m in ms], field_errors=errors)


def _check_client(company: Company, client: Client) -> None:
    if client.company_id != company.pk:
        raise DevisError(_("Ce client n'appartient pas à la société."))


# Drafts --------------------------------------------------------------------------------------


@transaction.atomic
def devis_creer(
    *, company: Company, client: Client, user: User | None,
    fields: dict[str, Any] | None = None, lines: list[dict[str, Any]] | None = None,
    opportunite: Opportunite | None = None,
) -> Devis:  # fmt: skip
    """A draft quote for a customer or a prospect, with the company's default validity and
    terms; it has no number until it is sent. Made from a deal of the sales funnel
    (`opportunite`), it is linked to it (its answer moves the deal)."""
    _check_client(company, client)
    if opportunite is not None and (
        opportunite.company_id != company.pk or opportunite.client_id != client.pk
    ):
        raise DevisError(_("Cette opportunité n'est pas celle de ce client."))
    parametres = parametres_devis(company)
    devis = Devis(company=company, client=client, created_by=user, opportunite=opportunite)
    devis.validity_days = parametres.validity_days
    for name in TERMS_FROM_SETTINGS:
        setattr(devis, name, getattr(parametres, name))
    for name, value in (fields or {}).items():
        if name in DRAFT_FIELDS and name != "client":
            setattr(devis, name, value)
    _clean(devis)
    devis.save()
    _history(devis, before="", after=Statut.DRAFT, user=user)
    if lines is not None:
        devis_lignes_enregistrer(devis=devis, lines=lines)
    return devis


@transaction.atomic
def devis_modifier(*, devis: Devis, fields: dict[str, Any]) -> Devis:
    devis = _lock(devis)
    _ensure_draft(devis)
    for name, value in fields.items():
        if name not in DRAFT_FIELDS:
            raise DevisError(_("Champ non modifiable : %(f)s") % {"f": name})
        setattr(devis, name, value)
    _check_client(devis.company, devis.client)
    if devis.opportunite_id and devis.opportunite.client_id != devis.client_id:
        devis.opportunite = None  # another customer: no longer that deal's quote
    _clean(devis)
    devis.save()
    return devis


@transaction.atomic
def devis_lignes_enregistrer(*, devis: Devis, lines: list[dict[str, Any]]) -> list[LigneDevis]:
    """Replaces the lines of a draft; every invalid line is reported at once."""
    devis = _lock(devis)
    _ensure_draft(devis)
    built: list[LigneDevis] = []
    problems: list[str] = []
    for position, data in enumerate(lines, start=1):
        line = LigneDevis(company_id=devis.company_id, devis=devis, position=position)
        for name in LINE_FIELDS:
            if name in data and data[name] is not None:
                setattr(line, name, data[name])
        if line.article_id and line.article.company_id != devis.company_id:
            raise DevisError(_("Article inconnu."))
        if line.quantity is not None and line.quantity <= 0:
            problems.append(_("Ligne %(n)d : la quantité doit être positive.") % {"n": position})
        problems.extend(line_problems(line, position=position))
        built.append(line)
    if not problems:
        problems = amount_problems(compute_totals(built))
    if problems:
        raise DevisError(problems)
    devis.lines.all().delete()
    LigneDevis.objects.bulk_create(built)
    return built


@transaction.atomic
def devis_brouillon_enregistrer(
    *, devis: Devis, fields: dict[str, Any], lines: list[dict[str, Any]]
) -> Devis:
    """Saves a draft's header and its lines together, every problem of both at once."""
    _ensure_draft(_lock(devis))
    problems: list[str] = []
    field_errors: dict[str, list[str]] = {}
    try:
        devis = devis_modifier(devis=devis, fields=fields)
    except DevisError as exc:
        problems += exc.problems
        field_errors |= exc.field_errors
    try:
        devis_lignes_enregistrer(devis=devis, lines=lines)
    except DevisError as exc:
        problems += exc.problems
    if problems:
        raise DevisError(problems, field_errors=field_errors)
    return devis


def _line_data(devis: Devis) -> list[dict[str, Any]]:
    return [
        {name: getattr(line, name) for name in LINE_FIELDS}
        for line in devis.lines.select_related("article").order_by("position", "pk")
    ]


def _draft_fields(devis: Devis) -> dict[str, Any]:
    return {name: getattr(devis, name) for name in DRAFT_FIELDS if name != "client"}


@transaction.atomic
def devis_dupliquer(*, devis: Devis, user: User | None) -> Devis:
    """A new draft quote (a new number when sent) with the customer, terms and lines of
    `devis`, whatever its state."""
    lines = _line_data(devis)
    for line in lines:
        if line["article"] is not None and not line["article"].active:
            line["article"] = None
    return devis_creer(
        company=devis.company, client=devis.client, user=user, fields=_draft_fields(devis),
        lines=lines,
    )  # fmt: skip


@transaction.atomic
def devis_supprimer(*, devis: Devis) -> None:
    """Deletes a draft; it never had a number (a revision keeps its quote's number)."""
    devis = _lock(devis)
    _ensure_draft(devis)
    devis.historique.all().delete()
    devis.delete()


# Sending -------------------------------------------------------------------------------------


def _check_sendable(devis: Devis, lines: list[LigneDevis], parametres: ParametresDevis) -> None:
    seller_case = vat_case(
        {"vat_regime": devis.company.vat_regime},
        {"kind": devis.client.kind, "address": {"country": devis.client.billing_country}},
    )
    problems = devis_missing_mentions(
        devis, lines=lines, parametres=parametres, vat_case=seller_case
    )
    problems += amount_problems(compute_totals(counted(lines)))
    if problems:
        raise DevisError(problems)


def _freeze(devis: Devis, lines: list[LigneDevis], parametres: ParametresDevis) -> None:
    # As stored (dates as ISO text), so the PDF rendered now and later read the same values.
    content = devis_content(devis, lines=lines, parametres=parametres)
    devis.content = json.loads(json.dumps(content, cls=DjangoJSONEncoder))
    devis.total_excl_vat = cents(Decimal(devis.content["total_excl_vat"]))
    devis.total_vat = cents(Decimal(devis.content["total_vat"]))
    devis.total_incl_vat = cents(Decimal(devis.content["total_incl_vat"]))


def devis_verifier_client(devis: Devis):
    """The company directory's check of the customer before a big quote is first sent
    (`crm.services.client_verifier_avant_envoi`): None when none is due, else what it found
    (`.at_risk`, `.warnings`, `.unavailable`). Network I/O: call it outside any transaction
    and lock; it never blocks the sending by itself (the view asks the owner to confirm)."""
    if not devis.is_draft:
        return None
    amount = compute_totals(counted(list(devis.lines.all()))).total_excl_vat
    return crm_services.client_verifier_avant_envoi(client=devis.client, amount=amount)


@transaction.atomic
def devis_envoyer(
    *, devis: Devis, user: User | None, recipients: list[str], subject: str, body: str,
    today: date | None = None,
) -> EnvoiDevis:  # fmt: skip
    """Sends a draft: checks every mandatory item (LEGAL.md §1, all missing ones at once),
    numbers it when first sent (a revision keeps its quote's number), freezes its content,
    supersedes the earlier versions, and queues the email with the PDF after commit.

    Sending a quote already sent again only queues the email."""
    devis = _lock(devis)
    recipients = [r.strip() for r in recipients if r.strip()]
    if not recipients:
        raise DevisError(_("Indiquez au moins un destinataire."))
    if devis.status in OPEN_STATES:
        return _queue_email(devis, Motif.QUOTE, recipients, subject, body, user=user)
    _ensure_draft(devis)
    lines = list(devis.lines.order_by("position", "pk"))
    parametres = parametres_devis(devis.company)
    _check_sendable(devis, lines, parametres)

    now = timezone.now()
    devis.issue_date = today or timezone.localdate(now)
    devis.valid_until = devis.issue_date + timedelta(days=devis.validity_days)
    if devis.version == 1:
        devis.number = numero_attribuer(company=devis.company, series=SERIES, day=devis.issue_date)
    _freeze(devis, lines, parametres)
    devis.sent_at = now
    devis.save(update_fields=["issue_date", "valid_until", "number", "content", "total_excl_vat",
                              "total_vat", "total_incl_vat", "sent_at"])  # fmt: skip
    _set_status(devis, Statut.SENT, user=user)
    if devis.origine_id:  # the earlier versions the customer could still answer
        earlier = Devis.objects.select_for_update().filter(
            Q(pk=devis.origine_id) | Q(origine_id=devis.origine_id),
            version__lt=devis.version, status__in=OPEN_STATES,
        ).order_by("pk")  # fmt: skip
        for old in earlier:
            _set_status(old, Statut.SUPERSEDED, user=user, note=devis.reference)
    return _queue_email(devis, Motif.QUOTE, recipients, subject, body, user=user)


def _queue_email(
    devis: Devis, motif: str, recipients: list[str], subject: str, body: str, *,
    user: User | None = None,
) -> EnvoiDevis:  # fmt: skip
    from devis.tasks import send_devis_email  # the task calls these services back

    envoi = EnvoiDevis.objects.create(
        company_id=devis.company_id, devis=devis, motif=motif, recipients=", ".join(recipients),
        subject=clean_text(subject, single_line=True)[:200], body=body, created_by=user,
    )  # fmt: skip
    publish_after_commit(send_devis_email, envoi.pk)  # the sweeper covers a lost one
    return envoi


def _templated_email(devis: Devis, motif: str, recipients: list[str], **context: Any) -> None:
    from devis.public import public_url

    context = {"devis": devis, "company": devis.company, "link": public_url(devis), **context}
    subject = render_to_string(f"devis/email/{motif}_subject.txt", context).strip()
    body = render_to_string(f"devis/email/{motif}_body.txt", context)
    _queue_email(devis, motif, recipients, subject, body)


def _notify_team(devis: Devis, subject: str, body: str) -> None:
    """The customer's answer, told to the members who may act on it (owner and staff), once
    after commit (`pgi.notifications`), with the quote's page."""
    notifier(company=devis.company, subject=subject, body=body, url=devis.get_absolute_url())


@transaction.atomic
def lien_devis_renouveler(*, devis: Devis) -> Devis:
    """Revokes the customer link of a quote (every version) and makes a new one."""
    first = devis.origine or devis
    Devis.objects.filter(pk=first.pk).update(link_version=F("link_version") + 1)
    first.refresh_from_db()
    return first


def devis_pdf_generer(*, devis_id: int) -> Devis:
    """Renders the PDF of a sent quote once, from its frozen content, and stores it with its
    SHA-256; a second call returns the stored one (idempotent, outside any lock while
    rendering)."""
    from devis.pdf import render_devis_pdf

    devis = Devis.objects.select_related("company").get(pk=devis_id)
    if devis.pdf_sha256 or devis.content is None:
        return devis
    logo = devis.company.logo.path if devis.company.logo else None
    data = render_devis_pdf(devis.content, logo_path=logo)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        devis = lock_draft(Devis, devis_id, related=("company",))
        if devis.pdf_sha256:
            return devis
        name = f"{devis.company_id}/{devis.reference}.pdf"
        devis.pdf.storage.delete(devis.pdf.field.generate_filename(devis, name))
        devis.pdf.save(name, ContentFile(data), save=False)
        devis.pdf_sha256 = digest
        devis.save(update_fields=["pdf", "pdf_sha256"])
    return devis


# The customer's answer -----------------------------------------------------------------------


@transaction.atomic
def devis_marquer_vu(*, devis: Devis) -> Devis:
    """The customer opened the quote's page: sent → viewed, once."""
    devis = _lock(devis)
    if devis.status == Statut.SENT:
        _set_status(devis, Statut.VIEWED, viewed_at=timezone.now())
    return devis


def consent_text(devis: Devis) -> str:
    """The words the customer agrees to, shown by the consent box and sealed with the
    acceptance: the quote's reference, its total and its terms."""
    return _(
        "Je déclare avoir lu le devis %(ref)s et les conditions générales de vente ci-dessus, "
        "et je l'accepte sans réserve : « Bon pour accord »."
    ) % {"ref": devis.reference}


def _ensure_answerable(devis: Devis, today: date) -> None:
    if devis.status == Statut.EXPIRED or (
        devis.status in OPEN_STATES and devis.valid_until and devis.valid_until < today
    ):
        raise DevisError(_("Ce devis a expiré : il ne peut plus être accepté."))
    if devis.status == Statut.REFUSED:
        raise DevisError(_("Ce devis a été refusé : il ne peut plus être accepté."))
    if devis.status == Statut.SUPERSEDED:
        raise DevisError(_("Une nouvelle version de ce devis a été envoyée."))
    if devis.status not in OPEN_STATES:
        raise DevisError(_("Ce devis ne peut plus être accepté."))


@transaction.atomic
def devis_accepter(
    *, devis: Devis, name: str, consent: bool, options: list[int], pdf_sha256: str,
    ip: str | None = None, user_agent: str = "", signature: str = "",
    now=None,
) -> Devis:  # fmt: skip
    """The customer accepts the quote shown: its options ticked, name typed, consent given.

    Accepting twice changes nothing; an expired, refused or superseded quote cannot be
    accepted. The evidence (name, time, IP, user agent, the SHA-256 of the PDF shown, the
    consent text) is sealed in the company's register in this transaction; the signed copy
    is rendered and emailed after commit, and the team is told (`pgi.notifications`)."""
    devis = _lock(devis)
    if devis.status in (Statut.ACCEPTED, Statut.INVOICED):
        return devis  # already accepted: nothing changes
    now = now or timezone.now()
    _ensure_answerable(devis, timezone.localdate(now))
    name = clean_text(name, single_line=True).strip()
    problems = []
    if len(name) < 2:
        problems.append(_("Tapez votre nom complet."))
    if not consent:
        problems.append(_("Cochez la case d'acceptation."))
    if not devis.pdf_sha256 or pdf_sha256 != devis.pdf_sha256:  # the PDF the page showed
        problems.append(_("Le devis a changé depuis l'ouverture de la page : rechargez-la."))
    if problems:
        raise DevisError(problems)

    lines = list(devis.lines.order_by("position", "pk"))
    chosen = {line.position for line in lines if line.optional and line.position in options}
    for line in lines:
        line.chosen = line.position in chosen
    LigneDevis.objects.filter(devis=devis, optional=True).update(chosen=False)
    LigneDevis.objects.filter(devis=devis, position__in=chosen, optional=True).update(chosen=True)
    totals = compute_totals(counted(lines))
    text = consent_text(devis)
    acceptation = Acceptation.objects.create(
        company_id=devis.company_id, devis=devis, name=name[:200], accepted_at=now, ip=ip,
        user_agent=user_agent[:500], pdf_sha256=devis.pdf_sha256, consent_text=text,
        options=sorted(chosen), signature=signature if _is_png(signature) else "",
    )  # fmt: skip
    record = registre.seal(
        company=devis.company, kind=RECORD_KIND, reference=devis.reference, at=now,
        document={
            "devis": devis.reference, "name": acceptation.name, "ip": ip,
            "user_agent": acceptation.user_agent, "pdf_sha256": devis.pdf_sha256,
            "consent_text": text, "options": sorted(chosen),
            "total_excl_vat": format(totals.total_excl_vat, "f"),
            "total_incl_vat": format(totals.total_incl_vat, "f"),
            "signature_sha256": hashlib.sha256(acceptation.signature.encode()).hexdigest()
            if acceptation.signature else None,
        },
    )  # fmt: skip
    Acceptation.objects.filter(pk=acceptation.pk).update(record_sequence=record.sequence)
    _set_status(
        devis, Statut.ACCEPTED, note=name[:300], answered_at=now,
        total_excl_vat=totals.total_excl_vat, total_vat=totals.total_vat,
        total_incl_vat=totals.total_incl_vat,
    )  # fmt: skip
    if devis.client.email:
        _templated_email(devis, Motif.SIGNED_COPY, [devis.client.email], acceptation=acceptation)
    names = {"ref": devis.reference, "client": devis.client.name}
    _notify_team(
        devis, _("Devis %(ref)s accepté par %(client)s") % names,
        _("Le devis %(ref)s a été accepté en ligne par %(name)s (%(total)s TTC). "
          "L'acceptation est scellée dans le registre ; la copie signée est sur la page du "
          "devis.") % {**names, "name": acceptation.name,
                       "total": format_eur(devis.total_incl_vat)},
    )  # fmt: skip
    return devis


def _is_png(data: str) -> bool:
    return data.startswith("data:image/png;base64,") and len(data) < 200_000


@transaction.atomic
def devis_refuser(*, devis: Devis, reason: str, now=None) -> Devis:
    """The customer declines the quote, with a reason; the team is told."""
    devis = _lock(devis)
    if devis.status == Statut.REFUSED:
        return devis
    now = now or timezone.now()
    if devis.status not in OPEN_STATES:
        raise DevisError(_("Ce devis ne peut plus être refusé."))
    reason = clean_text(reason).strip()
    _set_status(devis, Statut.REFUSED, note=reason[:300], refusal_reason=reason,
                answered_at=now)  # fmt: skip
    names = {"ref": devis.reference, "client": devis.client.name}
    _notify_team(
        devis, _("Devis %(ref)s refusé par %(client)s") % names,
        _("Le devis %(ref)s a été refusé.") % names + "\n" + _("Motif :") + " " + (reason or "—"),
    )  # fmt: skip
    return devis


@transaction.atomic
def devis_expirer(*, devis: Devis, today: date | None = None) -> Devis:
    """A quote past its validity date that the customer did not answer expires."""
    devis = _lock(devis)
    today = today or timezone.localdate()
    if devis.status in OPEN_STATES and devis.valid_until and devis.valid_until < today:
        _set_status(devis, Statut.EXPIRED)
    return devis


@transaction.atomic
def devis_rappeler(*, devis: Devis) -> Devis:
    """The reminder to the customer a few days before the quote expires, once."""
    devis = _lock(devis)
    if devis.status in OPEN_STATES and devis.reminder_sent_at is None and devis.client.email:
        Devis.objects.filter(pk=devis.pk).update(reminder_sent_at=timezone.now())
        _templated_email(devis, Motif.REMINDER, [devis.client.email])
    return devis


@transaction.atomic
def devis_annuler(*, devis: Devis, user: User | None) -> Devis:
    """The company withdraws a quote not yet accepted."""
    devis = _lock(devis)
    if devis.is_draft:  # it has no number yet: nothing to keep
        raise DevisError(_("Un brouillon ne s'annule pas : supprimez-le."))
    if devis.status in (Statut.ACCEPTED, Statut.INVOICED, Statut.CANCELLED):
        raise DevisError(_("Ce devis ne peut plus être annulé."))
    return _set_status(devis, Statut.CANCELLED, user=user)


# Revisions -----------------------------------------------------------------------------------


@transaction.atomic
def devis_reviser(*, devis: Devis, user: User | None) -> Devis:
    """A new version of a sent quote (`D-2026-0007-v2`), as a draft with its terms and lines;
    the earlier one stays as it was until the new one is sent, then it is superseded and the
    customer's link shows the new one. One draft version at a time."""
    devis = _lock(devis)
    if devis.status not in (*OPEN_STATES, Statut.REFUSED, Statut.EXPIRED):
        raise DevisError(_("Seul un devis envoyé, refusé ou expiré peut être révisé."))
    first_pk = devis.origine_id or devis.pk
    family = Devis.objects.filter(Q(pk=first_pk) | Q(origine_id=first_pk))
    pending = family.filter(status=Statut.DRAFT).first()
    if pending is not None:
        return pending
    version = max(family.values_list("version", flat=True)) + 1
    revision = Devis(
        company_id=devis.company_id, client_id=devis.client_id, created_by=user,
        origine_id=first_pk, number=devis.number, version=version,
        opportunite_id=devis.opportunite_id, **_draft_fields(devis),
    )  # fmt: skip
    revision.save()
    _history(revision, before="", after=Statut.DRAFT, user=user,
             note=_("Révision de %(r)s") % {"r": devis.reference})  # fmt: skip
    lines = _line_data(devis)
    LigneDevis.objects.bulk_create(
        LigneDevis(company_id=devis.company_id, devis=revision, position=position, **line)
        for position, line in enumerate(lines, start=1)
    )
    return revision


# Invoices ------------------------------------------------------------------------------------


def _ensure_accepted(devis: Devis) -> None:
    if devis.status not in (Statut.ACCEPTED, Statut.INVOICED):
        raise DevisError(_("Seul un devis accepté peut être facturé."))


def _final_invoice(devis: Devis, user: User | None) -> Facture:
    """The final invoice draft of the quote: made once, with the lines accepted (firm lines
    and the options ticked), the customer, subject and terms copied."""
    link = devis.factures.filter(role=Role.FINAL).select_related("facture").first()
    if link is not None:
        return link.facture
    lines = [
        {name: getattr(line, name) for name in (*LINE_FIELD_NAMES, "article")}
        for line in devis.lines.select_related("article").order_by("position", "pk")
        if line.counts
    ]
    notes = _("Selon devis %(r)s accepté le %(d)s.") % {
        "r": devis.reference,
        "d": timezone.localtime(devis.answered_at).strftime("%d/%m/%Y")
        if devis.answered_at else "",
    }  # fmt: skip
    facture = facture_creer(
        company=devis.company, client=devis.client, user=user,
        fields={"subject": devis.subject, "notes": notes}, lines=lines,
    )  # fmt: skip
    DevisFacture.objects.create(
        company_id=devis.company_id, devis=devis, facture=facture, role=Role.FINAL
    )
    return facture


@transaction.atomic
def devis_facturer_acompte(
    *, devis: Devis, user: User | None, percent: Decimal | None = None,
    amount_excl_vat: Decimal | None = None,
) -> Facture:  # fmt: skip
    """A deposit invoice draft for an accepted quote: a percentage of the accepted lines (the
    invoice's VAT breakdown, `facturation.services.acompte_creer`) or an amount."""
    devis = _lock(devis)
    _ensure_accepted(devis)
    if percent is None and amount_excl_vat is None:
        percent = devis.deposit_percent
    final = _final_invoice(devis, user)
    rates = [line.vat_rate for line in final.lines.all()]
    deposit = acompte_creer(
        company=devis.company, client=devis.client, user=user, facture=final,
        percent=percent if amount_excl_vat is None else None, amount_excl_vat=amount_excl_vat,
        vat_rate=max(rates, default=Decimal("20.00")),
    )  # fmt: skip
    DevisFacture.objects.create(
        company_id=devis.company_id, devis=devis, facture=deposit, role=Role.DEPOSIT
    )
    _history(devis, before=devis.status, after=devis.status, user=user,
             note=_("Facture d'acompte préparée"))  # fmt: skip
    return deposit


@transaction.atomic
def devis_facturer_solde(*, devis: Devis, user: User | None) -> Facture:
    """The final invoice draft of an accepted quote, the deposits already issued for it
    deducted (`facturation.services.facture_deduire_acomptes`). The quote stays accepted
    until that invoice is issued (`facture_du_devis_emise`).

    Lock order: an existing final invoice before the quote, as `facture_emettre` takes them
    (the invoice, then the quote in its hook)."""
    existing = DevisFacture.objects.filter(devis_id=devis.pk, role=Role.FINAL).first()
    if existing is not None:
        lock_draft(Facture, existing.facture_id)
    devis = _lock(devis)
    _ensure_accepted(devis)
    if existing is None and devis.factures.filter(role=Role.FINAL).exists():
        # made meanwhile by a concurrent call, which deducted the deposits
        return devis.factures.select_related("facture").get(role=Role.FINAL).facture
    final = _final_invoice(devis, user)
    if final.status != FactureStatus.DRAFT:
        return final
    deposits = [
        link.facture
        for link in devis.factures.filter(role=Role.DEPOSIT).select_related("facture")
        if link.facture.status == FactureStatus.ISSUED and not link.facture.deductions.exists()
    ]
    if deposits:
        facture_deduire_acomptes(facture=final, deposits=deposits)
    if existing is None:
        _history(devis, before=devis.status, after=devis.status, user=user,
                 note=_("Facture préparée"))  # fmt: skip
    return final


# Called by facturation (`facturation.hooks`, registered in `DevisConfig.ready`) in the
# transaction that issues an invoice or deletes a draft: the invoice is locked already, the
# quote is locked after it.


def facture_du_devis_emise(facture: Facture, user: User | None) -> None:
    """An invoice of a quote was issued: the final one makes the quote invoiced; a deposit
    is written in its history."""
    link = DevisFacture.objects.filter(facture_id=facture.pk).only("devis_id", "role").first()
    if link is None:
        return
    devis = _lock(Devis(pk=link.devis_id))
    if link.role == Role.FINAL and devis.status == Statut.ACCEPTED:
        _set_status(devis, Statut.INVOICED, user=user, note=facture.number)
    elif link.role == Role.DEPOSIT:
        _history(devis, before=devis.status, after=devis.status, user=user,
                 note=_("Facture d'acompte %(n)s émise") % {"n": facture.number})  # fmt: skip


def facture_du_devis_supprimee(facture: Facture) -> None:
    """A draft invoice of a quote is deleted: the quote can be invoiced again, and is
    accepted again if it was marked invoiced."""
    link = DevisFacture.objects.filter(facture_id=facture.pk).only("devis_id", "role").first()
    if link is None or link.role != Role.FINAL:
        return
    devis = _lock(Devis(pk=link.devis_id))
    if devis.status == Statut.INVOICED:
        _set_status(devis, Statut.ACCEPTED, note=_("Brouillon de facture supprimé"))
    else:
        _history(devis, before=devis.status, after=devis.status,
                 note=_("Brouillon de facture supprimé"))  # fmt: skip
