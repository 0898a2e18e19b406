"""VAT due for a period, as the owner copies it into the CA3 return, read from the entries.

The entries already place each VAT amount on the day it is due (CGI art. 269): goods, and
services under the debits option, on the invoice's day (44571); services otherwise on the
day they are paid, when the payment moves their VAT from 44574 to 44571. So the VAT due of a
period is what 44571 received in it, per rate, with the base each line carries; zero-rated
sales (intra-EU, exports, exemptions) go in their own boxes. A company under the franchise
(CGI art. 293 B) collects no VAT: it sees its turnover against the thresholds instead.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from comptabilite.livres.models import LigneEcriture, Role
from pgi.models import Company, VatRegime
from pgi.money import ZERO

# CGI art. 293 B, thresholds for 2025-2026 (loi de finances 2025, art. 30 suspended, then
# kept by the LF 2026): the base threshold and the one past which VAT is due at once.
FRANCHISE_THRESHOLDS = {
    "bien": (Decimal("85000"), Decimal("93500")),
    "service": (Decimal("37500"), Decimal("41250")),
}
# The boxes of the CA3 return (formulaire 3310-CA3) for the taxable bases per rate.
RATE_BOXES = {"20.00": "08", "10.00": "9B", "5.50": "09"}


@dataclass(frozen=True)
class TauxDu:
    rate: Decimal
    base: Decimal
    vat: Decimal
    box: str


@dataclass
class TvaDue:
    start: date
    end: date
    regime: str
    rates: list[TauxDu] = field(default_factory=list)
    # Zero-rated operations, in their own boxes: (label key, base)
    intra_eu_goods: Decimal = ZERO  # F2: livraisons intracommunautaires
    intra_eu_services: Decimal = ZERO  # E2: prestations à un assujetti d'un autre État (autoliq.)
    exports: Decimal = ZERO  # E1: exportations hors UE
    exempt: Decimal = ZERO  # E2: autres opérations non imposables
    franchise: dict | None = None

    @property
    def total_base(self) -> Decimal:
        return sum((r.base for r in self.rates), ZERO)

    @property
    def total_vat(self) -> Decimal:
        return sum((r.vat for r in self.rates), ZERO)

    @property
    def taxable_sales(self) -> Decimal:
        """Line A1: sales and services taxable in France, excluding VAT."""
        return self.total_base


def _sales(company: Company, start: date, end: date) -> dict[str, Decimal]:
    """Credit minus debit of the sales lines of the period, per account key."""
    rows = (
        LigneEcriture.objects.filter(
            company=company, role=Role.SALES, ecriture__date__range=(start, end)
        )
        .values_list("key")
        .annotate(amount=Sum("credit") - Sum("debit"))
    )
    return dict(rows)


def tva_due(*, company: Company, start: date, end: date) -> TvaDue:
    """The VAT due for the month or quarter from `start` to `end` (inclusive)."""
    due = TvaDue(start=start, end=end, regime=company.vat_regime)
    if company.vat_regime == VatRegime.FRANCHISE:
        due.franchise = franchise_suivi(company=company, year=end.year)
        return due
    rows = (
        LigneEcriture.objects.filter(
            company=company, role=Role.VAT, ecriture__date__range=(start, end)
        )
        .values_list("rate")
        .annotate(vat=Sum("credit") - Sum("debit"), base=Sum("base"))
        .order_by("-rate")
    )
    for rate, vat, base in rows:
        if vat or base:
            key = format(rate, "f")
            due.rates.append(
                TauxDu(rate=rate, base=base or ZERO, vat=vat, box=RATE_BOXES.get(key, ""))
            )
    for key, amount in _sales(company, start, end).items():
        kind, _sep, suffix = key.partition(":")
        if suffix == "ue":
            if kind == "vente_bien":
                due.intra_eu_goods += amount
            else:
                due.intra_eu_services += amount
        elif suffix == "export":
            due.exports += amount
        elif Decimal(suffix) == ZERO:
            due.exempt += amount
    return due


def franchise_suivi(*, company: Company, year: int) -> dict:
    """Turnover of the calendar year, goods and services, against the 293 B thresholds."""
    turnover: dict[str, Decimal] = defaultdict(Decimal)
    for key, amount in _sales(company, date(year, 1, 1), date(year, 12, 31)).items():
        turnover["bien" if key.startswith("vente_bien") else "service"] += amount
    return {
        nature: {
            "turnover": turnover[nature],
            "threshold": base,
            "upper_threshold": upper,
            "over": turnover[nature] > base,
            "over_upper": turnover[nature] > upper,
            "percent": int(turnover[nature] * 100 / base) if base else 0,
        }
        for nature, (base, upper) in FRANCHISE_THRESHOLDS.items()
    }


def tva_due_par_taux(*, company: Company, start: date, end: date) -> list[dict]:
    """The rows the dashboards show (comptabilite.tableaux.registry): rate, base, VAT."""
    due = tva_due(company=company, start=start, end=end)
    return [{"rate": r.rate, "base": r.base, "vat": r.vat} for r in due.rates]
