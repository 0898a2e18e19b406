"""Reads of the e-invoicing platform, scoped to one company where a user reads them."""

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from facturation.models import Facture
from facturation.plateforme.models import (
    FINAL,
    CodeStatut,
    ConnexionPlateforme,
    EtatFactureRecue,
    EtatFlux,
    FactureRecue,
    Flux,
    StatutFacture,
    TypeFlux,
)
from pgi.models import Company

SWEEP_BATCH = 500
AMOUNT = DecimalField(max_digits=14, decimal_places=2)


# Where the list shows what happened rather than what is cashed: the owner has to act.
ALERTS = [CodeStatut.REJETEE, CodeStatut.REFUSEE, CodeStatut.EN_LITIGE]
A_CORRIGER = "a_corriger"


def _current(facture=None) -> QuerySet[StatutFacture]:
    """The latest status by the platform's date, "encaissée" aside (the seller's own): of
    `facture`, or of the invoice `OuterRef("pk")` (one definition for a row and a list)."""
    return (
        StatutFacture.objects.filter(facture=OuterRef("pk") if facture is None else facture)
        .exclude(code=CodeStatut.ENCAISSEE)
        .order_by("-at", "-pk")
    )


def with_statut_pa(qs: QuerySet[Facture]) -> QuerySet[Facture]:
    """Annotates `pa_code` (the current status, `statut_courant`), `pa_cashed` (the net amount
    reported "encaissée", corrections subtracted) and `pa_status`, what a list shows: a
    rejection, refusal or dispute first, then "encaissée" while something is reported cashed,
    else the current status; null for an invoice never sent. Two correlated subqueries, no
    query per row."""
    cashed = (
        StatutFacture.objects.filter(facture=OuterRef("pk"), code=CodeStatut.ENCAISSEE)
        .values("facture")
        .annotate(total=Sum(Cast(KeyTextTransform("amount", "detail"), AMOUNT)))
        .values("total")[:1]
    )
    return qs.annotate(
        pa_code=Subquery(_current().values("code")[:1]),
        pa_cashed=Subquery(cashed, output_field=AMOUNT),
    ).annotate(
        pa_status=Case(
            When(pa_code__in=ALERTS, then="pa_code"),
            When(pa_cashed__gt=0, then=Value(CodeStatut.ENCAISSEE.value)),
            default="pa_code",
            output_field=CharField(),
        )
    )


def a_corriger(qs: QuerySet[Facture]) -> QuerySet[Facture]:
    """Invoices of `with_statut_pa` whose current status is "rejetée" or "refusée" and that no
    issued credit note cancels yet: the owner corrects them (a credit note, a new invoice)."""
    # The few invoices that ever had a final status first (a semi-join), before the current
    # status of each is read: not a subquery for every invoice of the company.
    ever = StatutFacture.objects.filter(code__in=FINAL, facture__isnull=False)
    return (
        qs.filter(pk__in=ever.values("facture_id"))
        .filter(pa_code__in=FINAL)
        .exclude(credit_notes__status="emise")
    )


def libelle(code: str | None) -> str:
    return str(CodeStatut(code).label) if code in CodeStatut.values else ""


def statuts(facture: Facture) -> list[StatutFacture]:
    """The lifecycle of an invoice, in the platform's order (by date), whatever the arrival."""
    return list(StatutFacture.objects.filter(facture=facture).order_by("at", "pk"))


def statut_courant(facture: Facture) -> StatutFacture | None:
    """The latest status by the platform's date, "encaissée" aside (the seller's own)."""
    return _current(facture).first()


def flux_facture(facture: Facture) -> Flux | None:
    return Flux.objects.filter(facture=facture, kind=TypeFlux.INVOICE).first()


def flux_en_attente(*, before) -> list[int]:
    pending = Flux.objects.filter(state=EtatFlux.PENDING, created_at__lt=before).order_by(
        "created_at"
    )
    return list(pending.values_list("pk", flat=True)[:SWEEP_BATCH])


def connexions_actives() -> QuerySet[ConnexionPlateforme]:
    return ConnexionPlateforme.objects.filter(active=True).select_related("company")


def flux_a_interroger(*, since) -> QuerySet[Flux]:
    """Invoices submitted since `since` whose lifecycle may still move."""
    done = StatutFacture.objects.filter(code__in=FINAL).values("facture_id")
    return (
        Flux.objects.filter(kind=TypeFlux.INVOICE, state=EtatFlux.SUBMITTED,
                            submitted_at__gte=since)
        .exclude(facture_id__in=done)
        .select_related("company", "facture")[:SWEEP_BATCH]
    )  # fmt: skip


def flux_lister(*, company: Company, kind: str | None = None) -> QuerySet[Flux]:
    qs = Flux.objects.filter(company=company).select_related("facture", "facture_recue")
    return qs.filter(kind=kind) if kind else qs


def recues_lister(*, company: Company, state: str = "") -> QuerySet[FactureRecue]:
    qs = FactureRecue.objects.filter(company=company).select_related("duplicate_of")
    return qs.filter(state=state) if state else qs


def statuts_client(*, company: Company, client_id: int) -> QuerySet[StatutFacture]:
    """The customer's history of platform statuses, newest first."""
    return (
        StatutFacture.objects.filter(company=company, facture__client_id=client_id)
        .filter(~Q(facture=None))
        .select_related("facture")
        .order_by("-at", "-pk")[:30]
    )


def a_traiter(*, company: Company) -> dict:
    """What needs the owner on the platform: flows it did not accept, invoices whose current
    status is "rejetée" or "refusée" (a credit note to make), received invoices to decide."""
    problems = a_corriger(
        Facture.objects.filter(company=company, flux_pa__kind=TypeFlux.INVOICE).annotate(
            pa_code=Subquery(_current().values("code")[:1])
        )
    ).order_by("-issue_date", "-pk")
    return {
        "failed": list(Flux.objects.filter(company=company, state=EtatFlux.FAILED)
                       .select_related("facture")[:20]),
        "problems": list(problems[:20]),
        "to_decide": FactureRecue.objects.filter(company=company, state="recue").count(),
    }  # fmt: skip


def _count(qs: QuerySet) -> Coalesce:
    """The number of rows of `qs` (filtered on `company=OuterRef("pk")`), as a subquery."""
    counted = qs.order_by().values("company").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


def a_traiter_compte(*, company: Company) -> dict:
    """`a_traiter` as counts, in one query (the home dashboard's card): whether a platform is
    connected, flows it did not accept, invoices rejected (213) or refused (210) not yet
    credited, received invoices to decide."""
    sent = a_corriger(
        Facture.objects.filter(company=OuterRef("pk"), flux_pa__kind=TypeFlux.INVOICE).annotate(
            pa_code=Subquery(_current().values("code")[:1])
        )
    )
    return (
        Company.objects.filter(pk=company.pk)
        .annotate(
            connected=Exists(
                ConnexionPlateforme.objects.filter(company=OuterRef("pk"), active=True)
            ),
            failed=_count(Flux.objects.filter(company=OuterRef("pk"), state=EtatFlux.FAILED)),
            rejected=_count(sent.filter(pa_code=CodeStatut.REJETEE)),
            refused=_count(sent.filter(pa_code=CodeStatut.REFUSEE)),
            to_decide=_count(
                FactureRecue.objects.filter(company=OuterRef("pk"), state=EtatFactureRecue.RECEIVED)
            ),
        )
        .values("connected", "failed", "rejected", "refused", "to_decide")
        .get()
    )
