"""Which reminder each open invoice gets today: selection (one query per company) and
planning (pure functions, no query), shared by the daily run and the receivables list."""

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
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


def relances_planifier(*, company: Company, today: date) -> Plan:
    """Today's reminders of one company, with their invoices loaded (three queries)."""
    plan = relances_a_faire(today=today, company_ids=[company.pk])
    if not plan.actions:
        return plan
    ids = [action.facture.pk for action in plan.actions]
    factures = {
        f.pk: f
        for f in factures_ouvertes(company=company, today=today)
        .filter(pk__in=ids)
        .select_related("client", "company")
    }
    plan.actions = [
        Action(facture=factures[a.facture.pk], niveau=a.niveau)
        for a in plan.actions
        if a.facture.pk in factures
    ]
    return plan


# At scale: the daily run's selection over every company in one pass ----------------------


@dataclass(slots=True)
class Ouverte:
    """An open invoice as the planner reads it (the attributes of `with_dunning`)."""

    pk: int
    company_id: int
    due_date: date
    amount_due: object
    last_position: int
    in_collection: bool
    disputed: bool
    promised_until: date | None
    client_scenario: int | None
    do_not_dun: bool


def _sql(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.order_by().query.sql_with_params()
    return sql, tuple(params)


def ouvertes_toutes(*, today: date, company_ids: list[int] | None = None) -> list[Ouverte]:
    """Every open invoice with a due date, of every company (or of `company_ids`), with what
    dunning reads, in one query: the reductions of `with_amount_due` and the dunning rows
    grouped once and joined, instead of a correlated subquery per invoice (the dashboard's
    approach, `facturation.selectors.dashboard_figures`): bench/dunning.py."""
    from django.db import connection

    from facturation.selectors import CREDIT_NOTES, SETTLEMENTS

    def scoped(qs: QuerySet) -> QuerySet:
        return qs.filter(company_id__in=company_ids) if company_ids is not None else qs

    base = scoped(
        Facture.objects.filter(
            status=Status.ISSUED, kind__in=[Kind.INVOICE, Kind.DEPOSIT], due_date__isnull=False
        )
    ).values("id", "company_id", "client_id", "due_date", "total_incl_vat")
    sql, params = _sql(base)
    joins, minus = [], []
    for index, reduction in enumerate([CREDIT_NOTES, *SETTLEMENTS]):
        grouped = (
            scoped(reduction.rows()).values(reduction.key).annotate(total=Sum(reduction.amount))
        )
        rsql, more = _sql(grouped)
        joins.append(f'LEFT JOIN ({rsql}) AS r{index} ON r{index}."{reduction.key}" = f.id')
        minus.append(f" - COALESCE(r{index}.total, 0)")
        params += more
    collection = Case(When(nature=NatureNiveau.RECOUVREMENT, then=1), default=0)
    relances = (
        scoped(Relance.objects.all())
        .values("facture_id")
        .annotate(last=Max("position"), collection=Max(collection))
    )
    litiges = (
        scoped(Litige.objects.filter(resolved_at__isnull=True)).values("facture_id").distinct()
    )
    promesses = (
        scoped(PromessePaiement.objects.filter(date__gte=today))
        .values("facture_id")
        .annotate(until=Max("date"))
    )
    profils = scoped(ProfilRelance.objects.all()).values("client_id", "scenario_id", "do_not_dun")
    extra = []
    for name, qs in (("rel", relances), ("lit", litiges), ("pro", promesses)):
        xsql, more = _sql(qs)
        extra.append(f'LEFT JOIN ({xsql}) AS {name} ON {name}."facture_id" = f.id')
        params += more
    psql, more = _sql(profils)
    extra.append(f'LEFT JOIN ({psql}) AS prof ON prof."client_id" = f.client_id')
    params += more
    query = (
        "SELECT * FROM (SELECT f.id, f.company_id, f.due_date, "
        f"f.total_incl_vat{''.join(minus)} AS due, COALESCE(rel.last, 0), "
        "COALESCE(rel.collection, 0) = 1, lit.facture_id IS NOT NULL, pro.until, "
        "prof.scenario_id, COALESCE(prof.do_not_dun, false) "
        f"FROM ({sql}) AS f {' '.join(joins)} {' '.join(extra)}) AS o WHERE due > 0"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [Ouverte(*row) for row in cursor.fetchall()]


def scenarios_tous(company_ids: list[int] | None = None) -> dict[int, Scenarios]:
    """Every company's scenarios, in one query."""
    rows = NiveauRelance.objects.select_related("scenario").order_by("scenario_id", "position")
    if company_ids is not None:
        rows = rows.filter(company_id__in=company_ids)
    levels: dict[int, dict[int, list[NiveauRelance]]] = {}
    defaults: dict[int, int] = {}
    for level in rows:
        levels.setdefault(level.company_id, {}).setdefault(level.scenario_id, []).append(level)
        if level.scenario.is_default:
            defaults[level.company_id] = level.scenario_id
    return {
        company_id: Scenarios(default_id=defaults.get(company_id), levels=of_company)
        for company_id, of_company in levels.items()
    }


def relances_a_faire(*, today: date, company_ids: list[int] | None = None) -> Plan:
    """Today's reminders of every company (or of `company_ids`): two queries in all.
    The actions hold `Ouverte` rows, not invoices: `relances_planifier` loads the few due."""
    from encaissement.relances.scenario import default_levels

    scenarios = scenarios_tous(company_ids)
    plan = Plan(actions=[], skipped={})
    for row in ouvertes_toutes(today=today, company_ids=company_ids):
        reason = pause(row)  # type: ignore[arg-type]
        if reason is not None:
            plan.skipped[reason] = plan.skipped.get(reason, 0) + 1
            continue
        of_company = scenarios.get(row.company_id)
        if of_company is None:  # before the first run creates its default scenario
            levels = default_levels(Company(pk=row.company_id))
            of_company = scenarios[row.company_id] = Scenarios(default_id=0, levels={0: levels})
        level = niveau_du(row, of_company.of(row), today)  # type: ignore[arg-type]
        if level is not None:
            plan.actions.append(Action(facture=row, niveau=level))  # type: ignore[arg-type]
    return plan
