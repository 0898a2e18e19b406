"""The printed invoice: every mention the law asks for, read back from the PDF's text.

Rendering times are in pgi/pdf.py's docstring; they are never asserted here. The shared
layout and its pieces (French formats, brand colours, the local-only fetcher) are tested in
tests/pgi/test_pdf.py.
"""

import io
import json
import re
from datetime import date

import pytest
from pypdf import PdfReader

from facturation.documents import document_content
from facturation.pdf import render_document_pdf
from facturation.services import avoir_creer, facture_emettre
from pgi.models import Enregistrement
from pgi.templatetags import pdf_format as fmt
from tests import factories

ISSUED_ON = date(2026, 3, 15)


def sealed_content(facture) -> dict:
    record = Enregistrement.objects.get(
        company=facture.company, kind=facture.kind, reference=facture.number
    )
    return json.loads(bytes(record.payload))["doc"]


def issue(company, client, lines, **fields):
    draft = factories.draft(company, client, lines, **fields)
    return facture_emettre(facture=draft, user=None, today=ISSUED_ON)


def pages_text(data: bytes) -> list[str]:
    """Each page's text, with French spaces made plain and runs of blanks folded."""
    reader = PdfReader(io.BytesIO(data))
    texts = []
    for page in reader.pages:
        text = page.extract_text().translate({0x202F: " ", 0xA0: " ", 0x2009: " "})
        texts.append(re.sub(r"\s+", " ", text))
    return texts


def rendered(facture, **kwargs) -> str:
    return " ".join(pages_text(render_document_pdf(sealed_content(facture), **kwargs)))


def spaced(number: str) -> str:
    """`123456789` → `123 456 789` (and the NIC apart for a SIRET), as printed."""
    return fmt.siren(number).replace("\u00a0", " ")


def assert_contains(text: str, *expected: str) -> None:
    missing = [mention for mention in expected if mention not in text]
    assert not missing, f"missing {missing} in: {text}"


@pytest.fixture
def seller(db):
    return factories.issuing_company()


# Mentions by case (CGI art. 242 nonies A, C. com. L441-9, décret 2022-1299) -----------------


@pytest.mark.django_db
def test_a_b2b_invoice_at_normal_vat_carries_every_mention(seller):
    client = factories.business_client(seller)
    facture = issue(
        seller, client,
        [factories.line("Audit", "2", "50"), factories.line("Livre", "1", "10", "5.5")],
        operation_date=date(2026, 3, 10), subject="Mission de mars",
    )  # fmt: skip
    text = rendered(facture)
    assert_contains(
        text,
        f"Facture n° {facture.number}",
        "Date d'émission 15/03/2026",
        "Date de la prestation 10/03/2026",
        "Date d'échéance 14/04/2026",
        # Seller: name, legal form and capital, address, SIRET, RCS, VAT number.
        "Émettrice SAS",
        "SAS au capital de 5 000 €",
        "1 rue du Test",
        "75001 Paris",
        f"SIRET {spaced(seller.siret)}",
        f"RCS Paris {spaced(seller.siren)}",
        f"N° TVA intracommunautaire : {seller.vat_number}",
        # Buyer: name, billing address, SIREN and VAT number.
        "Client Pro SARL",
        "2 avenue des Clients",
        "69001 Lyon",
        f"SIREN {spaced(client.siren)}",
        client.vat_number,
        "Objet : Mission de mars",
        "Nature de l'opération : Prestation de services",
        # Lines: designation, quantity, unit, unit price, VAT rate, net.
        "Désignation Qté Unité PU HT TVA Total HT",
        "Audit 2 unité 50,00 € 20 % 100,00 €",
        "Livre 1 unité 10,00 € 5,5 % 10,00 €",
        # VAT per rate, totals.
        "20 % 100,00 € 20,00 €",
        "5,5 % 10,00 € 0,55 €",
        "Total HT 110,00 €",
        "Total TVA 20,55 €",
        "Total TTC 130,55 €",
        # Payment.
        "Date d'échéance : 14/04/2026 (30 jours)",
        "IBAN : FR76 3000 6000 0112 3456 7890 189",
        "BIC : AGRIFRPP",
        "Pas d'escompte pour paiement anticipé",
        "Pénalités de retard : taux annuel de 12,15 %",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €",
        "D441-5",
        "Page 1 / 1",
    )
    assert "TVA non applicable" not in text
    assert "Autoliquidation" not in text


@pytest.mark.django_db
def test_a_consumer_invoice_has_no_recovery_indemnity(seller):
    client = factories.client(
        seller, name="Marie Martin", kind="particulier", billing_line1="3 place du Marché",
        billing_postal_code="33000", billing_city="Bordeaux",
    )  # fmt: skip
    text = rendered(issue(seller, client, [factories.line("Cours", "1", "80")]))
    assert_contains(
        text,
        "Marie Martin",
        "3 place du Marché",
        "33000 Bordeaux",
        "Total TTC 96,00 €",
        "Pas d'escompte pour paiement anticipé",
        "Pénalités de retard : taux annuel de 12,15 %",
    )
    assert "Indemnité forfaitaire" not in text
    assert "D441-5" not in text


@pytest.mark.django_db
def test_a_franchise_invoice_says_vat_is_not_applicable(db):
    seller = factories.issuing_company(
        "Petit Atelier SARL", legal_form="SARL", vat_regime="franchise"
    )
    client = factories.business_client(seller)
    text = rendered(issue(seller, client, [factories.line("Réparation", "3", "40", "0")]))
    assert_contains(
        text,
        "TVA non applicable, art. 293 B du CGI",
        "SARL au capital de 5 000 €",
        "Réparation 3 unité 40,00 € 0 % 120,00 €",
        "Total HT 120,00 €",
        "Total TVA 0,00 €",
        "Total TTC 120,00 €",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €",
    )
    assert "Option pour le paiement de la taxe" not in text


@pytest.mark.django_db
def test_an_intra_eu_service_is_reverse_charged(seller):
    client = factories.business_client(
        seller, name="Müller GmbH", siren="", vat_number="DE136695976",
        billing_line1="Friedrichstraße 10", billing_postal_code="10117", billing_city="Berlin",
        billing_country="DE",
    )  # fmt: skip
    text = rendered(issue(seller, client, [factories.line("Conseil", "1", "1000", "0")]))
    assert_contains(
        text,
        "Müller GmbH",
        "Friedrichstraße 10",
        "10117 Berlin",
        "ALLEMAGNE",
        "N° TVA intracommunautaire : DE136695976",
        f"N° TVA intracommunautaire : {seller.vat_number}",
        "Autoliquidation",
        "art. 283-2 du CGI",
        "art. 196 de la directive 2006/112/CE",
        "Total TTC 1 000,00 €",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €",
    )
    assert "SIREN" not in text  # a foreign customer has none; its VAT number identifies it


@pytest.mark.django_db
def test_an_intra_eu_supply_of_goods_cites_article_262_ter(seller):
    client = factories.business_client(
        seller, name="Müller GmbH", siren="", vat_number="DE136695976",
        billing_country="DE", billing_postal_code="10117", billing_city="Berlin",
    )  # fmt: skip
    lines = [factories.line("Palette", "2", "300", "0", nature="bien")]
    text = rendered(issue(seller, client, lines))
    assert_contains(
        text,
        "Exonération de TVA, art. 262 ter I du CGI (livraison intracommunautaire)",
        "Nature de l'opération : Livraison de biens",
    )
    assert "art. 283-2" not in text


@pytest.mark.django_db
def test_the_debits_option_and_exemption_reasons_are_printed(db):
    seller = factories.issuing_company(vat_regime="debits")
    client = factories.business_client(seller)
    reason = "Exonération de TVA, art. 261-4-4° du CGI"
    lines = [
        factories.line("Formation", "1", "500", "0", vat_exemption_reason=reason),
        factories.line("Support", "1", "100", nature="bien"),
    ]
    text = rendered(issue(seller, client, lines, notes="Merci de votre confiance."))
    assert_contains(
        text,
        "Option pour le paiement de la taxe d'après les débits",
        "0 %(1)",
        f"(1) {reason}",
        "Livraison de biens et prestation de services",
        "Merci de votre confiance.",
    )


@pytest.mark.django_db
def test_a_credit_note_refers_to_its_invoice(seller):
    client = factories.business_client(seller)
    facture = issue(seller, client, [factories.line("Audit", "2", "50")])
    avoir = facture_emettre(
        facture=avoir_creer(facture=facture, user=None), user=None, today=date(2026, 3, 20)
    )
    text = rendered(avoir)
    assert_contains(
        text,
        f"Avoir n° {avoir.number}",
        f"Avoir sur la facture n° {facture.number} du 15/03/2026",
        "Total TTC de l'avoir 120,00 €",
        "Pénalités de retard",
    )
    assert "IBAN" not in text  # nothing to pay on a credit note


@pytest.mark.django_db
def test_a_sole_trader_is_named_with_ei_and_the_logo_is_drawn(db, tmp_path):
    from PIL import Image

    seller = factories.issuing_company(
        "Jeanne Dupont", legal_form="EI", is_ei=True, share_capital=None, registry="RNE",
        registry_city="",
    )  # fmt: skip
    logo = tmp_path / "logo de l'été.png"
    Image.new("RGB", (120, 40), "#1f6f5c").save(logo)
    facture = issue(seller, factories.business_client(seller), [factories.line()])
    data = render_document_pdf(sealed_content(facture), logo_path=str(logo))
    text = " ".join(pages_text(data))
    assert_contains(text, "Jeanne Dupont EI", "Immatriculation au RNE")
    assert "au capital" not in text
    images = PdfReader(io.BytesIO(data)).pages[0].images
    # The logo, and the transfer's EPC QR code (tests/encaissement/test_epc.py).
    assert len(images) == 2 and (120, 40) in [image.image.size for image in images]


@pytest.mark.django_db
def test_the_content_prints_the_same_before_and_after_its_json_round_trip(seller):
    """Dates are `date` objects before sealing and ISO strings after; the PDF is the same."""
    facture = issue(seller, factories.business_client(seller), [factories.line("Audit")])
    live = document_content(facture, seller=facture.seller, buyer=facture.buyer)
    assert isinstance(live["issue_date"], date)
    assert pages_text(render_document_pdf(live)) == pages_text(
        render_document_pdf(sealed_content(facture))
    )


# Pagination and fonts --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_long_invoice_numbers_its_pages_and_repeats_the_table_header(seller):
    client = factories.business_client(seller)
    description = "Analyse, développement et recette.\nLivrable conforme au cahier des charges."
    lines = [
        factories.line(f"Article n° {n}", "1", "10", description=description) for n in range(1, 151)
    ]
    facture = issue(seller, client, lines)
    pages = pages_text(render_document_pdf(sealed_content(facture)))
    count = len(pages)
    assert count >= 10
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} / {count}" in text
        assert "Désignation Qté Unité PU HT TVA Total HT" in text
        assert f"SIRET {spaced(seller.siret)}" in text  # the seller's identity in every footer
    assert "Article n° 150" in pages[-1]
    assert "Total TTC 1 800,00 €" in pages[-1]
    assert f"Facture n° {facture.number} (suite)" in pages[1]


@pytest.mark.django_db
def test_the_pre_subset_font_is_the_one_embedded(seller):
    """The shipped Latin font is used, so WeasyPrint never subsets the 700 KB system one."""
    facture = issue(seller, factories.business_client(seller), [factories.line("Œuvre « été »")])
    reader = PdfReader(io.BytesIO(render_document_pdf(sealed_content(facture))))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts and all("Encaisse-Sans" in name for name in fonts), fonts
    assert "Œuvre « été »" in pages_text(reader.stream.getvalue())[0]
