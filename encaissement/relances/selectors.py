"""The receivables list (créances): open invoices by state, with totals per state."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from encaissement.models import EtatRelance, Relance
from encaissement.relances.planning import factures_ouvertes
from facturation.models import Facture
from pgi.models import Company


@dataclass(frozen=True)
class Filtre:
    key: str
    label: object

    def q(self, today: date) -> Q:
        day = timedelta(days=1)
        match self.key:
            case "a_echoir":
                return Q(due_date__gte=today)
            case "retard_1_30":
                return Q(due_date__lt=today, due_date__gte=today - 30 * day)
            case "retard_31_60":
                return Q(due_date__lt=today - 30 * day, due_date__gte=today - 60 * day)
            case "retard_61_90":
                return Q(due_date__lt=today - 60 * day, due_date__gte=today - 90 * day)
            case "retard_90":
                return Q(due_date__lt=today - 90 * day)
            case "litige":
                return Q(disputed=True)
            case "promesse":
                return Q(promised_until__isnull=False)
            case "recouvrement":
                return Q(in_collection=True)
        return Q()


FILTRES = [
    Filtre("", _("Toutes")),
    Filtre("a_echoir", _("Non échues")),
    Filtre("retard_1_30", _("Retard 1-30 j")),
    Filtre("retard_31_60", _("Retard 31-60 j")),
    Filtre("retard_61_90", _("Retard 61-90 j")),
    Filtre("retard_90", _("Retard > 90 j")),
    Filtre("litige", _("En litige")),
    Filtre("promesse", _("Promesse de paiement")),
    Filtre("recouvrement", _("À recouvrer")),
]
FILTRES_PAR_CLE = {f.key: f for f in FILTRES}


def creances_lister(*, company: Company, today: date, filtre: str = "") -> QuerySet[Facture]:
    qs = factures_ouvertes(company=company, today=today).select_related("client")
    chosen = FILTRES_PAR_CLE.get(filtre, FILTRES[0])
    return qs.filter(chosen.q(today)).order_by("due_date", "number", "pk")


def creances_totaux(*, company: Company, today: date) -> dict[str, dict]:
    """Count and amount due per filter, in one query."""
    qs = factures_ouvertes(company=company, today=today)
    aggregates = {}
    for f in FILTRES:
        name = f.key or "tous"
        aggregates[f"{name}_n"] = Count("pk", filter=f.q(today))
        aggregates[f"{name}_s"] = Sum("amount_due", filter=f.q(today))
    row = qs.aggregate(**aggregates)
    return {
        f.key: {"count": row[f"{f.key or 'tous'}_n"], "amount": row[f"{f.key or 'tous'}_s"] or 0}
        for f in FILTRES
    }


EFFECTIVENESS_DAYS = 15


def efficacite_par_niveau(*, company: Company, days: int = EFFECTIVENESS_DAYS) -> list[dict]:
    """Per level: reminders done, and what was paid on their invoices within `days` days
    after each (payments dated from the reminder's day on), in one query."""
    window = Q(
        facture__affectations__paiement__date__gte=F("planned_for"),
        facture__affectations__paiement__date__lte=F("planned_for") + timedelta(days=days),
    )
    rows = (
        Relance.objects.filter(company=company)
        .exclude(state__in=[EtatRelance.PREVUE, EtatRelance.REFUSEE, EtatRelance.ENVOI])
        .values("niveau__position", "niveau__name")
        .annotate(
            count=Count("pk", distinct=True),
            paid=Sum("facture__affectations__amount", filter=window),
        )
        .order_by("niveau__position")
    )
    return [{"level": r["niveau__name"], "count": r["count"], "paid": r["paid"] or 0} for r in rows]
