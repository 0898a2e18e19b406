"""Reads on bank accounts and statement lines, always scoped to one company."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from encaissement.releves.models import CompteBancaire, LigneReleve, Releve, Suggestion
from facturation.models import Facture
from facturation.selectors import with_amount_due
from pgi.models import Company

# What the lines page shows per tab.
TABS = ("a_rapprocher", "sans_correspondance", "rapprochees", "ecartees")


def comptes_lister(*, company: Company) -> QuerySet[CompteBancaire]:
    return CompteBancaire.objects.for_company(company).annotate(
        open_lines=Count("lignes", filter=Q(lignes__status=LigneReleve.Status.OPEN))
    )


def releves_recents(*, company: Company, limit: int = 10) -> QuerySet[Releve]:
    return (
        Releve.objects.for_company(company)
        .filter(state=Releve.State.IMPORTED)
        .select_related("compte")
        .defer("content")[:limit]
    )


def suggestions_prefetch() -> list[Prefetch]:
    """Each line's suggestions, their customer, and their invoice with what is still due."""
    return [
        Prefetch("suggestions", queryset=Suggestion.objects.select_related("client")),
        Prefetch("suggestions__facture", queryset=with_amount_due(Facture.objects.all())),
    ]


def lignes_lister(
    *, company: Company, tab: str = "a_rapprocher", compte: CompteBancaire | None = None
) -> QuerySet[LigneReleve]:
    """`a_rapprocher`: open credit lines with suggestions; `sans_correspondance`: open lines
    nothing matched (debits included), to allocate by hand or dismiss."""
    qs = LigneReleve.objects.for_company(company).select_related(
        "compte", "paiement", "paiement__reversal"
    )
    if compte is not None:
        qs = qs.filter(compte=compte)
    if tab == "rapprochees":
        qs = qs.filter(status=LigneReleve.Status.MATCHED)
    elif tab == "ecartees":
        qs = qs.filter(status=LigneReleve.Status.DISMISSED)
    else:
        has = Suggestion.objects.filter(ligne=OuterRef("pk"))
        qs = qs.filter(status=LigneReleve.Status.OPEN)
        qs = qs.filter(Exists(has)) if tab == "a_rapprocher" else qs.exclude(Exists(has))
    return qs.prefetch_related(*suggestions_prefetch()).order_by("-booking_date", "-pk")


def compteurs(*, company: Company) -> dict[str, int]:
    """How many lines each tab holds (one query)."""
    has = Exists(Suggestion.objects.filter(ligne=OuterRef("pk")))
    open_ = Q(status=LigneReleve.Status.OPEN)
    return LigneReleve.objects.for_company(company).aggregate(
        a_rapprocher=Count("pk", filter=open_ & Q(has)),
        sans_correspondance=Count("pk", filter=open_ & ~Q(has)),
        rapprochees=Count("pk", filter=Q(status=LigneReleve.Status.MATCHED)),
        ecartees=Count("pk", filter=Q(status=LigneReleve.Status.DISMISSED)),
    )


def ligne_lire(*, company: Company, pk: int) -> LigneReleve:
    return (
        LigneReleve.objects.for_company(company)
        .select_related("compte", "releve", "paiement", "paiement__reversal")
        .prefetch_related(*suggestions_prefetch())
        .get(pk=pk)
    )
