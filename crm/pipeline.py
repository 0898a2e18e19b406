"""Writes on the sales funnel: stages, opportunities and their moves, commercial activities.

Every write is one transaction that also appends the customer's activity-feed line
(`pgi.activite`); a stage move writes its history row (`PassageEtape`) that the funnel
statistics read. Opportunities are locked (`lock_draft`, the row alone) before a move, so two
users dragging the same card one after the other see the second move start from the first."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.models import (
    Activite,
    ActiviteKind,
    Client,
    Etape,
    Opportunite,
    OpportuniteStatut,
    PassageEtape,
)
from pgi.activite import activite_ecrire
from pgi.exceptions import DomainError
from pgi.locks import lock_draft
from pgi.models import Company, FamilleActivite, User
from pgi.money import format_eur

# The funnel a company starts with (name, probability %, won, lost).
DEFAULT_STAGES = [
    (gettext_noop("Nouveau"), 10, False, False),
    (gettext_noop("Qualifié"), 25, False, False),
    (gettext_noop("Proposition"), 50, False, False),
    (gettext_noop("Négociation"), 75, False, False),
    (gettext_noop("Gagné"), 100, True, False),
    (gettext_noop("Perdu"), 0, False, True),
]

OPPORTUNITE_FIELDS = frozenset(
    {
        "title", "client", "amount", "expected_close_date", "etape", "probability_override",
        "owner", "next_action", "next_action_date",
    }
)  # fmt: skip


# Stages -----------------------------------------------------------------------------------


@transaction.atomic
def etapes_par_defaut(*, company: Company) -> list[Etape]:
    """The company's stages, the default funnel created first if it has none (in French: a
    company's stage names are its own words, not translated afterwards)."""
    stages = list(Etape.objects.for_company(company))
    if stages:
        return stages
    try:
        with transaction.atomic():
            Etape.objects.bulk_create(
                Etape(company=company, name=name, position=index, probability=probability,
                      is_won=won, is_lost=lost)
                for index, (name, probability, won, lost) in enumerate(DEFAULT_STAGES)
            )  # fmt: skip
    except IntegrityError:  # created at the same moment by another request
        pass
    return list(Etape.objects.for_company(company))


def _etape_valider(etape: Etape) -> None:
    try:
        etape.full_clean(exclude=["company"], validate_unique=False)
    except ValidationError as exc:
        raise DomainError.from_validation_error(exc) from exc
    same = Etape.objects.for_company(etape.company).filter(name__iexact=etape.name)
    if etape.pk:
        same = same.exclude(pk=etape.pk)
    problems = []
    if same.exists():
        problems.append(_("Une étape porte déjà ce nom."))
    if etape.is_won and etape.is_lost:
        problems.append(_("Une étape ne peut pas être à la fois gagnée et perdue."))
    if problems:
        raise DomainError(problems)


@transaction.atomic
def etape_enregistrer(*, company: Company, etape: Etape | None, fields: dict[str, Any]) -> Etape:
    """Creates or changes a stage of the company's funnel."""
    etape = etape or Etape(company=company, position=Etape.objects.for_company(company).count())
    for name in ("name", "position", "probability", "is_won", "is_lost"):
        if name in fields:
            setattr(etape, name, fields[name])
    _etape_valider(etape)
    etape.save()
    return etape


@transaction.atomic
def etape_supprimer(*, etape: Etape) -> None:
    """Deletes a stage no opportunity ever was in."""
    used = Opportunite.objects.filter(etape=etape).exists() or (
        PassageEtape.objects.filter(to_etape=etape).exists()
        or PassageEtape.objects.filter(from_etape=etape).exists()
    )
    if used:
        raise DomainError(_("Cette étape a des opportunités : elle ne peut pas être supprimée."))
    etape.delete()


# Opportunities ----------------------------------------------------------------------------


def _passage(opp: Opportunite, *, from_etape: Etape | None, user: User | None) -> None:
    PassageEtape.objects.create(
        company_id=opp.company_id, opportunite=opp, from_etape=from_etape, to_etape=opp.etape,
        user=user if user is not None and user.is_authenticated else None,
    )  # fmt: skip


def _feed(opp: Opportunite, summary: str, params: dict, *, icon: str, user: User | None) -> None:
    activite_ecrire(
        company=opp.company_id, client_id=opp.client_id, famille=FamilleActivite.OPPORTUNITE,
        summary=summary, params={"t": opp.title, **params}, icon=icon,
        url=opp.get_absolute_url(), objet=opp, user=user,
    )  # fmt: skip


def _assign(opp: Opportunite, fields: dict[str, Any]) -> None:
    unknown = set(fields) - OPPORTUNITE_FIELDS
    if unknown:
        raise DomainError(_("Champs inconnus : %(f)s") % {"f": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        if name in ("next_action",) and value is None:
            value = ""
        setattr(opp, name, value)


def _opportunite_valider(opp: Opportunite) -> None:
    problems: dict[str, list[str]] = {}
    try:
        opp.full_clean(exclude=["company", "etape", "client", "owner"], validate_unique=False)
    except ValidationError as exc:
        problems = {f: [m for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
    if opp.client_id and opp.client.company_id != opp.company_id:
        problems.setdefault("client", []).append(_("Client inconnu."))
    if opp.etape_id and opp.etape.company_id != opp.company_id:
        problems.setdefault("etape", []).append(_("Étape inconnue."))
    if opp.amount is not None and opp.amount < 0:
        problems.setdefault("amount", []).append(_("Le montant ne peut pas être négatif."))
    if problems:
        raise DomainError([m for ms in problems.values() for m in ms], field_errors=problems)


@transaction.atomic
def opportunite_creer(
    *, company: Company, fields: dict[str, Any], user: User | None = None
) -> Opportunite:
    """Creates an opportunity, in the first stage of the funnel unless one is given."""
    stages = etapes_par_defaut(company=company)
    opp = Opportunite(company=company)
    _assign(opp, fields)
    if not opp.etape_id:
        opp.etape = next(s for s in stages if not s.is_closing)
    _opportunite_valider(opp)
    if opp.etape.is_closing:
        raise DomainError(_("Une nouvelle opportunité commence dans une étape en cours."))
    opp.save()
    _passage(opp, from_etape=None, user=user)
    _feed(opp, gettext_noop("Opportunité « %(t)s » créée (%(a)s, %(e)s)"),
          {"a": format_eur(opp.amount), "e": opp.etape.name}, icon="funnel", user=user)  # fmt: skip
    return opp


@transaction.atomic
def opportunite_modifier(
    *, opportunite: Opportunite, fields: dict[str, Any], user: User | None = None
) -> Opportunite:
    """Changes an opportunity's fields; a change of stage goes through `opportunite_deplacer`."""
    fields = dict(fields)
    etape = fields.pop("etape", None)
    _assign(opportunite, fields)
    _opportunite_valider(opportunite)
    opportunite.save()
    if etape is not None and etape.pk != opportunite.etape_id:
        opportunite = opportunite_deplacer(opportunite=opportunite, etape=etape, user=user)
    return opportunite


@transaction.atomic
def opportunite_deplacer(
    *, opportunite: Opportunite, etape: Etape, user: User | None = None, reason: str = ""
) -> Opportunite:
    """Moves an opportunity to another stage of its company's funnel: a won stage wins it,
    a lost stage loses it (a reason is required), an open stage (re)opens it."""
    if etape.company_id != opportunite.company_id:
        raise DomainError(_("Étape inconnue."))
    opp = lock_draft(Opportunite, opportunite.pk, related=("etape",))
    if opp.etape_id == etape.pk:
        return opp
    if etape.is_lost and not reason.strip():
        raise DomainError(_("Indiquez pourquoi l'opportunité est perdue."))
    previous = opp.etape
    opp.etape = etape
    opp.stage_entered_at = timezone.now()
    if etape.is_won:
        opp.status, opp.closed_at, opp.close_reason = OpportuniteStatut.WON, timezone.now(), reason
        summary, icon = gettext_noop("Opportunité « %(t)s » gagnée (%(a)s)"), "trophy"
    elif etape.is_lost:
        opp.status, opp.closed_at = OpportuniteStatut.LOST, timezone.now()
        opp.close_reason = reason.strip()
        summary, icon = gettext_noop("Opportunité « %(t)s » perdue : %(r)s"), "x-circle"
    else:
        reopened = opp.status != OpportuniteStatut.OPEN
        opp.status, opp.closed_at, opp.close_reason = OpportuniteStatut.OPEN, None, ""
        summary = (
            gettext_noop("Opportunité « %(t)s » rouverte : %(p)s → %(e)s")
            if reopened
            else gettext_noop("Opportunité « %(t)s » : %(p)s → %(e)s")
        )
        icon = "arrow-right-circle"
    opp.save()
    _passage(opp, from_etape=previous, user=user)
    params = {"a": format_eur(opp.amount), "r": opp.close_reason, "p": previous.name,
              "e": etape.name}  # fmt: skip
    _feed(opp, summary, params, icon=icon, user=user)
    return opp


def _closing_stage(company_id: int, *, won: bool) -> Etape:
    stage = (
        Etape.objects.filter(company_id=company_id, **{"is_won" if won else "is_lost": True})
        .order_by("position", "pk")
        .first()
    )
    if stage is None:
        raise DomainError(
            _("Le tunnel n'a pas d'étape gagnée.")
            if won
            else _("Le tunnel n'a pas d'étape perdue.")
        )
    return stage


@transaction.atomic
def opportunite_gagner(
    *, opportunite: Opportunite, user: User | None = None, reason: str = ""
) -> Opportunite:
    """Marks an opportunity won (its company's first won stage); nothing if it already is.
    The quotes app calls it when a quote made from the opportunity is accepted."""
    if opportunite.status == OpportuniteStatut.WON:
        return opportunite
    stage = _closing_stage(opportunite.company_id, won=True)
    return opportunite_deplacer(opportunite=opportunite, etape=stage, user=user, reason=reason)


@transaction.atomic
def opportunite_perdre(*, opportunite: Opportunite, reason: str, user: User | None = None):
    """Marks an opportunity lost, with its reason."""
    stage = _closing_stage(opportunite.company_id, won=False)
    return opportunite_deplacer(opportunite=opportunite, etape=stage, user=user, reason=reason)


@transaction.atomic
def opportunite_proposer_perte(
    *, opportunite: Opportunite, reason: str, user: User | None = None
) -> Opportunite:
    """A quote made from the opportunity was refused or expired: the opportunity stays open,
    its next action becomes "confirm it is lost", and the feed says why. The user decides."""
    opp = lock_draft(Opportunite, opportunite.pk, related=("etape",))
    if opp.status != OpportuniteStatut.OPEN:
        return opp
    opp.next_action = (_("Confirmer la perte : %(r)s") % {"r": reason})[:200]
    opp.next_action_date = timezone.localdate()
    opp.save(update_fields=["next_action", "next_action_date"])
    _feed(opp, gettext_noop("Opportunité « %(t)s » : perte proposée (%(r)s)"), {"r": reason},
          icon="exclamation-triangle", user=user)  # fmt: skip
    return opp


# Activities -------------------------------------------------------------------------------

ACTIVITE_FIELDS = frozenset(
    {"kind", "subject", "body", "client", "opportunite", "due_date", "assignee"}
)
ACTIVITE_ICONS = {
    ActiviteKind.CALL: "telephone",
    ActiviteKind.EMAIL: "envelope",
    ActiviteKind.MEETING: "people",
    ActiviteKind.NOTE: "sticky",
    ActiviteKind.TASK: "check2-square",
}
ACTIVITE_SUMMARIES = {
    ActiviteKind.CALL: gettext_noop("Appel : %(s)s"),
    ActiviteKind.EMAIL: gettext_noop("E-mail : %(s)s"),
    ActiviteKind.MEETING: gettext_noop("Rendez-vous : %(s)s"),
    ActiviteKind.NOTE: gettext_noop("Note : %(s)s"),
    ActiviteKind.TASK: gettext_noop("Tâche : %(s)s"),
}


@transaction.atomic
def activite_creer(
    *, company: Company, fields: dict[str, Any], user: User | None = None
) -> Activite:
    """Records a call, email, meeting or note, or plans a task (a due date and an assignee)."""
    unknown = set(fields) - ACTIVITE_FIELDS
    if unknown:
        raise DomainError(_("Champs inconnus : %(f)s") % {"f": ", ".join(sorted(unknown))})
    activite = Activite(
        company=company, created_by=user if user and user.is_authenticated else None
    )
    for name, value in fields.items():
        setattr(activite, name, "" if value is None and name == "body" else value)
    problems = []
    client: Client | None = activite.client if activite.client_id else None
    if client is None or client.company_id != company.pk:
        problems.append(_("Choisissez un client."))
    if activite.opportunite_id and (
        activite.opportunite.company_id != company.pk
        or activite.opportunite.client_id != activite.client_id
    ):
        problems.append(_("Cette opportunité n'est pas celle de ce client."))
    if activite.kind == ActiviteKind.TASK and not activite.due_date:
        problems.append(_("Une tâche a une échéance."))
    if activite.kind not in ActiviteKind.values:
        problems.append(_("Type d'activité inconnu."))
    if not (activite.subject or "").strip():
        problems.append(_("Indiquez l'objet."))
    if problems:
        raise DomainError(problems)
    if activite.kind == ActiviteKind.TASK and activite.assignee_id is None:
        activite.assignee = activite.created_by
    if activite.kind != ActiviteKind.TASK:
        activite.done_at = timezone.now()
    activite.save()
    activite_ecrire(
        company=company, client_id=activite.client_id, famille=FamilleActivite.ACTIVITE,
        summary=ACTIVITE_SUMMARIES[ActiviteKind(activite.kind)], params={"s": activite.subject},
        icon=ACTIVITE_ICONS[ActiviteKind(activite.kind)],
        url=activite.client.get_absolute_url(), objet=activite, user=user,
    )  # fmt: skip
    return activite


@transaction.atomic
def activite_terminer(*, activite: Activite, user: User | None = None) -> Activite:
    """Marks a task done (nothing if it already is)."""
    task = lock_draft(Activite, activite.pk)
    if task.done_at is not None:
        return task
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    activite_ecrire(
        company=task.company_id, client_id=task.client_id, famille=FamilleActivite.ACTIVITE,
        summary=gettext_noop("Tâche faite : %(s)s"), params={"s": task.subject},
        icon="check2-circle", url=task.client.get_absolute_url(), objet=task, user=user,
    )  # fmt: skip
    return task


def rappels_du_jour(*, today) -> list[tuple[int, int]]:
    """(company, assignee) of the open tasks due `today` not yet reminded: one email each."""
    return list(
        Activite.objects.filter(
            kind=ActiviteKind.TASK, done_at__isnull=True, due_date=today,
            assignee__isnull=False, reminded_on__isnull=True,
        )
        .order_by("company_id", "assignee_id")
        .values_list("company_id", "assignee_id")
        .distinct()
    )  # fmt: skip


def rappel_taches_envoyer(*, company_id: int, user_id: int, today) -> int:
    """Emails a member the tasks due today: the tasks are claimed (`reminded_on`) and
    committed first, the email is sent with no lock held, and a failed send gives them back
    for the next try. Returns the number of tasks in the email."""
    with transaction.atomic():
        tasks = list(
            Activite.objects.select_for_update(skip_locked=True)
            .filter(
                company_id=company_id, assignee_id=user_id, kind=ActiviteKind.TASK,
                done_at__isnull=True, due_date=today, reminded_on__isnull=True,
            )
            .order_by("pk")
        )  # fmt: skip
        Activite.objects.filter(pk__in=[t.pk for t in tasks]).update(reminded_on=today)
    if not tasks:
        return 0
    user = User.objects.get(pk=user_id)
    company = Company.objects.get(pk=company_id)
    context = {
        "tasks": tasks,
        "company": company,
        "user": user,
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    try:
        send_mail(
            subject=render_to_string("crm/email/taches_subject.txt", context).strip(),
            message=render_to_string("crm/email/taches.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    except Exception:
        Activite.objects.filter(pk__in=[t.pk for t in tasks]).update(reminded_on=None)
        raise
    return len(tasks)
