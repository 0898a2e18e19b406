"""The printed invoice and its Factur-X XML carry the same legal mentions, for every VAT case.

Each case issues a real document through the services, renders its PDF from the sealed
content, then reads back the PDF's text (pypdf) and the XML embedded in that very PDF: its
notes (BT-21/22), VAT exemption reasons (BT-120) and the seller's legal information (BT-33).
Every mention of the XML must be printed, each citation must be on both sides or on neither,
and the citation the case needs must be there (CGI art. 242 nonies A, C. com. L441-10).
"""

import io
import json
import re
from datetime import date

import pytest
from facturx import get_facturx_xml_from_pdf
from lxml import etree
from pypdf import PdfReader

from facturation.facturx import NS
from facturation.pdf import render_document_pdf
from facturation.services import facture_emettre
from pgi.models import Enregistrement
from tests import factories

ISSUED_ON = date(2026, 3, 15)
US_CLIENT = {
    "name": "Client Inc.", "siren": "", "vat_number": "", "billing_country": "US",
    "billing_line1": "1 Main Street", "billing_postal_code": "10001", "billing_city": "New York",
}  # fmt: skip
DE_CLIENT = {
    "name": "Kunde GmbH", "siren": "", "vat_number": "DE136695976", "billing_country": "DE",
    "billing_line1": "Hauptstraße 1", "billing_postal_code": "10115", "billing_city": "Berlin",
}  # fmt: skip
CONSUMER = {
    "name": "Jeanne Martin", "kind": "particulier", "status": "client",
    "billing_line1": "3 rue des Particuliers", "billing_postal_code": "33000",
    "billing_city": "Bordeaux",
}  # fmt: skip
EXEMPT_TRAINING = "Exonération de TVA, art. 261-4-4° du CGI"

# Citations and mentions that must be on both outputs or on neither. "262 I " (with its
# space) is the export of goods, not the intra-EU supply of "262 ter I".
CITATIONS = (
    "art. 293 B du CGI",
    "art. 283-2 du CGI",
    "2006/112/CE",
    "art. 262 ter I du CGI",
    "art. 262 I ",
    "art. 259-1 du CGI",
    "art. 261-4-4° du CGI",
    "Option pour le paiement de la taxe d'après les débits",
    "art. L441-10 du Code de commerce",
    "art. D441-5 du Code de commerce",
    "Indemnité forfaitaire pour frais de recouvrement : 40 €",
    "Pénalités de retard : taux annuel de 12,15 %",
    "Pas d'escompte pour paiement anticipé",
    "SAS au capital de 5 000 €",
)

# case: seller fields, client fields (None: a French business), lines, the mentions the case
# must carry, and citations it must not carry (CGI art. 242 nonies A-I-13°, C. com. L441-10).
CASES = {
    "normal B2B": (
        {},
        None,
        [("Audit", "2", "50", "20", "service")],
        [
            "Pénalités de retard : taux annuel de 12,15 % (art. L441-10 du Code de commerce)",
            "Indemnité forfaitaire pour frais de recouvrement : 40 € "
            "(art. D441-5 du Code de commerce)",
            "Pas d'escompte pour paiement anticipé",
        ],
        ["art. 293 B", "art. 283-2", "art. 262", "art. 259-1", "débits"],
    ),
    "B2C": (
        {},
        CONSUMER,
        [("Cours", "1", "80", "20", "service")],
        ["Pénalités de retard : taux annuel de 12,15 %", "Pas d'escompte pour paiement anticipé"],
        ["D441-5", "L441-10", "Indemnité forfaitaire"],  # between businesses only
    ),
    "franchise 293 B": (
        {"vat_regime": "franchise"},
        None,
        [("Réparation", "3", "40", "0", "service"), ("Pièce", "1", "15", "0", "bien")],
        ["TVA non applicable, art. 293 B du CGI"],
        ["art. 262", "art. 259-1", "art. 283-2", "débits"],
    ),
    "intra-EU reverse charge": (
        {},
        DE_CLIENT,
        [("Conseil", "2", "500", "0", "service"), ("Machine", "1", "1200", "0", "bien")],
        [
            "Autoliquidation : TVA due par le preneur, art. 283-2 du CGI",
            "2006/112/CE",
            "Exonération de TVA, art. 262 ter I du CGI (livraison intracommunautaire)",
        ],
        ["art. 262 I ", "art. 259-1", "art. 293 B"],
    ),
    "export of goods": (
        {},
        US_CLIENT,
        [("Pièces", "4", "25", "0", "bien")],
        ["Exonération de TVA, art. 262 I du CGI"],
        ["art. 259-1", "art. 262 ter", "art. 283-2", "art. 293 B"],
    ),
    "export of services": (
        {},
        US_CLIENT,
        [("Audit", "1", "900", "0", "service")],
        ["TVA non applicable en France, art. 259-1 du CGI"],
        ["art. 262", "art. 283-2", "art. 293 B"],
    ),
    "debits option": (
        {"vat_regime": "debits"},
        None,
        [("Support", "1", "100", "20", "bien"), ("Formation", "1", "500", "0", "service")],
        ["Option pour le paiement de la taxe d'après les débits", EXEMPT_TRAINING],
        ["art. 293 B", "art. 283-2", "art. 262", "art. 259-1"],
    ),
}


def plain(text: str) -> str:
    """French no-break spaces made plain and runs of blanks folded, as both texts are compared."""
    return re.sub(r"\s+", " ", text.translate({0x202F: " ", 0xA0: " ", 0x2009: " "})).strip()


def issue_case(name: str):
    seller_fields, client_fields, lines, _, _ = CASES[name]
    seller = factories.issuing_company(**seller_fields)
    if client_fields is None:
        client = factories.business_client(seller)
    elif client_fields.get("kind") == "particulier":
        client = factories.client(seller, **client_fields)
    else:
        client = factories.business_client(seller, **client_fields)
    rows = [
        factories.line(
            designation, quantity, price, rate, nature=nature,
            vat_exemption_reason=EXEMPT_TRAINING if designation == "Formation" else "",
        )
        for designation, quantity, price, rate, nature in lines
    ]  # fmt: skip
    draft = factories.draft(seller, client, rows)
    return facture_emettre(facture=draft, user=None, today=ISSUED_ON)


def sealed_content(facture) -> dict:
    record = Enregistrement.objects.get(
        company=facture.company, kind=facture.kind, reference=facture.number
    )
    return json.loads(bytes(record.payload))["doc"]


def read_back(pdf: bytes) -> tuple[str, list[str], set[str]]:
    """The PDF's text; the mentions of the XML embedded in it: the legal notes one mention a
    line (free notes AAI left out), the exemption reasons, the legal information; the notes'
    subject codes."""
    text = plain(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    _, xml = get_facturx_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    tree = etree.fromstring(xml)
    mentions, subjects = [], set()
    for note in tree.xpath("//rsm:ExchangedDocument/ram:IncludedNote", namespaces=NS):
        subjects.add(subject := note.findtext("ram:SubjectCode", namespaces=NS))
        if subject != "AAI":
            mentions += note.findtext("ram:Content", namespaces=NS).split("\n")
    mentions += tree.xpath("//ram:ApplicableTradeTax/ram:ExemptionReason/text()", namespaces=NS)
    for info in tree.xpath("//ram:SellerTradeParty/ram:Description/text()", namespaces=NS):
        mentions += info.split(" – ")
    return text, [plain(m) for m in mentions], subjects


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(CASES))
def test_the_pdf_and_the_xml_carry_the_same_mentions(case):
    pdf_text, xml_mentions, subjects = read_back(
        render_document_pdf(sealed_content(issue_case(case)))
    )
    xml_text = "\n".join(xml_mentions)

    assert {"PMD", "AAB"} <= subjects  # BR-FR-05; PMT between businesses only
    assert ("PMT" in subjects) == (case != "B2C")
    not_printed = [mention for mention in xml_mentions if mention not in pdf_text]
    assert not not_printed, f"in the XML, not on the PDF: {not_printed}\nPDF: {pdf_text}"
    differ = [c for c in CITATIONS if (c in pdf_text) != (c in xml_text)]
    assert not differ, f"on one output only: {differ}\nPDF: {pdf_text}\nXML: {xml_text}"
    _, _, _, expected, wrong = CASES[case]
    for side, text in (("PDF", pdf_text), ("XML", xml_text)):
        assert [m for m in expected if m not in text] == [], f"{side}: {text}"
        assert [w for w in wrong if w in text] == [], f"{side}: {text}"
