"""E-reporting (LEGAL.md §3): what is not e-invoiced is reported to the administration through
the same platform, as periodic aggregates: sales to private customers and international sales
(transactions), and the payments of private customers for services (whose VAT is due when
cashed). The period follows the VAT regime: a month under the normal regime (real VAT), two
months under the franchise (simplified here; the platform dates each transmission).

Payments are `encaissement`'s: it registers a source here from its `AppConfig.ready`."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from facturation.models import Facture, Kind, Status
from facturation.plateforme.models import Flux, TypeFlux
from facturation.plateforme.services import connexion_active, flux_publier, is_e_invoiced
from pgi.models import Company, VatRegime
from pgi.totals import compute_totals

FLOW_TRANSACTIONS = "AggregatedCustomerTransactionReport"
FLOW_PAYMENTS = "AggregatedCustomerPaymentReport"


@dataclass(frozen=True)
class Periode:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}" + (
            f"/{self.end:%m}" if self.end.month != self.start.month else ""
        )


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def periode_precedente(company: Company, today: date) -> Periode:
    """The last complete period of `company`'s calendar before `today`: the previous month,
    or under the franchise the previous two-month block (January-February, March-April...)."""
    end = _month_start(today) - timedelta(days=1)
    if company.vat_regime != VatRegime.FRANCHISE:
        return Periode(_month_start(end), end)
    if end.month % 2:  # the block of `end` is not over yet: the one before
        end = _month_start(end) - timedelta(days=1)
    return Periode(_month_start(end, 1), end)


def _category(buyer: dict) -> str:
    country = (buyer.get("address", {}).get("country") or "FR").upper()
    return "international" if country != "FR" else "b2c"


def transactions(company: Company, periode: Periode) -> list[dict]:
    """Sales not e-invoiced, per category (b2c, international) and VAT rate."""
    sums: dict[tuple[str, str], dict[str, Decimal | int]] = defaultdict(
        lambda: {"base": Decimal("0"), "vat": Decimal("0"), "count": 0}
    )
    factures = Facture.objects.filter(
        company=company, status=Status.ISSUED, issue_date__gte=periode.start,
        issue_date__lte=periode.end,
    ).prefetch_related("lines")  # fmt: skip
    for facture in factures:
        if is_e_invoiced(facture.buyer or {}):
            continue
        sign = -1 if facture.kind == Kind.CREDIT_NOTE else 1
        key_category = _category(facture.buyer or {})
        for part in compute_totals(list(facture.lines.all())).breakdown:
            row = sums[(key_category, format(part.rate, "f"))]
            row["base"] += sign * part.base
            row["vat"] += sign * part.vat
            row["count"] += 1
    return [
        {"category": category, "rate": rate, "base": str(row["base"]), "vat": str(row["vat"]),
         "count": row["count"]}
        for (category, rate), row in sorted(sums.items())
    ]  # fmt: skip


# Payments: (company, period) -> [{"date", "rate", "amount"}] of private customers' payments
# of services, registered by encaissement.
PaymentSource = Callable[[Company, Periode], list[dict]]
PAYMENT_SOURCES: list[PaymentSource] = []


def register_payment_source(source: PaymentSource) -> PaymentSource:
    PAYMENT_SOURCES.append(source)
    return source


def paiements(company: Company, periode: Periode) -> list[dict]:
    sums: dict[str, Decimal] = defaultdict(lambda: Decimal("0"))
    for source in PAYMENT_SOURCES:
        for row in source(company, periode):
            sums[row["rate"]] += Decimal(row["amount"])
    return [{"rate": rate, "amount": str(amount)} for rate, amount in sorted(sums.items())]


@transaction.atomic
def ereporting_transmettre(*, company: Company, periode: Periode) -> list[Flux]:
    """Computes the period's aggregates and queues them for the platform, once per period
    and kind (a second call returns what was queued)."""
    if connexion_active(company) is None:
        return []
    result = []
    for name, flow_type, rows in (
        ("transactions", FLOW_TRANSACTIONS, transactions(company, periode)),
        ("paiements", FLOW_PAYMENTS, paiements(company, periode)),
    ):
        payload = {
            "flow_type": flow_type, "siren": company.siren, "report": name,
            "period": {"start": periode.start.isoformat(), "end": periode.end.isoformat()},
            "vat_regime": company.vat_regime, "rows": rows,
        }  # fmt: skip
        flux, created = Flux.objects.get_or_create(
            company=company, key=f"ereporting:{name}:{periode.start:%Y-%m}",
            defaults={"kind": TypeFlux.EREPORTING, "payload": payload},
        )  # fmt: skip
        if created:
            flux_publier(flux)
        result.append(flux)
    return result
