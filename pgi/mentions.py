"""The legal mentions of a commercial document, written once for the PDF and the Factur-X XML.

`document_mentions(content)` reads the sealed content of a document (what
`facturation.documents.document_content` returns, before or after its JSON round-trip) and
gives the mentions the law asks for in its case (CGI art. 242 nonies A, C. com. L441-9 and
L441-10, décret 2022-1299): why VAT is not charged or is charged differently, the reason of
each exempt line, the payment terms, the seller's legal identity. Each mention has a stable
code, its text and, when it travels in a Factur-X note (BT-21/22), the note's subject code:
the PDF prints and the XML carries the very same objects, so the two cannot disagree.

Mentions are derived each time a document is rendered, never sealed: the sealed content stays
byte for byte what it was, and a citation corrected here is corrected on every later copy.
Their texts are French whatever the active language: an invoice is a legal document in French.

The vocabulary is the sealed content's strings ("franchise", "SARL", "entreprise", "bien"),
the values of `pgi.models.VatRegime` and `LegalForm`, `crm.models.ClientKind`,
`facturation.models.Nature`: this module imports no model, so the models themselves can read
the payment-terms limit it holds.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.functional import lazy
from django.utils.translation import gettext as _

from pgi.identifiers import format_siren
from pgi.money import format_eur, format_eur_whole, format_percent, to_decimal

# Factur-X note subject codes (BT-22, UNTDID 4451). BR-FR-05: PMT (recovery indemnity),
# PMD (late-payment penalties) and AAB (early-payment discount) on every invoice.
TAX_NOTE = "TXD"
RECOVERY_INDEMNITY_NOTE = "PMT"
PENALTIES_NOTE = "PMD"
DISCOUNT_NOTE = "AAB"

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
BUSINESS = "entreprise"  # crm.models.ClientKind.COMPANY
GOODS = "bien"  # facturation.models.Nature.GOODS

# Company forms whose share capital must appear (C. com. R123-238).
FORMS_WITH_CAPITAL = frozenset({"SARL", "EURL", "SAS", "SASU", "SA"})
# Legal forms whose label is not printed: "EI" follows the name instead (loi 2022-172), and
# "Autre" says nothing.
UNPRINTED_FORMS = frozenset({"EI", "AUTRE"})

# C. com. L441-10: payment within 60 days of the invoice date, or 45 days end of month when
# agreed in writing.
PAYMENT_TERMS_MAX_DAYS = 60
PAYMENT_TERMS_MAX_DAYS_END_OF_MONTH = 45


@dataclass(frozen=True)
class Mention:
    """One legal mention: a stable code, its text, and where it goes in Factur-X."""

    code: str
    text: str
    subject: str = ""  # the Factur-X note subject code (BT-22), "" when it is not a note
    vatex: str = ""  # the VAT exemption reason code (BT-121) of a VAT exemption


# CGI art. 242 nonies A-I-13°: the provision under which no VAT is charged.
VAT_FRANCHISE = Mention(
    "vat.franchise", "TVA non applicable, art. 293 B du CGI", TAX_NOTE, "VATEX-FR-FRANCHISE"
)
VAT_REVERSE_CHARGE = Mention(  # services to a business customer in another EU country
    "vat.reverse_charge",
    "Autoliquidation : TVA due par le preneur, "
    "art. 283-2 du CGI et art. 196 de la directive 2006/112/CE",
    TAX_NOTE,
    "VATEX-EU-AE",
)
VAT_INTRA_EU_GOODS = Mention(  # goods delivered to a business customer in another EU country
    "vat.intra_eu_goods",
    "Exonération de TVA, art. 262 ter I du CGI (livraison intracommunautaire)",
    TAX_NOTE,
    "VATEX-EU-IC",
)
VAT_EXPORT_GOODS = Mention(  # goods shipped outside the EU
    "vat.export_goods",
    "Exonération de TVA, art. 262 I du CGI (exportation hors UE)",
    TAX_NOTE,
    "VATEX-EU-G",
)
VAT_EXPORT_SERVICES = Mention(  # services to a business customer outside the EU
    "vat.export_services",
    "TVA non applicable en France, art. 259-1 du CGI : TVA due par le preneur établi hors UE",
    TAX_NOTE,
    "VATEX-EU-G",
)
VAT_DEBITS = Mention(  # décret 2022-1299
    "vat.debits", "Option pour le paiement de la taxe d'après les débits", TAX_NOTE
)
NO_EARLY_PAYMENT_DISCOUNT = Mention(
    "payment.no_discount", "Pas d'escompte pour paiement anticipé", DISCOUNT_NOTE
)

# The standard wordings offered for a zero-rated line's exemption reason (a datalist: the
# user may still type another). The first ones are the mentions above, word for word; the
# others are the usual exemptions of CGI art. 261 (CGI art. 242 nonies A-I-13°).
VAT_EXEMPTION_WORDINGS: tuple[str, ...] = (
    VAT_FRANCHISE.text,
    VAT_REVERSE_CHARGE.text,
    VAT_INTRA_EU_GOODS.text,
    VAT_EXPORT_GOODS.text,
    VAT_EXPORT_SERVICES.text,
    "Exonération de TVA, art. 261-4-1° du CGI (soins médicaux et paramédicaux)",
    "Exonération de TVA, art. 261-4-4° a du CGI (enseignement, formation professionnelle)",
    "Exonération de TVA, art. 261 C du CGI (opérations bancaires et financières)",
    "Exonération de TVA, art. 261 D-2° du CGI (location de locaux nus)",
    "Exonération de TVA, art. 261-7-1° du CGI (organisme sans but lucratif)",
)

# The mentions of a case whose VAT depends on the nature of each line: (services, goods).
BY_NATURE: dict[str, tuple[Mention, Mention]] = {
    "reverse_charge": (VAT_REVERSE_CHARGE, VAT_INTRA_EU_GOODS),
    "export": (VAT_EXPORT_SERVICES, VAT_EXPORT_GOODS),
}


# ---------------------------------------------------------------------------------------------
# The case of a document, fixed when it is issued (sealed as `vat_case` and `nature`)


def vat_case(seller: Mapping[str, Any], buyer: Mapping[str, Any]) -> str:
    """normal | franchise (art. 293 B) | reverse_charge (intra-EU B2B) | export (outside EU).

    Services to private customers outside the EU stay taxed in France (CGI art. 259 B does
    not apply to them), so only business buyers make an export case here.
    """
    if seller["vat_regime"] == "franchise":
        return "franchise"
    country = (buyer["address"]["country"] or "FR").upper()
    business = buyer["kind"] == BUSINESS
    if country != "FR" and country in EU_COUNTRIES and business:
        return "reverse_charge"
    if country not in EU_COUNTRIES and country != "FR" and business:
        return "export"
    return "normal"


class _Line(Protocol):
    @property
    def nature(self) -> str: ...


def operation_nature(lines: Iterable[_Line]) -> str:
    """Décret 2022-1299: goods, services or both."""
    natures = {line.nature for line in lines}
    if natures == {"bien"}:
        return "biens"
    if natures == {"service"} or not natures:
        return "services"
    return "mixte"


# ---------------------------------------------------------------------------------------------
# Mentions


def vat_mentions(content: Mapping[str, Any]) -> tuple[Mention, ...]:
    """Why the document charges no VAT or charges it differently (CGI art. 242 nonies A-I-13°)."""
    case, nature = content.get("vat_case"), content.get("nature")
    mentions: list[Mention] = []
    if case == "franchise":
        mentions.append(VAT_FRANCHISE)
    elif case in BY_NATURE:
        services, goods = BY_NATURE[case]
        if nature in ("services", "mixte"):
            mentions.append(services)
        if nature in ("biens", "mixte"):
            mentions.append(goods)
    if content.get("debits_option"):
        mentions.append(VAT_DEBITS)
    return tuple(mentions)


def line_vat_mention(case: str, line: Mapping[str, Any]) -> Mention | None:
    """Why a line charges no VAT (BT-120/121): its document's case, else the reason typed on
    the line; None when the line charges VAT, or is zero-rated with no reason given."""
    if to_decimal(line["vat_rate"]) > 0:
        return None
    if case == "franchise":
        return VAT_FRANCHISE
    if case in BY_NATURE:
        services, goods = BY_NATURE[case]
        return goods if line.get("nature") == GOODS else services
    reason = (line.get("vat_exemption_reason") or "").strip()
    return Mention("vat.line_reason", reason, TAX_NOTE) if reason else None


def payment_mentions(content: Mapping[str, Any]) -> tuple[Mention, ...]:
    """Early-payment discount, late-payment penalties, and between businesses the recovery
    indemnity (C. com. L441-9, L441-10, D441-5)."""
    payment = content.get("payment") or {}
    business = content["buyer"]["kind"] == BUSINESS
    discount = payment.get("early_payment_discount")
    mentions = [
        Mention("payment.discount", f"Escompte pour paiement anticipé : {discount}", DISCOUNT_NOTE)
        if discount
        else NO_EARLY_PAYMENT_DISCOUNT
    ]
    rate = payment.get("late_penalty_rate")
    if rate is not None:
        text = f"Pénalités de retard : taux annuel de {format_percent(rate)}"
        if business:  # the rate of C. com. L441-10 binds professionals only
            text += " (art. L441-10 du Code de commerce)"
        mentions.append(Mention("payment.late_penalties", text, PENALTIES_NOTE))
    indemnity = payment.get("recovery_indemnity")
    if business and indemnity is not None:  # sealed as None for a private customer
        mentions.append(
            Mention(
                "payment.recovery_indemnity",
                "Indemnité forfaitaire pour frais de recouvrement : "
                f"{format_eur_whole(indemnity)} (art. D441-5 du Code de commerce)",
                RECOVERY_INDEMNITY_NOTE,
            )
        )
    return tuple(mentions)


def seller_name(seller: Mapping[str, Any]) -> str:
    """The name with "EI" for a sole trader, once (C. com. L526-22, loi 2022-172)."""
    name: str = seller["legal_name"]
    if seller.get("is_ei") and not re.search(r"\bEI\b", name.replace(".", "")):
        name = f"{name} EI"
    return name


def seller_legal_form(seller: Mapping[str, Any]) -> Mention | None:
    """`SAS au capital de 5 000 €` (C. com. R123-238)."""
    form = seller.get("legal_form") or ""
    if not form or form in UNPRINTED_FORMS:
        return None
    text = seller.get("legal_form_label") or form
    if seller.get("share_capital") not in (None, ""):
        text += f" au capital de {format_eur_whole(seller['share_capital'])}"
    return Mention("seller.legal_form", text)


def seller_registration(seller: Mapping[str, Any]) -> Mention | None:
    """`RCS Paris 123 456 789`, `RM Lyon 123 456 789`, or the RNE (C. com. R123-237)."""
    registry, city = seller.get("registry") or "", seller.get("registry_city") or ""
    if registry in ("RCS", "RM"):
        parts = (registry, city, format_siren(seller.get("siren")))
        return Mention("seller.registration", " ".join(part for part in parts if part))
    if registry == "RNE":
        return Mention("seller.registration", "Immatriculation au RNE")
    return None


@dataclass(frozen=True)
class DocumentMentions:
    """Every mention of one document, as the PDF prints them and the XML carries them."""

    seller_name: str
    legal_form: Mention | None
    registration: Mention | None
    vat: tuple[Mention, ...]
    lines: tuple[Mention | None, ...]  # per line, in order: why it charges no VAT
    exemptions: tuple[Mention, ...]  # the line reasons not already in `vat`, each once
    payment: tuple[Mention, ...]

    def note_number(self, index: int) -> int | None:
        """The number of the exemption note of the line at `index` (0-based), from 1."""
        mention = self.lines[index]
        if mention is None or mention not in self.exemptions:
            return None
        return self.exemptions.index(mention) + 1

    def notes(self) -> list[tuple[str, str]]:
        """Factur-X notes (subject code, text): one per subject, its mentions a line each."""
        grouped: dict[str, list[str]] = {}
        for mention in (*self.payment, *self.vat, *self.exemptions):
            if mention.subject:
                grouped.setdefault(mention.subject, []).append(mention.text)
        return [(subject, "\n".join(texts)) for subject, texts in grouped.items()]


def document_mentions(content: Mapping[str, Any]) -> DocumentMentions:
    """The mentions of a document, from its sealed content."""
    seller = content["seller"]
    vat = vat_mentions(content)
    case = content.get("vat_case") or "normal"
    lines = tuple(line_vat_mention(case, line) for line in content["lines"])
    exemptions = tuple(dict.fromkeys(m for m in lines if m is not None and m not in vat))
    return DocumentMentions(
        seller_name=seller_name(seller),
        legal_form=seller_legal_form(seller),
        registration=seller_registration(seller),
        vat=vat,
        lines=lines,
        exemptions=exemptions,
        payment=payment_mentions(content),
    )


# ---------------------------------------------------------------------------------------------
# The payment-terms limit of C. com. L441-10, for the screens and the issuing check


def payment_terms_limit() -> str:
    """`60 jours au plus après la date de facture (C. com. L441-10).`, translated."""
    return _("%(days)d jours au plus après la date de facture (C. com. L441-10).") % {
        "days": PAYMENT_TERMS_MAX_DAYS
    }


payment_terms_limit_lazy = lazy(payment_terms_limit, str)


def payment_terms_warning(days: int | None) -> str:
    """Past 45 days, terms may pass the limit depending on the month: the editor says so."""
    if days is None or days <= PAYMENT_TERMS_MAX_DAYS_END_OF_MONTH:
        return ""
    return _(
        "Délai de %(days)d jours : %(limit)s Par dérogation, %(eom)d jours fin de mois au plus "
        "s'il en a été convenu ainsi par écrit."
    ) % {"days": days, "limit": payment_terms_limit(), "eom": PAYMENT_TERMS_MAX_DAYS_END_OF_MONTH}


# ---------------------------------------------------------------------------------------------
# Quotes (LEGAL.md §1): what a quote prints besides the seller's identity and the VAT mentions


def quote_mentions(content: Mapping[str, Any]) -> tuple[Mention, ...]:
    """The quote's own mentions, from its frozen content: whether the quote itself is free or
    paid, the deposit asked, and for an artisan with a compulsory insurance, the insurer and
    the covered area (loi Pinel, art. 22 of law 2014-626)."""
    quote = content.get("quote") or {}
    mentions: list[Mention] = []
    price = quote.get("quote_price")
    if quote.get("is_paid_quote") and price not in (None, ""):
        mentions.append(Mention("quote.paid", f"Devis payant : {format_eur(price)} TTC"))
    else:
        mentions.append(Mention("quote.free", "Devis gratuit"))
    if quote.get("deposit_percent") not in (None, ""):
        mentions.append(
            Mention(
                "quote.deposit",
                f"Acompte demandé à la commande : {format_percent(quote['deposit_percent'])}",
            )
        )
    elif quote.get("deposit_amount") not in (None, ""):
        mentions.append(
            Mention(
                "quote.deposit",
                f"Acompte demandé à la commande : {format_eur(quote['deposit_amount'])} TTC",
            )
        )
    else:
        mentions.append(Mention("quote.deposit", "Aucun acompte demandé"))
    insurance = quote.get("insurance")
    if insurance:
        mentions.append(
            Mention(
                "quote.insurance",
                f"Assurance professionnelle obligatoire : {insurance['insurer']} — "
                f"couverture géographique : {insurance['area']} "
                "(art. 22 de la loi n° 2014-626)",
            )
        )
    return tuple(mentions)
