"""The quote's PDF holds every mandatory item of LEGAL.md §1, read back from the PDF text."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader

from devis import services
from devis.delivery import acceptation_pdf_generer
from devis.models import Acceptation
from tests import factories
from tests.devis import factories as quotes
from tests.facturation.test_customer_link import PNG

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def sent_pdf(devis) -> str:
    devis = services.devis_pdf_generer(devis_id=devis.pk)
    with devis.pdf.open("rb") as handle:
        return pdf_text(handle.read())


COMMON = [
    "Devis n° D-",
    "Date du devis",
    "Valable jusqu'au",
    "Début des travaux",
    "14/12/2026",
    "Durée estimée",
    "3 jours",
    # lines: description, quantity, unit, unit price, labour and travel
    "Peinture murale",
    "m²",
    "Main-d'œuvre — Pose",
    "heure",
    "Déplacement",
    "forfait",
    "Options (au choix du client, hors total)",
    "Vernis de protection",
    "Total HT",
    "Total TTC",
    "Paiement : 30 % à la commande",
    "Livraison et exécution : Travaux réalisés sur site",
    "Réclamations et service après-vente : Réclamations par écrit",
    "Révision des prix : Prix fermes",
    "Devis gratuit",
    "Acompte demandé à la commande : 30 %",
    "Bon pour accord",
    "Date :",
    "Nom :",
    "Signature",
]


def test_a_b2b_quote_prints_every_mandatory_item():
    seller = factories.issuing_company("Peintures Martin", legal_form="SARL",
                                       share_capital="7500.00")  # fmt: skip
    client = factories.business_client(seller, name="Bureaux Dupont SAS")
    text = sent_pdf(quotes.sent(seller, client))
    for expected in [
        *COMMON, "Peintures Martin", "SARL au capital de 7 500 €", "1 rue du Test", "75001 Paris",
        "RCS Paris", "N° TVA intracommunautaire : " + seller.vat_number, "Bureaux Dupont SAS",
        "2 avenue des Clients", "SIREN", "TVA", "20 %",
    ]:  # fmt: skip
        assert expected in text, expected
    assert "1 068,00 €" in text  # 890 HT + 20 % VAT, the option apart


def test_a_b2c_quote_prints_the_customer_address_without_siren():
    seller = factories.issuing_company("Plomberie Durand SAS")
    client = factories.client(
        seller, name="Marie Martin", kind="particulier", billing_line1="5 rue des Lilas",
        billing_postal_code="33000", billing_city="Bordeaux", email="marie@example.com",
    )  # fmt: skip
    text = sent_pdf(quotes.sent(seller, client))
    for expected in [*COMMON, "Marie Martin", "5 rue des Lilas", "33000 Bordeaux"]:
        assert expected in text, expected


def test_a_franchise_seller_artisan_prints_293_b_ei_and_its_insurer():
    seller = factories.issuing_company(
        "Jean Maçon", legal_form="EI", is_ei=True, vat_regime="franchise", vat_number="",
        registry="RNE", share_capital=None,
    )  # fmt: skip
    services.parametres_devis_enregistrer(
        company=seller,
        fields={"insurance_required": True, "insurer": "MAAF Pro, 79000 Niort",
                "insurance_area": "France métropolitaine"},
    )  # fmt: skip
    lines = [factories.line("Mur en parpaings", quantity="10", unit_price="80", vat_rate="0"),
             factories.line("Main-d'œuvre", quantity="16", unit_price="40", vat_rate="0",
                            unit="heure", category="main_oeuvre")]  # fmt: skip
    text = sent_pdf(quotes.sent(seller, lines_=lines))
    for expected in [
        "Jean Maçon EI", "TVA non applicable, art. 293 B du CGI", "Immatriculation au RNE",
        "Assurance professionnelle obligatoire : MAAF Pro, 79000 Niort",
        "couverture géographique : France métropolitaine", "Bon pour accord", "Devis gratuit",
    ]:  # fmt: skip
        assert expected in text, expected


def test_a_paid_quote_says_its_price():
    seller = factories.issuing_company()
    text = sent_pdf(quotes.sent(seller, is_paid_quote=True, quote_price="49.00"))
    assert "Devis payant : 49,00 € TTC" in text


def test_the_signed_copy_fills_in_the_acceptance_block(django_capture_on_commit_callbacks):
    seller = factories.issuing_company(brand_color="#c2410c")
    seller.logo.save("logo.png", ContentFile(PNG))
    devis = quotes.accepted(seller, options=[4])
    acceptation = acceptation_pdf_generer(acceptation_id=Acceptation.objects.get(devis=devis).pk)
    with acceptation.signed_pdf.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "accepté en ligne par Jeanne Client" in text
    assert "Options retenues par le client : Vernis de protection" in text
    assert "Total accepté : 1 308,00 €" in text  # (890 + 200) × 1.2
    assert devis.pdf_sha256 in text.replace(" ", "")
