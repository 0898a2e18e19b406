"""VAT due for a period, as the owner copies it into the CA3 return, read from the entries.

The entries already place each VAT amount on the day it is due (CGI art. 269): goods, and
services under the debits option, on the invoice's day (44571); services otherwise on the
day they are paid, when the payment moves their VAT from 44574 to 44571. So the VAT due of a
period is what 44571 received in it, per rate, with the base each line carries; zero-rated
sales (intra-EU, exports, exemptions) go in their own lines. A company under the franchise
(CGI art. 293 B) collects no VAT: it sees its turnover against the thresholds instead.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from comptabilite.livres.models import LigneEcriture, Role
from pgi.models import Company, VatRegime
from pgi.money import ZERO

# The lines of the CA3 return (formulaire n° 3310-CA3-SD) this page fills in, by code.
# Cadre A: A1 taxable sales and services (bases excl. VAT); E1 exports outside the EU; E2
# other non-taxable operations, which include services to a taxable person of another EU
# State who self-assesses the VAT (CGI art. 259-1°, also declared on the DES); F2 intra-EU
# deliveries of goods to a taxable person (CGI art. 262 ter I). Cadre B: base and VAT per
# rate, 08 (20 %), 9B (10 %), 09 (5,5 %), T6 (2,1 % in mainland France; the form in force
# has no line 14 and no 3310-A count for it any more), as on the 2026 form.
CA3_LINES = {
    "A1": _("Ventes, prestations de services"),
    "E1": _("Exportations hors UE"),
    "E2": _("Autres opérations non imposables"),
    "F2": _("Livraisons intracommunautaires à destination d'une personne assujettie"),
    "08": _("Taux normal 20 %"),
    "9B": _("Taux réduit 10 %"),
    "09": _("Taux réduit 5,5 %"),
    "T6": _("Taux de 2,1 % (France continentale)"),
}
RATE_LINES = {"20.00": "08", "10.00": "9B", "5.50": "09", "2.10": "T6"}

# CGI art. 293 B, by the first calendar year they apply to: (base, upper) for the whole
# turnover, and for the services in it (other than sales to eat on the spot and lodging).
# The base threshold is read on the year's turnover (over it: VAT from 1 January of the
# next year); the upper one during the year (over it: VAT due at once). 2023-2024: loi de
# finances 2023 (three-yearly update). From 2025: loi de finances 2025 of February 2025; its
# single 25,000 € threshold was suspended, then repealed by loi n° 2025-1044 of 3 November 2025;
# the 2026 budget's article 25 (37,500 € for all, 25,000 € for building works) was struck
# out by the Assemblée on 20 November 2025. A new law adds a row here.
FRANCHISE_THRESHOLDS: tuple[tuple[int, dict[str, tuple[Decimal, Decimal]]], ...] = (
    (
        2023,
        {
            "total": (Decimal("91900"), Decimal("101000")),
            "service": (Decimal("36800"), Decimal("39100")),
        },
    ),
    (
        2025,
        {
            "total": (Decimal("85000"), Decimal("93500")),
            "service": (Decimal("37500"), Decimal("41250")),
        },
    ),
)


def franchise_thresholds(year: int) -> dict[str, tuple[Decimal, Decimal]]:
    """The 293 B thresholds for the turnover of `year` (the earliest row before 2023)."""
    current = FRANCHISE_THRESHOLDS[0][1]
    for first_year, thresholds in FRANCHISE_THRESHOLDS:
        if first_year <= year:
            current = thresholds
    return current


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
    # Zero-rated operations, on their own lines of the return
    intra_eu_goods: Decimal = ZERO  # F2: livraisons intracommunautaires
    intra_eu_services: Decimal = ZERO  # in E2: services to an EU taxable person (reverse charge)
    exports: Decimal = ZERO  # E1: exportations hors UE
    exempt: Decimal = ZERO  # in E2: exempt operations
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

    @property
    def other_non_taxable(self) -> Decimal:
        """Line E2: exempt operations and services to an EU taxable person, together."""
        return self.intra_eu_services + self.exempt

    def ca3_rows(self) -> list[dict]:
        """The lines to copy, in the return's order: code, label, base and VAT (or None).
        A1 is always shown; the zero-rated lines when they hold something; a rate without a
        line of its own (none today) keeps an empty code."""
        rows = [{"code": "A1", "label": CA3_LINES["A1"], "base": self.taxable_sales, "vat": None}]
        for code, amount in (
            ("E1", self.exports),
            ("E2", self.other_non_taxable),
            ("F2", self.intra_eu_goods),
        ):
            if amount:
                rows.append({"code": code, "label": CA3_LINES[code], "base": amount, "vat": None})
        for r in self.rates:
            rate = format(r.rate.normalize(), "f").replace(".", ",")
            label = CA3_LINES.get(r.box) or _("Taux %(rate)s %%") % {"rate": rate}
            rows.append({"code": r.box, "label": label, "base": r.base, "vat": r.vat})
        return rows


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
                TauxDu(rate=rate, base=base or ZERO, vat=vat, box=RATE_LINES.get(key, ""))
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
    """Turnover of the calendar year, whole and services, against the 293 B thresholds."""
    turnover: dict[str, Decimal] = defaultdict(Decimal)
    for key, amount in _sales(company, date(year, 1, 1), date(year, 12, 31)).items():
        turnover["total"] += amount
        if not key.startswith("vente_bien"):
            turnover["service"] += amount
    return {
        nature: {
            "turnover": turnover[nature],
            "threshold": base,
            "upper_threshold": upper,
            "over": turnover[nature] > base,
            "over_upper": turnover[nature] > upper,
            "percent": int(turnover[nature] * 100 / base) if base else 0,
        }
        for nature, (base, upper) in franchise_thresholds(year).items()
    }


def tva_due_par_taux(*, company: Company, start: date, end: date) -> list[dict]:
    """The rows the dashboards show (comptabilite.tableaux.registry): rate, base, VAT."""
    due = tva_due(company=company, start=start, end=end)
    return [{"rate": r.rate, "base": r.base, "vat": r.vat} for r in due.rates]
