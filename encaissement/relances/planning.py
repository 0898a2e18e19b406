"""Which reminder each open invoice gets today: selection (one query per company) and
planning (pure functions, no query), shared by the daily run and the receivables list."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from encaissement.models import (
    Litige,
    NatureNiveau,
    NiveauRelance,
    ProfilRelance,
    PromessePaiement,
    Relance,
)
from encaissement.relances.calendrier import send_date
from facturation.models import Facture, Kind, Status
from facturation.selectors import with_amount_due
from pgi.models import Company


class Pause:
    """Why an open invoice gets no reminder (None: it follows its scenario)."""

    DISPUTED = "litige"
    PROMISED = "promesse"
    DO_NOT_DUN = "ne_pas_relancer"


def with_dunning(qs: QuerySet[Facture], *, today: date) -> QuerySet[Facture]:
    """Annotates what dunning reads on each invoice: the last level done (`last_position`,
    0 for none), an open dispute, a promise still running, the customer's scenario and its
    "ne pas relancer" flag."""
    relances = Relance.objects.filter(facture=OuterRef("pk")).order_by().values("facture")
    profile = ProfilRelance.objects.filter(client=OuterRef("client_id"))
    return qs.annotate(
        last_position=Coalesce(
            Subquery(relances.annotate(m=Max("position")).values("m")[:1]),
            Value(0),
            output_field=IntegerField(),
        ),
        in_collection=Exists(
            Relance.objects.filter(facture=OuterRef("pk"), nature=NatureNiveau.RECOUVREMENT)
        ),
        disputed=Exists(Litige.objects.filter(facture=OuterRef("pk"), resolved_at__isnull=True)),
        promised_until=Subquery(
            PromessePaiement.objects.filter(facture=OuterRef("pk"), date__gte=today)
            .order_by("-date")
            .values("date")[:1]
        ),
        client_scenario=Subquery(profile.values("scenario_id")[:1]),
        do_not_dun=Coalesce(Subquery(profile.values("do_not_dun")[:1]), Value(False)),
    )


def factures_ouvertes(*, company: Company, today: date) -> QuerySet[Facture]:
    """Issued invoices (deposit invoices included) with something still owed and a due date."""
    qs = Facture.objects.filter(
        company=company, status=Status.ISSUED, kind__in=[Kind.INVOICE, Kind.DEPOSIT],
        due_date__isnull=False,
    )  # fmt: skip
    return with_dunning(with_amount_due(qs), today=today).filter(amount_due__gt=0)


@dataclass(frozen=True)
class Scenarios:
    """A company's scenarios and their levels, loaded once (one query) for all its invoices."""

    default_id: int | None  # 0: the default scenario, not created yet
    levels: dict[int, list[NiveauRelance]]

    @classmethod
    def load(cls, company: Company) -> "Scenarios":
        levels: dict[int, list[NiveauRelance]] = {}
        default_id = None
        rows = NiveauRelance.objects.filter(company=company).select_related("scenario")
        for level in rows.order_by("scenario_id", "position"):
            levels.setdefault(level.scenario_id, []).append(level)
            if level.scenario.is_default:
                default_id = level.scenario_id
        if not levels:
            # Before the first run creates it (a GET never writes): the default scenario's
            # levels, unsaved, so the next action is shown all the same.
            from encaissement.relances.scenario import default_levels

            return cls(default_id=0, levels={0: default_levels(company)})
        return cls(default_id=default_id, levels=levels)

    def of(self, facture: Facture) -> list[NiveauRelance]:
        scenario = getattr(facture, "client_scenario", None)
        return self.levels.get(scenario, []) if scenario else self.levels.get(self.default_id, [])


def pause(facture: Facture) -> str | None:
    if facture.disputed:
        return Pause.DISPUTED
    if facture.do_not_dun:
        return Pause.DO_NOT_DUN
    if facture.promised_until is not None:
        return Pause.PROMISED
    return None


def _sendable(level: NiveauRelance, facture: Facture, today: date) -> bool:
    # A courtesy reminder speaks of a coming due date: never sent once it has passed.
    if level.nature == NatureNiveau.COURTOISIE and today > facture.due_date:
        return False
    return send_date(facture.due_date, level.delay_days) <= today


def niveau_du(facture: Facture, levels: list[NiveauRelance], today: date) -> NiveauRelance | None:
    """The level to send today, if any: the highest one whose date has come among those after
    the last one done (earlier ones missed meanwhile are not sent late)."""
    due = [
        level
        for level in levels
        if level.position > facture.last_position and _sendable(level, facture, today)
    ]
    return due[-1] if due else None


def prochain_niveau(
    facture: Facture, levels: list[NiveauRelance], today: date
) -> tuple[NiveauRelance, date] | None:
    """The next level this invoice will get and when (today if it is due now)."""
    now = niveau_du(facture, levels, today)
    if now is not None:
        return now, today
    for level in levels:
        if level.position <= facture.last_position:
            continue
        if level.nature == NatureNiveau.COURTOISIE and today > facture.due_date:
            continue
        return level, send_date(facture.due_date, level.delay_days)
    return None


def niveau_suivant(facture: Facture, levels: list[NiveauRelance], today: date):
    """The level "Relancer maintenant" sends: the one due, else the next one after the last
    done (a courtesy reminder only before the due date)."""
    found = prochain_niveau(facture, levels, today)
    return found[0] if found else None


@dataclass(frozen=True)
class Action:
    facture: Facture
    niveau: NiveauRelance


@dataclass
class Plan:
    actions: list[Action]
    skipped: dict[str, int]


def relances_planifier(*, company: Company, today: date, scenarios: Scenarios | None = None,
                       invoices: QuerySet[Facture] | None = None) -> Plan:  # fmt: skip
    """Today's reminders of one company: two queries whatever its number of invoices."""
    scenarios = scenarios or Scenarios.load(company)
    qs = invoices if invoices is not None else factures_ouvertes(company=company, today=today)
    plan = Plan(actions=[], skipped={})
    for facture in qs.select_related("client", "company").order_by("due_date", "pk"):
        reason = pause(facture)
        if reason is not None:
            plan.skipped[reason] = plan.skipped.get(reason, 0) + 1
            continue
        level = niveau_du(facture, scenarios.of(facture), today)
        if level is not None:
            plan.actions.append(Action(facture=facture, niveau=level))
    return plan


def open_filter() -> Q:
    return Q(status=Status.ISSUED, kind__in=[Kind.INVOICE, Kind.DEPOSIT])
