"""Which account each kind of amount goes to: French chart of accounts (PCG) defaults, which
the accountant may change per company (`CompteComptable`).

A key names what an amount is, never a number: `client`, `acompte`, `banque`,
`vente_service:20.00` (services sold at 20 %), `vente_bien:ue` (goods delivered to a business
in another EU country), `tva:5.50` (output VAT at 5.5 %), `tva_attente:20.00` (VAT on services
invoiced, due when cashed: CGI art. 269-2 c).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from comptabilite.livres.models import CompteComptable
from pgi.models import Company

# Rates offered by the product (pgi.lignes.VatRate), for the mapping page.
RATES = ("20.00", "10.00", "8.50", "5.50", "2.10", "0.00")
# Zero-rated sales that go in their own accounts and their own boxes of the return.
SPECIAL_CASES = ("ue", "export")


@dataclass(frozen=True)
class Compte:
    number: str
    label: str


def rate_key(rate: Decimal | str) -> str:
    return format(Decimal(rate).quantize(Decimal("0.01")), "f")


def _rate_code(rate: str) -> str:
    """20.00 -> 200, 5.50 -> 055, 2.10 -> 021: the sub-account of a rate."""
    return f"{round(Decimal(rate) * 10):03d}"


def _percent(rate: str) -> str:
    return f"{Decimal(rate).normalize():f}".replace(".", ",") + " %"


def default_account(key: str) -> Compte:
    """The PCG account of a key (LEGAL.md §5: 411, 4191, 512, 706/707, 44571)."""
    kind, _sep, rate = key.partition(":")
    match kind:
        case "client":
            return Compte("411000", _("Clients"))
        case "acompte":
            return Compte("419100", _("Clients - avances et acomptes reçus"))
        case "banque":
            return Compte("512000", _("Banque"))
        case "vente_service" | "vente_bien":
            root = "706" if kind == "vente_service" else "707"
            what = (
                _("Prestations de services")
                if kind == "vente_service"
                else _("Ventes de marchandises")
            )
            if rate == "ue":
                return Compte(f"{root}300", _("%(w)s UE (autoliquidation)") % {"w": what})
            if rate == "export":
                return Compte(f"{root}400", _("%(w)s hors UE") % {"w": what})
            return Compte(f"{root}{_rate_code(rate)}", f"{what} {_percent(rate)}")
        case "tva":
            return Compte(
                f"44571{_rate_code(rate)}", _("TVA collectée %(r)s") % {"r": _percent(rate)}
            )
        case "tva_attente":
            return Compte(
                f"44574{_rate_code(rate)}",
                _("TVA collectée à encaisser %(r)s") % {"r": _percent(rate)},
            )
    raise KeyError(key)


def mapping_keys() -> list[str]:
    """Every key the mapping page offers, in the order of the chart of accounts."""
    keys = ["client", "acompte", "banque"]
    for kind in ("vente_service", "vente_bien"):
        keys += [f"{kind}:{rate}" for rate in RATES + SPECIAL_CASES]
    keys += [f"tva:{rate}" for rate in RATES if rate != "0.00"]
    keys += [f"tva_attente:{rate}" for rate in RATES if rate != "0.00"]
    return keys


class Plan:
    """The company's accounts, read once per posting: its own rows over the defaults."""

    def __init__(self, company: Company) -> None:
        self.own = {
            key: Compte(number, label)
            for key, number, label in CompteComptable.objects.filter(company=company).values_list(
                "key", "number", "label"
            )
        }

    def __getitem__(self, key: str) -> Compte:
        return self.own.get(key) or default_account(key)


def customer_aux(client_id: int, name: str) -> tuple[str, str]:
    """The customer's auxiliary account (CompAuxNum, CompAuxLib)."""
    return f"C{client_id:06d}", name[:200]
