"""Factur-X: the CII XML of real issued documents passes the Factur-X XSD and the official
EN 16931 rules (CEN/TC 434 schematron, in ../shared/validators when the checkout has it), and
is embedded in the PDF/A-3b."""

import importlib.util
import io
import json
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree

from facturation.facturx import NS, build_cii_xml, embed_facturx
from facturation.models import Kind
from facturation.services import avoir_creer, facture_creer, facture_emettre
from pgi.models import Enregistrement
from tests import factories

VALIDATORS = Path(__file__).resolve().parents[3] / "shared" / "validators"
SVRL = "http://purl.oclc.org/dsdl/svrl"
LINE_CATEGORIES = "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
LINE_TOTALS = "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"


def _compiled(processor, stylesheet: str):
    """A compiled schematron (XSLT 2.0): returns the failed asserts of an XML as
    (flag, rule id, text)."""
    executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=stylesheet)

    def failed_asserts(xml: bytes) -> list[tuple[str, str, str]]:
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = etree.fromstring(executable.transform_to_string(xdm_node=node).encode())
        return [
            (fa.get("flag", ""), fa.get("id"), " ".join("".join(fa.itertext()).split()))
            for fa in report.iter(f"{{{SVRL}}}failed-assert")
        ]

    return failed_asserts


@pytest.fixture(scope="session")
def saxon():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@pytest.fixture(scope="session")
def en16931(saxon):
    """The official EN 16931 CII rules of ../shared/validators, compiled once per session
    (under a second; each document then takes some 20 ms)."""
    checker_file = VALIDATORS / "en16931_check.py"
    if not checker_file.exists():
        pytest.skip(f"{VALIDATORS} absent: EN 16931 rules not checked")
    spec = importlib.util.spec_from_file_location("en16931_check", checker_file)
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    return _compiled(saxon, checker.XSLT)


@pytest.fixture(scope="session")
def facturx_rules(saxon):
    """The Factur-X EN16931 schematron shipped with the factur-x library."""
    stylesheet = files("facturx") / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
    return _compiled(saxon, str(stylesheet))


@pytest.fixture
def check(en16931, facturx_rules):
    """XSD, then both schematrons: no fatal failed assert; returns the parsed XML."""

    def assert_valid(xml: bytes) -> etree._Element:
        assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
        for rules in (en16931, facturx_rules):
            fatal = [f for f in rules(xml) if f[0] != "warning"]
            assert fatal == [], "\n".join(map(str, fatal))
        return etree.fromstring(xml)

    return assert_valid


def sealed_content(facture) -> dict:
    """The document as sealed in the register, after its JSON round-trip."""
    record = Enregistrement.objects.get(
        company=facture.company, reference=facture.number, kind=facture.kind
    )
    return json.loads(bytes(record.payload))["doc"]


def texts(tree, path: str) -> list[str]:
    return [getattr(e, "text", e) for e in tree.xpath(path, namespaces=NS)]


def notes(tree) -> dict[str, str]:
    return {
        n.findtext("ram:SubjectCode", namespaces=NS): n.findtext("ram:Content", namespaces=NS)
        for n in tree.xpath("//rsm:ExchangedDocument/ram:IncludedNote", namespaces=NS)
    }


def breakdown(tree) -> list[tuple]:
    return [
        (
            t.findtext("ram:CategoryCode", namespaces=NS),
            t.findtext("ram:RateApplicablePercent", namespaces=NS),
            t.findtext("ram:BasisAmount", namespaces=NS),
            t.findtext("ram:CalculatedAmount", namespaces=NS),
            t.findtext("ram:ExemptionReason", namespaces=NS),
        )
        for t in tree.xpath(
            "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
        )
    ]


def summation(tree) -> dict[str, str]:
    element = tree.xpath("//ram:SpecifiedTradeSettlementHeaderMonetarySummation", namespaces=NS)[0]
    return {etree.QName(child).localname: child.text for child in element}


@pytest.fixture
def seller(db):
    return factories.issuing_company()


def test_b2b_multi_rate_with_a_discount(seller, check):
    client = factories.business_client(
        seller, delivery_line1="9 quai des Livraisons", delivery_postal_code="69002",
        delivery_city="Lyon",
    )  # fmt: skip
    facture = factories.issued(
        seller, client, operation_date=date(2026, 3, 10), subject="Travaux de mars",
        lines=[
            factories.line("A", "2", "50", discount_rate="10", unit="heure", description="Pose"),
            factories.line("B", "1", "10", "5.5", unit="kg", nature="bien"),
            factories.line(
                "Formation", "1", "30", "0",
                vat_exemption_reason="Exonération de TVA, art. 261-4-4° du CGI",
            ),
        ],
    )  # fmt: skip
    content = sealed_content(facture)
    tree = check(build_cii_xml(content))

    assert texts(tree, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert texts(tree, "//rsm:ExchangedDocument/ram:ID") == [facture.number]
    assert texts(tree, "//ram:IssueDateTime/udt:DateTimeString") == [f"{facture.issue_date:%Y%m%d}"]
    assert texts(tree, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        "urn:cen.eu:en16931:2017"
    ]
    found = notes(tree)
    assert found["PMT"] == (
        "Indemnité forfaitaire pour frais de recouvrement : 40\u00a0€ "
        "(art. D441-5 du Code de commerce)"
    )
    assert found["PMD"] == (
        "Pénalités de retard : taux annuel de 12,15\u202f% (art. L441-10 du Code de commerce)"
    )
    assert found["AAB"] == "Pas d'escompte pour paiement anticipé"
    assert found["AAI"] == "Travaux de mars"
    # Lines: unit codes, the 10 % discount as a line allowance, categories.
    assert texts(tree, "//ram:BilledQuantity/@unitCode") == ["HUR", "KGM", "C62"]
    assert texts(tree, LINE_CATEGORIES) == ["S", "S", "E"]
    allowance = tree.xpath(
        "//ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge", namespaces=NS
    )
    assert len(allowance) == 1
    assert allowance[0].findtext("ram:ActualAmount", namespaces=NS) == "10.00"
    assert texts(tree, LINE_TOTALS) == ["90.00", "10.00", "30.00"]
    assert breakdown(tree) == [
        ("S", "20", "90.00", "18.00", None),
        ("S", "5.5", "10.00", "0.55", None),
        ("E", "0", "30.00", "0.00", "Exonération de TVA, art. 261-4-4° du CGI"),
    ]
    assert summation(tree) == {
        "LineTotalAmount": "130.00", "TaxBasisTotalAmount": "130.00", "TaxTotalAmount": "18.55",
        "GrandTotalAmount": "148.55", "DuePayableAmount": "148.55",
    }  # fmt: skip
    assert texts(tree, "//ram:TaxTotalAmount/@currencyID") == ["EUR"]
    # Parties, delivery, payment.
    assert texts(tree, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
        seller.siren
    ]
    assert texts(
        tree, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
    ) == [seller.vat_number]
    assert texts(
        tree, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']"
    ) == [client.siren]
    assert texts(tree, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [
        client.vat_number
    ]
    assert texts(tree, "//ram:ShipToTradeParty//ram:LineOne") == ["9 quai des Livraisons"]
    assert texts(tree, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString") == ["20260310"]
    assert texts(tree, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["58"]
    assert texts(tree, "//ram:IBANID") == [seller.iban]
    assert texts(tree, "//ram:DueDateDateTime/udt:DateTimeString") == [f"{facture.due_date:%Y%m%d}"]
    assert texts(tree, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["M1"]


def test_b2c_has_no_recovery_indemnity(seller, check):
    client = factories.client(
        seller, name="Jeanne Martin", kind="particulier", status="client",
        billing_line1="3 rue des Particuliers", billing_postal_code="33000",
        billing_city="Bordeaux",
    )  # fmt: skip
    facture = factories.issued(seller, client, lines=[factories.line("Dépannage", "1", "80", "10")])
    tree = check(build_cii_xml(sealed_content(facture)))
    found = notes(tree)
    assert "PMT" not in found  # C. com. D441-5: between businesses only
    assert {"PMD", "AAB"} <= set(found)
    assert tree.xpath("//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization", namespaces=NS) == []
    assert tree.xpath("//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration", namespaces=NS) == []
    assert breakdown(tree) == [("S", "10", "80.00", "8.00", None)]


@pytest.mark.parametrize("vat_number", ["with VAT number", "without VAT number"])
def test_franchise_293_b(db, check, vat_number):
    fields = {"vat_regime": "franchise"}
    if vat_number == "without VAT number":
        fields["vat_number"] = ""
    seller = factories.issuing_company("Micro EI", legal_form="EI", is_ei=True, **fields)
    facture = factories.issued(
        seller,
        lines=[factories.line("Cours", "3", "40", "0"), factories.line("Support", "1", "15", "0")],
    )
    content = sealed_content(facture)
    assert content["vat_case"] == "franchise"
    tree = check(build_cii_xml(content))
    assert breakdown(tree) == [
        ("E", "0", "135.00", "0.00", "TVA non applicable, art. 293 B du CGI")
    ]
    assert texts(tree, "//ram:ApplicableHeaderTradeSettlement//ram:ExemptionReasonCode") == [
        "VATEX-FR-FRANCHISE"
    ]
    assert notes(tree)["TXD"] == "TVA non applicable, art. 293 B du CGI"
    assert texts(tree, "//ram:SellerTradeParty/ram:Name") == ["Micro EI"]
    scheme = "VA" if vat_number == "with VAT number" else "FC"
    assert texts(tree, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/@schemeID") == [
        scheme
    ]
    assert summation(tree)["GrandTotalAmount"] == "135.00"


def test_intra_eu_reverse_charge(seller, check):
    client = factories.business_client(
        seller, name="Kunde GmbH", siren="", vat_number="DE136695976", billing_country="DE",
        billing_line1="Hauptstraße 1", billing_postal_code="10115", billing_city="Berlin",
    )  # fmt: skip
    facture = factories.issued(
        seller, client,
        lines=[
            factories.line("Conseil", "2", "500", "0"),
            factories.line("Machine", "1", "1200", "0", nature="bien"),
        ],
    )  # fmt: skip
    content = sealed_content(facture)
    assert content["vat_case"] == "reverse_charge"
    tree = check(build_cii_xml(content))
    assert texts(tree, LINE_CATEGORIES) == ["AE", "K"]
    assert [b[:4] for b in breakdown(tree)] == [
        ("AE", "0", "1000.00", "0.00"), ("K", "0", "1200.00", "0.00"),
    ]  # fmt: skip
    assert breakdown(tree)[0][4] == (
        "Autoliquidation : TVA due par le preneur, "
        "art. 283-2 du CGI et art. 196 de la directive 2006/112/CE"
    )
    assert breakdown(tree)[1][4] == (
        "Exonération de TVA, art. 262 ter I du CGI (livraison intracommunautaire)"
    )
    assert notes(tree)["TXD"] == f"{breakdown(tree)[0][4]}\n{breakdown(tree)[1][4]}"
    assert texts(tree, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [
        "DE136695976"
    ]
    # BR-IC-11/12: an intra-community supply states its delivery date and country.
    assert texts(tree, "//ram:ShipToTradeParty//ram:CountryID") == ["DE"]
    assert texts(tree, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString") == [
        f"{facture.issue_date:%Y%m%d}"
    ]


def test_export_outside_the_eu(seller, check):
    client = factories.business_client(
        seller, name="Client Inc.", siren="", vat_number="", billing_country="US",
        billing_line1="1 Main Street", billing_postal_code="10001", billing_city="New York",
    )  # fmt: skip
    facture = factories.issued(
        seller, client, lines=[factories.line("Pièces", "4", "25", "0", nature="bien")]
    )
    tree = check(build_cii_xml(sealed_content(facture)))
    assert breakdown(tree) == [
        ("G", "0", "100.00", "0.00", "Exonération de TVA, art. 262 I du CGI (exportation hors UE)")
    ]


def test_export_of_services_outside_the_eu(seller, check):
    """Services to a business outside the EU are not taxable in France (CGI art. 259-1)."""
    client = factories.business_client(
        seller, name="Client Inc.", siren="", vat_number="", billing_country="US",
        billing_line1="1 Main Street", billing_postal_code="10001", billing_city="New York",
    )  # fmt: skip
    facture = factories.issued(seller, client, lines=[factories.line("Audit", "1", "900", "0")])
    tree = check(build_cii_xml(sealed_content(facture)))
    reason = breakdown(tree)[0][4]
    assert breakdown(tree)[0][:4] == ("G", "0", "900.00", "0.00")
    assert "art. 259-1 du CGI" in reason and "262" not in reason
    assert notes(tree)["TXD"] == reason


def test_debits_option_is_declared(db, check):
    seller = factories.issuing_company(vat_regime="debits")
    facture = factories.issued(seller, lines=[factories.line()])
    tree = check(build_cii_xml(sealed_content(facture)))
    assert texts(
        tree, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode"
    ) == ["5"]
    assert "Option pour le paiement de la taxe d'après les débits" in notes(tree)["TXD"]


def test_credit_note_refers_to_its_invoice(seller, check):
    invoice = factories.issued(
        seller, lines=[factories.line("A", "2", "50"), factories.line("B", "1", "10", "5.5")]
    )
    avoir = facture_emettre(facture=avoir_creer(facture=invoice, user=None), user=None)
    content = sealed_content(avoir)
    tree = check(build_cii_xml(content))
    assert texts(tree, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert texts(tree, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]
    assert texts(tree, "//ram:InvoiceReferencedDocument//qdt:DateTimeString") == [
        f"{invoice.issue_date:%Y%m%d}"
    ]
    assert summation(tree)["GrandTotalAmount"] == "130.55"
    assert tree.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS) == []


def test_deposit_invoice(seller, check):
    client = factories.business_client(seller)
    draft = facture_creer(
        company=seller, client=client, user=None, kind=Kind.DEPOSIT,
        lines=[factories.line("Acompte de 30 % sur devis", "1", "300")],
    )  # fmt: skip
    deposit = facture_emettre(facture=draft, user=None)
    tree = check(build_cii_xml(sealed_content(deposit)))
    assert texts(tree, "//rsm:ExchangedDocument/ram:TypeCode") == ["386"]
    assert summation(tree)["DuePayableAmount"] == "360.00"


def test_totals_that_do_not_add_up_are_refused(seller):
    content = sealed_content(factories.issued(seller))
    with pytest.raises(ValueError, match="does not add up"):
        build_cii_xml(content | {"total_vat": "0.01"})


def test_dates_may_be_date_objects(seller):
    """`document_content` gives dates, the register ISO strings: the XML is the same."""
    facture = factories.issued(seller, operation_date=date(2026, 3, 1))
    content = sealed_content(facture)
    with_dates = content | {
        "issue_date": date.fromisoformat(content["issue_date"]),
        "due_date": date.fromisoformat(content["due_date"]),
        "operation_date": date(2026, 3, 1),
    }
    assert build_cii_xml(with_dates) == build_cii_xml(content)


def test_embedded_in_the_pdf(seller):
    from pypdf import PdfReader
    from weasyprint import HTML

    facture = factories.issued(seller, lines=[factories.line("A", "2", "50")])
    content = sealed_content(facture)
    pdf = HTML(string="<p>Facture</p>").write_pdf(pdf_variant="pdf/a-3b")

    result = embed_facturx(pdf, content)

    name, xml = get_facturx_xml_from_pdf(io.BytesIO(result), check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == build_cii_xml(content)
    reader = PdfReader(io.BytesIO(result))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert facture.number in reader.metadata.title
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"


def test_the_rules_do_catch_an_error(seller, en16931, facturx_rules):
    """Guards the guard: a grand total that does not add up fails BR-CO-15."""
    content = sealed_content(factories.issued(seller))
    xml = build_cii_xml(content | {"total_incl_vat": "999.99"})
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    for rules in (en16931, facturx_rules):
        assert "BR-CO-15" in {rule for flag, rule, _ in rules(xml) if flag != "warning"}


@pytest.mark.django_db
def test_parties_carry_their_electronic_address_for_the_french_platforms():
    company = factories.issuing_company()
    client = factories.business_client(company)
    invoice = factories.issued(company, client)
    content = json.loads(
        bytes(Enregistrement.objects.get(company=company, reference=invoice.number).payload)
    )["doc"]
    xml = build_cii_xml(content).decode()
    assert f'<ram:URIID schemeID="0225">{company.siren}</ram:URIID>' in xml
    assert f'<ram:URIID schemeID="0225">{client.siren}</ram:URIID>' in xml
