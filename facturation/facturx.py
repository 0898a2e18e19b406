"""Factur-X (EN 16931 profile): the CII XML of a document, embedded in its PDF/A-3.

`build_cii_xml` turns the sealed `content` of an issued document (`facturation.documents`)
into a UN/CEFACT Cross Industry Invoice (D16B), guideline `urn:cen.eu:en16931:2017`, in the
exact element order of the Factur-X EN16931 XSD. `embed_facturx` attaches it to the PDF/A-3b
as `factur-x.xml` with the Factur-X XMP metadata, through the `factur-x` library.

`content` may come straight from `document_content` (dates are `date` objects, amounts
strings) or from the register after a JSON round-trip (ISO date strings): both are accepted.

The legal mentions (the notes, the VAT exemption reasons, the seller's legal information) are
those of `pgi.mentions`, the very objects the PDF prints. Sources cited below: EN 16931-1
business rules (BR-*), the French rule BR-FR-05 (notes PMT, PMD, AAB).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from facturx import generate_from_binary
from lxml import etree

from pgi.mentions import (
    VAT_EXPORT_GOODS,
    VAT_EXPORT_SERVICES,
    VAT_FRANCHISE,
    VAT_INTRA_EU_GOODS,
    VAT_REVERSE_CHARGE,
    DocumentMentions,
    Mention,
    document_mentions,
    seller_name,
)
from pgi.money import ZERO, cents, to_decimal
from pgi.text import clean_text

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"

# UN/ECE Recommendation 20 codes of the units of `facturation.models.Unit`.
UNIT_CODES = {
    "unité": "C62",
    "heure": "HUR",
    "jour": "DAY",
    "forfait": "C62",
    "kg": "KGM",
    "m": "MTR",
    "m²": "MTK",
    "l": "LTR",
}
DEFAULT_UNIT_CODE = "C62"  # "one": a piece, a unit

# French invoicing framework (BT-23, "cadre de facturation" of the e-invoicing reform):
# deposit of an invoice for goods, services, or both (décret 2022-1299: nature of the operation).
BUSINESS_PROCESS = {"biens": "B1", "services": "S1", "mixte": "M1"}

# The EN 16931 VAT category (BT-151) of a line exempt for its document's VAT case; a line exempt
# for the reason typed on it is E (BR-E-10).
CATEGORIES = {
    VAT_FRANCHISE.code: "E",
    VAT_REVERSE_CHARGE.code: "AE",
    VAT_INTRA_EU_GOODS.code: "K",
    VAT_EXPORT_GOODS.code: "G",
    VAT_EXPORT_SERVICES.code: "G",
}

PAYMENT_SEPA_CREDIT_TRANSFER = "58"
PAYMENT_NOT_DEFINED = "1"  # not 30: a credit transfer needs the payee's account (BR-61)
ALLOWANCE_REASON_DISCOUNT = "95"  # UNTDID 5189 "Discount"
TAX_DUE_ON_INVOICE_DATE = "5"  # UNTDID 2005, BT-8: VAT on debits (XP Z12-012)

DOCUMENT_LABELS = {"380": "Facture", "381": "Avoir", "386": "Facture d'acompte"}


@dataclass(frozen=True)
class LineTax:
    """The VAT category of a line (BT-151/152) and, when exempt, why (BT-120/121)."""

    category: str
    rate: Decimal
    reason: str = ""
    reason_code: str = ""


# ---------------------------------------------------------------------------------------------
# Value formatting


def _date(value) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _date102(value) -> str:
    """CCYYMMDD, the format 102 of UNTDID 2379."""
    return _date(value).strftime("%Y%m%d")


def _amount(value) -> str:
    """Amounts with exactly two decimals (BR-DEC-*)."""
    return format(cents(to_decimal(value)), "f")


def _number(value) -> str:
    """Quantities, prices and rates without useless trailing zeros, never in exponent form."""
    text = format(to_decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _fr_date(value) -> str:
    return _date(value).strftime("%d/%m/%Y")


# ---------------------------------------------------------------------------------------------
# lxml helpers


def _qname(tag: str) -> str:
    prefix, local = tag.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _sub(parent, tag: str, text=None, **attributes):
    element = etree.SubElement(parent, _qname(tag), {k: str(v) for k, v in attributes.items()})
    if text is not None:
        # Any stored text builds: a control character (a Word line break...) sealed before
        # inputs were cleaned would make lxml refuse the whole document (XML 1.0).
        element.text = clean_text(str(text))
    return element


def _identifier(parent, container: str, value: str, scheme: str) -> None:
    _sub(_sub(parent, container), "ram:ID", value, schemeID=scheme)


def _date_element(parent, tag: str, value, *, kind: str = "udt") -> None:
    _sub(_sub(parent, tag), f"{kind}:DateTimeString", _date102(value), format="102")


# ---------------------------------------------------------------------------------------------
# VAT categories


def line_tax(line: dict, exemption: Mention | None) -> LineTax:
    """EN 16931 VAT category of a line, from its rate and why it charges no VAT
    (`DocumentMentions.lines`).

    A positive rate is standard-rated (S) whatever the case: the sealed totals charge that VAT.
    At 0 %: franchise → E (art. 293 B); intra-EU B2B → AE (reverse charge, services) or
    K (intra-community supply of goods); export → G; otherwise E when the line states its
    exemption reason (BR-E-10), Z (zero-rated, which carries no reason: BR-Z-10) when not.
    """
    rate = to_decimal(line["vat_rate"])
    if rate > 0:
        return LineTax("S", rate)
    if exemption is None:
        return LineTax("Z", rate)
    return LineTax(CATEGORIES.get(exemption.code, "E"), rate, exemption.text, exemption.vatex)


@dataclass(frozen=True)
class Breakdown:
    """One VAT breakdown (BG-23): per category and rate (BR-S-08, BR-E-01, BR-AE-01...)."""

    category: str
    rate: Decimal
    base: Decimal
    vat: Decimal
    reason: str
    reason_code: str


def vat_breakdown(content: dict, taxes: list[LineTax]) -> list[Breakdown]:
    """Groups the line nets by category and rate; standard-rated VAT comes from the sealed
    breakdown (VAT per rate on the sum of the nets, BR-CO-17), every other category is 0."""
    sealed = {to_decimal(b["rate"]): to_decimal(b["vat"]) for b in content["vat_breakdown"]}
    groups: dict[tuple[str, Decimal], list[tuple[LineTax, Decimal]]] = defaultdict(list)
    for line, tax in zip(content["lines"], taxes, strict=True):
        groups[(tax.category, tax.rate)].append((tax, to_decimal(line["net"])))
    result = []
    for (category, rate), members in groups.items():
        base = sum((net for _, net in members), ZERO)
        reasons = list(dict.fromkeys(t.reason for t, _ in members if t.reason))
        codes = {t.reason_code for t, _ in members}
        vat = sealed.get(rate, ZERO) if category == "S" else ZERO
        result.append(
            Breakdown(
                category=category,
                rate=rate,
                base=base,
                vat=vat,
                reason=" ; ".join(reasons),
                reason_code=codes.pop() if len(codes) == 1 else "",
            )
        )
    result.sort(key=lambda b: (b.category != "S", -b.rate, b.category))
    total_vat = sum((b.vat for b in result), ZERO)
    total_base = sum((b.base for b in result), ZERO)
    sealed_totals = (to_decimal(content["total_excl_vat"]), to_decimal(content["total_vat"]))
    if (total_base, total_vat) != sealed_totals:
        raise ValueError(
            f"Factur-X: the VAT breakdown of {content.get('number')} does not add up to its "
            f"sealed totals ({total_base} / {total_vat})."
        )
    return result


# ---------------------------------------------------------------------------------------------
# Notes (BT-21/BT-22)


def document_notes(content: dict, mentions: DocumentMentions) -> list[tuple[str, str]]:
    """(subject code, text) pairs: free notes, then the legal mentions the PDF prints: payment
    (BR-FR-05: PMT, PMD, AAB) and VAT (TXD)."""
    notes: list[tuple[str, str]] = []
    free = "\n".join(t.strip() for t in (content.get("subject"), content.get("notes")) if t)
    if free.strip():
        notes.append(("AAI", free.strip()))
    return notes + mentions.notes()


# ---------------------------------------------------------------------------------------------
# Parties


def _address(parent, tag: str, address: dict | None) -> None:
    address = address or {}
    element = _sub(parent, tag)
    if address.get("postal_code"):
        _sub(element, "ram:PostcodeCode", address["postal_code"])
    if address.get("line1"):
        _sub(element, "ram:LineOne", address["line1"])
    if address.get("line2"):
        _sub(element, "ram:LineTwo", address["line2"])
    if address.get("city"):
        _sub(element, "ram:CityName", address["city"])
    _sub(element, "ram:CountryID", (address.get("country") or "FR").upper())


def _seller_legal_info(mentions: DocumentMentions) -> str:
    """BT-33: legal form and share capital, registry (C. com. R123-237, R123-238)."""
    return " – ".join(m.text for m in (mentions.legal_form, mentions.registration) if m)


def _electronic_address(party, address: dict | None) -> None:
    """URIUniversalCommunication comes after the postal address in the CII schema order."""
    if address and address.get("id"):
        uri = _sub(party, "ram:URIUniversalCommunication")
        _sub(uri, "ram:URIID", address["id"], schemeID=address["scheme"])


def _seller(parent, seller: dict, mentions: DocumentMentions) -> None:
    party = _sub(parent, "ram:SellerTradeParty")
    _sub(party, "ram:Name", mentions.seller_name)  # with "EI" for a sole trader (loi 2022-172)
    legal_info = _seller_legal_info(mentions)
    if legal_info:
        _sub(party, "ram:Description", legal_info)
    organisation = _sub(party, "ram:SpecifiedLegalOrganization")
    if seller.get("siren"):
        _sub(organisation, "ram:ID", seller["siren"], schemeID="0002")  # BT-30, SIRENE
    if seller.get("trade_name"):
        _sub(organisation, "ram:TradingBusinessName", seller["trade_name"])
    if not len(organisation):
        party.remove(organisation)
    _address(party, "ram:PostalTradeAddress", seller.get("address"))
    _electronic_address(party, seller.get("electronic_address"))  # BT-34
    if seller.get("vat_number"):
        _identifier(party, "ram:SpecifiedTaxRegistration", seller["vat_number"], "VA")  # BT-31
    elif seller.get("siren"):
        # A seller in franchise may have no VAT number: BR-E-02 then wants its tax
        # registration identifier (BT-32); in France the SIREN identifies it to the tax office.
        _identifier(party, "ram:SpecifiedTaxRegistration", seller["siren"], "FC")


def _buyer(parent, buyer: dict) -> None:
    party = _sub(parent, "ram:BuyerTradeParty")
    _sub(party, "ram:Name", buyer["name"])
    if buyer.get("siren"):  # BT-47, décret 2022-1299: the customer's SIREN
        _identifier(party, "ram:SpecifiedLegalOrganization", buyer["siren"], "0002")
    _address(party, "ram:PostalTradeAddress", buyer.get("address"))
    _electronic_address(party, buyer.get("electronic_address"))  # BT-49
    if buyer.get("vat_number"):  # BT-48
        _identifier(party, "ram:SpecifiedTaxRegistration", buyer["vat_number"], "VA")


# ---------------------------------------------------------------------------------------------
# Document


def _line(parent, line: dict, tax: LineTax) -> None:
    item = _sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line["position"])
    product = _sub(item, "ram:SpecifiedTradeProduct")
    _sub(product, "ram:Name", line["designation"])
    if (line.get("description") or "").strip():
        _sub(product, "ram:Description", line["description"].strip())
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    price = _sub(agreement, "ram:NetPriceProductTradePrice")  # BT-146, before the line allowance
    _sub(price, "ram:ChargeAmount", _number(line["unit_price"]))
    delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
    unit = UNIT_CODES.get(line.get("unit") or "", DEFAULT_UNIT_CODE)
    _sub(delivery, "ram:BilledQuantity", _number(line["quantity"]), unitCode=unit)
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    trade_tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(trade_tax, "ram:TypeCode", "VAT")
    _sub(trade_tax, "ram:CategoryCode", tax.category)
    _sub(trade_tax, "ram:RateApplicablePercent", _number(tax.rate))
    allowance = to_decimal(line.get("allowance") or "0")
    if allowance > 0:  # BG-27, the line discount
        charge = _sub(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _sub(_sub(charge, "ram:ChargeIndicator"), "udt:Indicator", "false")
        if to_decimal(line.get("discount_rate") or "0") > 0:
            _sub(charge, "ram:CalculationPercent", _number(line["discount_rate"]))
            _sub(charge, "ram:BasisAmount", _amount(to_decimal(line["net"]) + allowance))
        _sub(charge, "ram:ActualAmount", _amount(allowance))
        _sub(charge, "ram:ReasonCode", ALLOWANCE_REASON_DISCOUNT)
        _sub(charge, "ram:Reason", "Remise")
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", _amount(line["net"]))


def _delivery(parent, content: dict, breakdown: list[Breakdown]) -> None:
    delivery = _sub(parent, "ram:ApplicableHeaderTradeDelivery")
    buyer = content["buyer"]
    intra_eu_goods = any(b.category == "K" for b in breakdown)
    ship_to = buyer.get("delivery_address")
    if ship_to or intra_eu_goods:  # BR-IC-12: the deliver-to country of an intra-EU supply
        party = _sub(delivery, "ram:ShipToTradeParty")
        _sub(party, "ram:Name", buyer["name"])
        _address(party, "ram:PostalTradeAddress", ship_to or buyer.get("address"))
    # CGI art. 242 nonies A: the date of the operation when it differs from the issue date;
    # an intra-EU supply always states it (BR-IC-11).
    when = content.get("operation_date") or (content["issue_date"] if intra_eu_goods else None)
    if when:
        _date_element(
            _sub(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", when
        )


def _payment_terms(parent, content: dict) -> None:
    payment = content.get("payment") or {}
    terms = _sub(parent, "ram:SpecifiedTradePaymentTerms")
    if content["type_code"] == "381":
        # BR-CO-25: an amount due needs terms or a due date; a credit note has no due date.
        origin = content.get("origin") or {}
        text = "Avoir à rembourser ou à déduire d'un prochain règlement"
        if origin.get("number"):
            text += f" (facture {origin['number']})"
        _sub(terms, "ram:Description", text)
        return
    days = payment.get("terms_days")
    due = content.get("due_date")
    if days == 0:
        text = "Paiement à réception"
    elif days is not None:
        text = f"Paiement à {days} jours"
    else:
        text = "Paiement à l'échéance"
    if due:
        text += f", au plus tard le {_fr_date(due)}"
    _sub(terms, "ram:Description", text)
    if due:
        _date_element(terms, "ram:DueDateDateTime", due)


def _settlement(parent, content: dict, breakdown: list[Breakdown]) -> None:
    settlement = _sub(parent, "ram:ApplicableHeaderTradeSettlement")
    credit_note = content["type_code"] == "381"
    if not credit_note and content.get("number"):
        _sub(settlement, "ram:PaymentReference", content["number"])  # BT-83
    _sub(settlement, "ram:InvoiceCurrencyCode", content.get("currency") or "EUR")
    payment = content.get("payment") or {}
    if not credit_note:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        iban = (payment.get("iban") or "").replace(" ", "").upper()
        if iban:
            _sub(means, "ram:TypeCode", PAYMENT_SEPA_CREDIT_TRANSFER)
            _sub(means, "ram:Information", "Virement SEPA")
            _sub(_sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", iban)
            bic = (payment.get("bic") or "").replace(" ", "").upper()
            if bic:
                _sub(
                    _sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", bic
                )
        else:
            _sub(means, "ram:TypeCode", PAYMENT_NOT_DEFINED)
    for group in breakdown:
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", _amount(group.vat))
        _sub(tax, "ram:TypeCode", "VAT")
        if group.reason:
            _sub(tax, "ram:ExemptionReason", group.reason)
        _sub(tax, "ram:BasisAmount", _amount(group.base))
        _sub(tax, "ram:CategoryCode", group.category)
        if group.reason_code:
            _sub(tax, "ram:ExemptionReasonCode", group.reason_code)
        if content.get("debits_option"):
            _sub(tax, "ram:DueDateTypeCode", TAX_DUE_ON_INVOICE_DATE)  # BT-8
        _sub(tax, "ram:RateApplicablePercent", _number(group.rate))
    _payment_terms(settlement, content)
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    currency = content.get("currency") or "EUR"
    line_total = sum((to_decimal(line["net"]) for line in content["lines"]), ZERO)
    _sub(summation, "ram:LineTotalAmount", _amount(line_total))  # BR-CO-10
    _sub(summation, "ram:TaxBasisTotalAmount", _amount(content["total_excl_vat"]))
    _sub(summation, "ram:TaxTotalAmount", _amount(content["total_vat"]), currencyID=currency)
    _sub(summation, "ram:GrandTotalAmount", _amount(content["total_incl_vat"]))
    _sub(summation, "ram:DuePayableAmount", _amount(content["total_incl_vat"]))
    origin = content.get("origin")
    if origin and origin.get("number"):  # BG-3: the invoice a credit note corrects
        reference = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(reference, "ram:IssuerAssignedID", origin["number"])
        if origin.get("issue_date"):
            _date_element(reference, "ram:FormattedIssueDateTime", origin["issue_date"], kind="qdt")


def build_cii_xml(content: dict) -> bytes:
    """The Factur-X EN 16931 XML (UTF-8 bytes) of an issued document's sealed content."""
    mentions = document_mentions(content)
    taxes = [
        line_tax(line, exemption)
        for line, exemption in zip(content["lines"], mentions.lines, strict=True)
    ]
    breakdown = vat_breakdown(content, taxes)

    root = etree.Element(_qname("rsm:CrossIndustryInvoice"), nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    process = BUSINESS_PROCESS.get(content.get("nature") or "")
    if process:
        _sub(
            _sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", process
        )
    _sub(
        _sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_EN16931
    )

    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", content["number"])
    _sub(document, "ram:TypeCode", content["type_code"])
    _date_element(document, "ram:IssueDateTime", content["issue_date"])
    for code, text in document_notes(content, mentions):
        note = _sub(document, "ram:IncludedNote")
        _sub(note, "ram:Content", text)
        _sub(note, "ram:SubjectCode", code)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line, tax in zip(content["lines"], taxes, strict=True):
        _line(transaction, line, tax)
    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _seller(agreement, content["seller"], mentions)
    _buyer(agreement, content["buyer"])
    _delivery(transaction, content, breakdown)
    _settlement(transaction, content, breakdown)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def pdf_metadata(content: dict) -> dict:
    """The PDF's title, author, subject and keywords (Info dictionary and XMP), in French."""
    label = DOCUMENT_LABELS.get(content["type_code"], "Facture")
    seller = seller_name(content["seller"])
    number = content["number"]
    return {
        "author": seller,
        "keywords": f"{label}, Factur-X",
        "title": f"{seller} : {label} {number}",
        "subject": f"{label} {number} du {_fr_date(content['issue_date'])} émise par {seller}",
    }


def embed_facturx(pdf: bytes, content: dict) -> bytes:
    """Returns the PDF/A-3b with `factur-x.xml` attached and the Factur-X XMP metadata.

    The XML is checked against the Factur-X EN16931 XSD on the way: an invalid document raises
    rather than producing a PDF that a platform would refuse.
    """
    return generate_from_binary(
        pdf,
        build_cii_xml(content),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata=pdf_metadata(content),
        lang="fr-FR",
    )
