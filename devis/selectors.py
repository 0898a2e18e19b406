"""Reads on quotes, always scoped to one company."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from devis.models import OPEN_STATES, Devis, EnvoiDevis, ParametresDevis, Statut
from pgi.models import Company
from pgi.money import ZERO


def devis_lire(*, company: Company, pk: int) -> Devis:
    return Devis.objects.select_related("client", "company", "origine").get(company=company, pk=pk)


def devis_lister(
    *, company: Company, status: str = "", client: str = "", start: date | None = None,
    end: date | None = None,
) -> QuerySet[Devis]:  # fmt: skip
    """The quotes of the company, newest first, filtered by state, customer and period (the
    date sent, or made for a draft)."""
    query = Devis.objects.filter(company=company).select_related("client")
    if status:
        query = query.filter(status=status)
    if client.isdigit():
        query = query.filter(client_id=int(client))
    elif client:
        query = query.filter(client__name__icontains=client)
    if start:
        query = query.filter(
            Q(issue_date__gte=start) | Q(issue_date=None, created_at__date__gte=start)
        )
    if end:
        query = query.filter(Q(issue_date__lte=end) | Q(issue_date=None, created_at__date__lte=end))
    return query.order_by("-created_at", "-pk")


@dataclass(frozen=True)
class Synthese:
    signed: Decimal  # accepted this month (excl. VAT)
    pending: Decimal  # sent or viewed, still open
    lost: Decimal  # refused or expired this month


def devis_synthese(*, company: Company, today: date) -> Synthese:
    """This month's amounts excl. VAT: signed, pending (all open ones), lost."""
    first = today.replace(day=1)
    amount = Coalesce(Sum("total_excl_vat"), ZERO)
    base = Devis.objects.filter(company=company)
    month = Q(answered_at__date__gte=first) | Q(
        status=Statut.EXPIRED, valid_until__gte=first - timedelta(days=1)
    )
    return Synthese(
        signed=base.filter(status__in=(Statut.ACCEPTED, Statut.INVOICED))
        .filter(answered_at__date__gte=first)
        .aggregate(a=amount)["a"],
        pending=base.filter(status__in=OPEN_STATES).aggregate(a=amount)["a"],
        lost=base.filter(status__in=(Statut.REFUSED, Statut.EXPIRED))
        .filter(month)
        .aggregate(a=amount)["a"],
    )


def devis_a_expirer(*, today: date) -> list[int]:
    return list(
        Devis.objects.filter(status__in=OPEN_STATES, valid_until__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def devis_a_rappeler(*, today: date) -> list[int]:
    """Open quotes whose reminder is due: validity ends within the company's reminder days
    (none when it is 0), not yet reminded."""
    due = []
    query = (
        Devis.objects.filter(status__in=OPEN_STATES, reminder_sent_at=None, valid_until__gte=today)
        .exclude(client__email="")
        .values_list("pk", "valid_until", "company_id")
    )
    days = dict(ParametresDevis.objects.values_list("company_id", "reminder_days"))
    for pk, valid_until, company_id in query:
        reminder = days.get(company_id, ParametresDevis._meta.get_field("reminder_days").default)
        if reminder and valid_until - timedelta(days=reminder) <= today:
            due.append(pk)
    return due


def envois_en_attente(*, before: datetime, now: datetime) -> list[int]:
    from devis.tasks import CLAIM_EXPIRY

    return list(
        EnvoiDevis.objects.filter(sent_at=None, created_at__lt=before)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_EXPIRY))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class SignesEnvoyes:
    sent: int
    sent_amount: Decimal
    signed: int
    signed_amount: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Signed ÷ sent, in %; None when nothing was sent."""
        return (
            (Decimal(self.signed) * 100 / self.sent).quantize(Decimal("1")) if self.sent else None
        )


def devis_signes_envoyes(*, company: Company, start: date, end: date) -> SignesEnvoyes:
    """Quotes sent over the period (a version replaced by a later one not counted twice) and
    quotes signed over it (accepted, or invoiced since), count and amount excl. VAT, for the
    sales dashboard (issue #19). One query."""
    sent = Q(sent_at__date__range=(start, end)) & ~Q(status=Statut.SUPERSEDED)
    signed = Q(answered_at__date__range=(start, end), status__in=(Statut.ACCEPTED, Statut.INVOICED))
    row = Devis.objects.filter(company=company).aggregate(
        sent=Count("pk", filter=sent),
        sent_amount=Coalesce(Sum("total_excl_vat", filter=sent), ZERO),
        signed=Count("pk", filter=signed),
        signed_amount=Coalesce(Sum("total_excl_vat", filter=signed), ZERO),
    )
    return SignesEnvoyes(**row)
