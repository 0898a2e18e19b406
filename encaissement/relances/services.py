"""Writes of dunning: the daily run, one reminder's send, disputes, promises, profiles.

Each (invoice, level) is sent at most once: the `Relance` row (unique on invoice and level)
is committed before anything leaves; the sender claims it (PREVUE → ENVOI) in its own
commit, talks to the mail server outside any transaction and without any lock, then records
the outcome. A sender killed after the send leaves ENVOI: nothing sends it again.
"""

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.models import Client
from encaissement.models import (
    Canal,
    EtatRelance,
    Litige,
    ModePenalites,
    NiveauRelance,
    PenalitesFacturees,
    ProfilRelance,
    PromessePaiement,
    Relance,
    ScenarioRelance,
    SourceDemande,
)
from encaissement.relances.contenu import contenu_relance, html_body
from encaissement.relances.penalites import Bareme, Penalites, TauxManquant
from encaissement.relances.planning import (
    Action,
    Scenarios,
    factures_ouvertes,
    niveau_suivant,
    relances_planifier,
)
from encaissement.relances.scenario import scenario_defaut_assurer
from facturation.activite import facture_activite
from facturation.models import Facture, Kind, Status
from facturation.selectors import CLAIM_EXPIRY
from facturation.services import facture_creer
from facturation.services.delivery import customer_sender
from pgi.envoi import envoyer_reclame
from pgi.exceptions import DomainError
from pgi.models import Company, FamilleActivite, User
from pgi.money import ZERO, cents, format_eur, format_number
from pgi.notifications import notifier

logger = logging.getLogger(__name__)


class RelanceError(DomainError):
    pass


# A reminder's line in the customer's feed and the invoice's history, once it has a final
# state (a planned email gets its line when sent, refused or interrupted). The state is
# translated when read ({"t": ...}, pgi.activite).
STATE_TEXTS = {
    EtatRelance.ENVOYEE: (gettext_noop("Envoyée"), "envelope-exclamation"),
    EtatRelance.A_IMPRIMER: (gettext_noop("Lettre à imprimer et envoyer"), "printer"),
    EtatRelance.ENREGISTREE: (gettext_noop("Enregistrée"), "briefcase"),
    EtatRelance.REFUSEE: (gettext_noop("Refusée par le serveur de messagerie"),
                          "exclamation-octagon"),
    EtatRelance.INCERTAINE: (gettext_noop("Envoi interrompu : à vérifier"), "question-octagon"),
}  # fmt: skip


SOURCE_TEXTS = {
    SourceDemande.OWNER: gettext_noop("La société"),
    SourceDemande.CUSTOMER: gettext_noop("Le client (page de paiement)"),
}


def _feed(relance_id: int) -> None:
    """Appends the reminder's line as it now is; call it in the transaction of its change."""
    relance = Relance.objects.select_related("facture", "niveau").get(pk=relance_id)
    if relance.state not in STATE_TEXTS:
        return
    state, icon = STATE_TEXTS[EtatRelance(relance.state)]
    summary, params = "%(n)s : %(s)s", {"n": relance.niveau.name, "s": {"t": state}}
    if relance.recipients:
        summary, params["to"] = summary + " · %(to)s", relance.recipients
    if relance.error:
        summary, params["e"] = summary + " · %(e)s", relance.error
    if relance.manual:
        summary, params["m"] = summary + " · %(m)s", {"t": gettext_noop("à la main")}
    facture_activite(relance.facture, summary, params, icon=icon,
                     famille=FamilleActivite.RELANCE, user=relance.created_by,
                     at=relance.sent_at or timezone.now())  # fmt: skip


def _recipients(client: Client) -> str:
    if client.email:
        return client.email
    contact = client.contacts.exclude(email="").order_by("-is_primary", "pk").first()
    return contact.email if contact else ""


def _row(
    action: Action,
    *,
    today: date,
    bareme: Bareme | None,
    user: User | None = None,
    manual: bool = False,
    subject: str | None = None,
    body: str | None = None,
) -> Relance:
    facture, niveau = action.facture, action.niveau
    contenu = contenu_relance(facture, niveau, today=today, bareme=bareme)
    state = EtatRelance.PREVUE
    if niveau.channel == Canal.LETTRE:
        state = EtatRelance.A_IMPRIMER
    elif niveau.channel == Canal.AUCUN:
        state = EtatRelance.ENREGISTREE
    return Relance(
        company_id=facture.company_id, facture=facture, niveau=niveau, position=niveau.position,
        nature=niveau.nature, channel=niveau.channel, state=state, planned_for=today,
        recipients=_recipients(facture.client) if niveau.channel == Canal.EMAIL else "",
        subject=subject if subject is not None else contenu.subject,
        body=body if body is not None else contenu.body,
        amount_due=contenu.amount_due, penalties=contenu.penalties,
        indemnity=contenu.indemnity, manual=manual, created_by=user,
    )  # fmt: skip


def relances_enregistrer(*, actions: list[Action], today: date) -> list[Relance]:
    """Commits the reminders of `actions` and returns those this call recorded: one already
    recorded (a second run, a racing worker) hits the unique key and is left alone."""
    bareme = Bareme.load() if actions else None
    recorded = []
    for action in actions:
        try:
            row = _row(action, today=today, bareme=bareme)
        except TauxManquant as missing:
            # An invoice late since before the first ECB rate entered: never guessed; the
            # others of the run go on (the admin enters the rate, the next run sends it).
            logger.error("dunning: no ECB rate for %s (invoice %s)", missing, action.facture.pk)
            continue
        try:
            with transaction.atomic():
                row.save()
                _feed(row.pk)
        except IntegrityError:
            continue  # relance_once_per_level: done by another run
        recorded.append(row)
    return recorded


def relance_expedier(*, relance_id: int) -> str | None:
    """Sends one recorded email reminder at most once; returns its new state, or None when
    this call did not claim it (sent, being sent or interrupted elsewhere)."""
    now = timezone.now()
    claimed = Relance.objects.filter(pk=relance_id, state=EtatRelance.PREVUE).update(
        state=EtatRelance.ENVOI, claimed_at=now
    )  # committed before the email leaves (no transaction is open here)
    if not claimed:
        return None  # sent, being sent, or interrupted: never again
    relance = Relance.objects.select_related("facture__company").get(pk=relance_id)
    if not relance.recipients:
        with transaction.atomic():
            Relance.objects.filter(pk=relance_id).update(
                state=EtatRelance.REFUSEE, error=_("Le client n'a pas d'adresse e-mail.")
            )
            _feed(relance_id)
        return EtatRelance.REFUSEE
    company = relance.facture.company
    sender, reply_to = customer_sender(company)
    link = _link_of(relance)
    message = EmailMultiAlternatives(
        subject=relance.subject, body=relance.body, from_email=sender,
        to=relance.recipients.split(", "), reply_to=reply_to,
    )  # fmt: skip
    message.attach_alternative(
        html_body(body=relance.body, company=company, link=link), "text/html"
    )
    done = envoyer_reclame(
        message, Relance.objects.filter(pk=relance_id), claimed_at=now,
        sent={"state": EtatRelance.ENVOYEE, "sent_at": timezone.now()},
        refused={"state": EtatRelance.REFUSEE},
        released={"state": EtatRelance.PREVUE, "claimed_at": None},
    )  # fmt: skip
    # The reminder's line as the mail server left it (sent or refused), just committed.
    with transaction.atomic():
        _feed(relance_id)
    if not done:
        return EtatRelance.REFUSEE
    return EtatRelance.ENVOYEE


def _link_of(relance: Relance) -> str:
    from facturation.public import public_url

    return public_url(relance.facture)


@dataclass
class Rapport:
    """What a run did, per level name: recorded, sent, letters to print, refused, failed."""

    per_level: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def add(self, level: str, outcome: str) -> None:
        counts = self.per_level.setdefault(level, {})
        counts[outcome] = counts.get(outcome, 0) + 1

    @property
    def sent(self) -> int:
        return sum(c.get(EtatRelance.ENVOYEE, 0) for c in self.per_level.values())


def relances_executer(*, company: Company, today: date, send: bool = True,
                      rapport: Rapport | None = None) -> Rapport:  # fmt: skip
    """One company's dunning for `today`: plans, records, then sends each email once."""
    rapport = rapport or Rapport()
    scenario_defaut_assurer(company=company)
    plan = relances_planifier(company=company, today=today)
    for reason, count in plan.skipped.items():
        rapport.skipped[reason] = rapport.skipped.get(reason, 0) + count
    for relance in relances_enregistrer(actions=plan.actions, today=today):
        outcome = relance.state
        if relance.state == EtatRelance.PREVUE:
            outcome = "prevue"
            if send:
                try:
                    outcome = relance_expedier(relance_id=relance.pk) or "deja"
                except Exception:
                    logger.warning("dunning: reminder %s not sent, retried later", relance.pk,
                                   exc_info=True)  # fmt: skip
                    outcome = "echec"
        rapport.add(relance.niveau.name, outcome)
    return rapport


def relance_manuelle_preparer(*, facture: Facture, today: date) -> tuple[NiveauRelance, object]:
    """The level "Relancer maintenant" would send, for review (writes nothing)."""
    invoice = factures_ouvertes(company=facture.company, today=today).filter(pk=facture.pk).first()
    if invoice is None:
        raise RelanceError(_("Cette facture n'a rien à relancer : elle est réglée."))
    scenarios = Scenarios.load(facture.company)
    niveau = niveau_suivant(invoice, scenarios.of(invoice), today)
    if niveau is None:
        raise RelanceError(_("Tous les niveaux de relance ont déjà été faits."))
    return niveau, invoice


def relance_manuelle(*, facture: Facture, user: User, today: date, subject: str,
                     body: str) -> Relance:  # fmt: skip
    """Records and sends now the next level of `facture`, with the text the user reviewed."""
    scenario_defaut_assurer(company=facture.company)
    niveau, invoice = relance_manuelle_preparer(facture=facture, today=today)
    row = _row(Action(facture=invoice, niveau=niveau), today=today, bareme=Bareme.load(),
               user=user, manual=True, subject=subject, body=body)  # fmt: skip
    try:
        with transaction.atomic():
            row.save()
            _feed(row.pk)
    except IntegrityError as exc:
        raise RelanceError(_("Cette relance vient d'être faite.")) from exc
    if row.state == EtatRelance.PREVUE:
        try:
            relance_expedier(relance_id=row.pk)
        except Exception:
            logger.warning("manual reminder %s not sent now, retried later", row.pk, exc_info=True)
        row.refresh_from_db()
    return row


@transaction.atomic
def litige_ouvrir(*, facture: Facture, reason: str, message: str = "", user: User | None,
                  source: str = SourceDemande.OWNER) -> Litige:  # fmt: skip
    """Opens a dispute: the invoice's dunning pauses until it is resolved."""
    reason = reason.strip()
    if not reason:
        raise RelanceError(_("Indiquez le motif du litige."))
    list(Facture.objects.select_for_update(of=("self",)).filter(pk=facture.pk).values("pk"))
    if Litige.objects.filter(facture=facture, resolved_at__isnull=True).exists():
        raise RelanceError(_("Un litige est déjà ouvert sur cette facture."))
    litige = Litige.objects.create(
        company_id=facture.company_id, facture=facture, reason=reason[:200],
        message=message.strip(), opened_by=user, source=source,
    )  # fmt: skip
    facture_activite(facture, gettext_noop("Litige ouvert (%(by)s) : %(r)s"),
                     {"by": {"t": SOURCE_TEXTS[SourceDemande(source)]}, "r": litige.reason},
                     icon="flag", famille=FamilleActivite.LITIGE, user=user,
                     at=litige.opened_at)  # fmt: skip
    if source == SourceDemande.CUSTOMER:
        notifier(
            company=facture.company,
            subject=_("%(client)s conteste la facture %(n)s") % _names(facture),
            body=_("%(client)s conteste la facture %(n)s depuis sa page de paiement. Les "
                   "relances de cette facture sont suspendues jusqu'à la résolution du "
                   "litige.\n\nSon message :\n%(m)s")
            % {**_names(facture), "m": litige.message or "—"},
            url=reverse("facturation:facture_detail", args=[facture.pk]),
        )  # fmt: skip
    return litige


def _names(facture: Facture) -> dict[str, str]:
    return {"client": facture.client.name, "n": facture.number}


@transaction.atomic
def litige_resoudre(*, litige: Litige, user: User | None, note: str = "") -> Litige:
    """Closes a dispute (by a credit note issued meanwhile, or to resume dunning)."""
    updated = Litige.objects.filter(pk=litige.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=user, resolution_note=note.strip()[:500]
    )
    if not updated:
        raise RelanceError(_("Ce litige est déjà résolu."))
    litige.refresh_from_db()
    facture_activite(litige.facture, gettext_noop("Litige résolu : %(n)s"),
                     {"n": litige.resolution_note or "—"}, icon="flag-fill",
                     famille=FamilleActivite.LITIGE, user=user, at=litige.resolved_at)  # fmt: skip
    return litige


@transaction.atomic
def promesse_enregistrer(*, facture: Facture, day: date, amount, user: User | None,
                         note: str = "", source: str = SourceDemande.OWNER,
                         today: date | None = None) -> PromessePaiement:  # fmt: skip
    """Records a promise to pay: dunning waits until `day`, and resumes if it is not kept."""
    today = today or timezone.localdate()
    problems = []
    if day < today:
        problems.append(_("La date promise est déjà passée."))
    if amount is None or amount <= 0:
        problems.append(_("Le montant promis doit être positif."))
    if problems:
        raise RelanceError(problems)
    promesse = PromessePaiement.objects.create(
        company_id=facture.company_id, facture=facture, date=day, amount=cents(amount),
        note=note.strip()[:500], created_by=user, source=source,
    )  # fmt: skip
    facture_activite(
        facture, gettext_noop("Promesse de paiement de %(a)s pour le %(d)s (%(by)s)"),
        {"a": format_eur(promesse.amount), "d": day.strftime("%d/%m/%Y"),
         "by": {"t": SOURCE_TEXTS[SourceDemande(source)]}},
        icon="calendar-check", famille=FamilleActivite.LITIGE, user=user,
        at=promesse.created_at,
    )  # fmt: skip
    if source == SourceDemande.CUSTOMER:
        notifier(
            company=facture.company,
            subject=_("%(client)s promet de payer la facture %(n)s") % _names(facture),
            body=_("%(client)s promet de payer %(a)s le %(d)s pour la facture %(n)s. Les "
                   "relances de cette facture attendent cette date.")
            % {**_names(facture), "a": format_eur(promesse.amount),
               "d": day.strftime("%d/%m/%Y")},
            url=reverse("facturation:facture_detail", args=[facture.pk]),
        )  # fmt: skip
    return promesse


@transaction.atomic
def profil_relance_modifier(*, client: Client, do_not_dun: bool,
                            scenario: ScenarioRelance | None) -> ProfilRelance:  # fmt: skip
    """Sets how a customer is dunned: its scenario (None: the default), or not at all."""
    if scenario is not None and scenario.company_id != client.company_id:
        raise RelanceError(_("Scénario introuvable."))
    profil, _created = ProfilRelance.objects.update_or_create(
        client=client, defaults={"company_id": client.company_id, "do_not_dun": do_not_dun,
                                 "scenario": scenario},
    )  # fmt: skip
    return profil


def relances_interrompues(*, now) -> int:
    """Marks INCERTAINE the emails claimed longer than CLAIM_EXPIRY ago and never recorded
    sent: their sender died, perhaps after the send. They are shown, never sent again."""
    with transaction.atomic():
        ids = list(
            Relance.objects.select_for_update(skip_locked=True)
            .filter(state=EtatRelance.ENVOI, claimed_at__lt=now - CLAIM_EXPIRY)
            .values_list("pk", flat=True)
        )
        Relance.objects.filter(pk__in=ids).update(state=EtatRelance.INCERTAINE)
        for pk in ids:
            _feed(pk)
    return len(ids)


# Late penalties and the recovery indemnity are damages, not the price of a supply: outside
# the scope of VAT (BOI-TVA-BASE-10-10-50); the line says why it charges none.
HORS_CHAMP_TVA = "Hors champ d'application de la TVA (indemnités de retard, BOI-TVA-BASE-10-10-50)"


def penalty_mode(facture: Facture) -> str:
    """The penalty rate rule of the customer's scenario, else of the company's default."""
    profil = ProfilRelance.objects.filter(client_id=facture.client_id).first()
    scenario = (profil.scenario if profil else None) or ScenarioRelance.objects.filter(
        company_id=facture.company_id, is_default=True
    ).first()
    return scenario.penalty_mode if scenario else ModePenalites.BCE


def penalites_a_facturer(facture: Facture, *, today: date) -> tuple[Penalites, Decimal, Decimal]:
    """The penalties of `facture` today, and what of the interest and of the indemnity has
    not been invoiced yet."""
    from encaissement.relances.contenu import penalites_facture

    pen = penalites_facture(facture, today=today, mode=penalty_mode(facture))
    done = PenalitesFacturees.objects.filter(origine=facture).aggregate(
        interest=Sum("interest"), indemnity=Sum("indemnity")
    )
    interest = max(pen.interest - (done["interest"] or ZERO), ZERO)
    indemnity = max(pen.indemnity - (done["indemnity"] or ZERO), ZERO)
    return pen, interest, indemnity


@transaction.atomic
def penalites_facturer(*, facture: Facture, user: User | None, today: date) -> Facture:
    """A draft invoice of the late penalties (and, once, the 40 € indemnity) of `facture`
    counted to `today`, less what earlier penalty invoices asked: reviewed, then issued like
    any invoice."""
    list(Facture.objects.select_for_update(of=("self",)).filter(pk=facture.pk).values("pk"))
    if facture.status != Status.ISSUED or facture.kind == Kind.CREDIT_NOTE:
        raise RelanceError(_("Seule une facture émise porte des pénalités de retard."))
    try:
        pen, interest, indemnity = penalites_a_facturer(facture, today=today)
    except TauxManquant as missing:
        raise RelanceError(
            _("Le taux BCE du semestre commençant le %(d)s n'est pas saisi.")
            % {"d": missing.args[0].strftime("%d/%m/%Y")}
        ) from missing
    if interest <= 0 and indemnity <= 0:
        raise RelanceError(_("Aucune pénalité de retard à facturer à ce jour."))
    names = {"n": facture.number, "e": facture.due_date.strftime("%d/%m/%Y")}
    lines: list[dict] = []
    if interest > 0:
        first, last = pen.periods[0], pen.periods[-1]
        rates = " ; ".join(sorted({format_number(p.rate, min_places=2) for p in pen.periods}))
        lines.append({
            "designation": _("Pénalités de retard — facture %(n)s échue le %(e)s") % names,
            "description": _("Du %(a)s au %(b)s (%(j)s jours), taux annuel %(t)s")
            % {"a": first.start.strftime("%d/%m/%Y"), "b": last.end.strftime("%d/%m/%Y"),
               "j": pen.days_late, "t": rates + "\u202f%"},
            "quantity": Decimal("1"), "unit": "forfait", "unit_price": interest,
            "vat_rate": Decimal("0"), "vat_exemption_reason": HORS_CHAMP_TVA,
        })  # fmt: skip
    if indemnity > 0:
        lines.append({
            "designation": _("Indemnité forfaitaire pour frais de recouvrement — facture %(n)s")
            % names,
            "description": _("Art. L441-10 et D441-5 du Code de commerce"),
            "quantity": Decimal("1"), "unit": "forfait", "unit_price": indemnity,
            "vat_rate": Decimal("0"), "vat_exemption_reason": HORS_CHAMP_TVA,
        })  # fmt: skip
    draft = facture_creer(
        company=facture.company, client=facture.client, user=user, lines=lines,
        fields={"subject": _("Pénalités de retard — facture %(n)s") % names},
    )  # fmt: skip
    PenalitesFacturees.objects.create(
        company_id=facture.company_id, origine=facture, facture=draft, as_of=today,
        interest=interest, indemnity=indemnity,
    )  # fmt: skip
    return draft
