"""Reads on the books: entries, accounts' balances, lettrage, VAT due."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from comptabilite.livres.models import Ecriture, Lettrage, LigneEcriture, Role
from comptabilite.models import ClotureKind
from comptabilite.selectors import Period, fiscal_year_start, period_of, premier_exercice
from facturation.models import Facture
from pgi.models import Company
from pgi.money import ZERO

PARTIAL = "partiel"


def lettrage_etat(*, company: Company, facture: Facture) -> str:
    """The invoice's letter once fully settled, "partiel" when partly settled, "" else."""
    lettrage = Lettrage.objects.filter(company=company, facture=facture).first()
    if lettrage is not None:
        return lettrage.letter
    count = LigneEcriture.objects.filter(
        company=company, facture=facture, role=Role.CUSTOMER
    ).count()
    return PARTIAL if count > 1 else ""


def ecriture_lister(*, company: Company, journal: str = "") -> QuerySet[Ecriture]:
    qs = Ecriture.objects.filter(company=company).prefetch_related("lignes")
    if journal:
        qs = qs.filter(journal=journal)
    return qs.order_by("-date", "-journal", "-number")


def solde_client_comptable(*, company: Company, client_id: int) -> Decimal:
    """What the customer's auxiliary 411 account says it owes (negative: its credit)."""
    totals = LigneEcriture.objects.filter(
        company=company, role=Role.CUSTOMER, aux=f"C{client_id:06d}"
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)


def grand_livre(*, company: Company, start, end) -> list[dict]:
    """Per account (and auxiliary account): debit, credit and balance of the period."""
    rows = (
        LigneEcriture.objects.filter(company=company, ecriture__date__range=(start, end))
        .values("account", "account_label", "aux", "aux_label")
        .annotate(debit=Sum("debit"), credit=Sum("credit"), lines=Count("id"))
        .order_by("account", "aux")
    )
    return [{**row, "balance": row["debit"] - row["credit"]} for row in rows]


def exercices(*, company: Company, today: date) -> list[Period]:
    """The fiscal years from the first one (declared, or the first entry's, or today's) to
    today's, oldest first."""
    first = (
        Ecriture.objects.filter(company=company).order_by("date").values_list("date", flat=True)
    ).first() or today
    if (declared := premier_exercice(company)) is not None:
        first = min(first, declared.start)
    periods = []
    start = fiscal_year_start(company, min(first, today))
    while start <= today:
        period = period_of(company=company, kind=ClotureKind.FISCAL_YEAR, period_start=start)
        periods.append(period)
        start = period.end + date.resolution
    return periods
