"""Reads of the e-invoicing platform, scoped to one company where a user reads them."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from facturation.models import Facture
from facturation.plateforme.models import (
    CodeStatut,
    ConnexionPlateforme,
    EtatFlux,
    FactureRecue,
    Flux,
    StatutFacture,
    TypeFlux,
)
from pgi.models import Company

SWEEP_BATCH = 500
# After these, nothing more is expected of the platform on a sent invoice.
FINAL = [CodeStatut.REJETEE, CodeStatut.REFUSEE]


def statuts(facture: Facture) -> list[StatutFacture]:
    """The lifecycle of an invoice, in the platform's order (by date), whatever the arrival."""
    return list(StatutFacture.objects.filter(facture=facture).order_by("at", "pk"))


def statut_courant(facture: Facture) -> StatutFacture | None:
    """The latest status by the platform's date, "encaissée" aside (the seller's own)."""
    return (
        StatutFacture.objects.filter(facture=facture)
        .exclude(code=CodeStatut.ENCAISSEE)
        .order_by("-at", "-pk")
        .first()
    )


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
    latest = (
        StatutFacture.objects.filter(facture=OuterRef("pk"))
        .exclude(code=CodeStatut.ENCAISSEE)
        .order_by("-at", "-pk")
        .values("code")[:1]
    )
    problems = (
        Facture.objects.filter(company=company, flux_pa__kind=TypeFlux.INVOICE)
        .annotate(pa_code=Subquery(latest))
        .filter(pa_code__in=FINAL)
        .exclude(credit_notes__status="emise")
        .order_by("-issue_date", "-pk")
    )
    return {
        "failed": list(Flux.objects.filter(company=company, state=EtatFlux.FAILED)
                       .select_related("facture")[:20]),
        "problems": list(problems[:20]),
        "to_decide": FactureRecue.objects.filter(company=company, state="recue").count(),
    }  # fmt: skip
