"""The printed layout every commercial document shares (pgi.pdf, templates/documents/pdf/)."""

import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.template import engines
from pypdf import PdfReader

from facturation.services import facture_emettre
from pgi import pdf
from pgi.models import Enregistrement
from pgi.pdf import LocalFileFetcher, brand_colours, layout_context, render_pdf
from pgi.templatetags import pdf_format as fmt
from tests import factories

# What a quote's template would be: the shared layout with its own dates and conditions.
QUOTE_TEMPLATE = """{% extends "documents/pdf/base.html" %}{% load pdf_format %}
{% block dates %}<tr><th>Date du devis</th><td>{{ doc.issue_date|date_fr }}</td></tr>
<tr><th>Valable jusqu'au</th><td>{{ doc.valid_until|date_fr }}</td></tr>{% endblock %}
{% block conditions %}<div class="acceptance"><h2>Bon pour accord</h2>
<p>Date et signature du client :</p></div>{% endblock %}"""


@pytest.mark.django_db
def test_another_document_reuses_the_layout_with_its_own_title_dates_and_conditions():
    seller = factories.issuing_company()
    facture = facture_emettre(
        facture=factories.draft(seller, lines=[factories.line("Audit", "2", "50")]),
        user=None,
        today=date(2026, 3, 15),
    )
    record = Enregistrement.objects.get(company=seller, reference=facture.number)
    content = json.loads(bytes(record.payload))["doc"]
    content |= {"type": "devis", "number": "D-2026-00001", "valid_until": "2026-04-14"}

    context = {**layout_context(content), "title": "Devis"}
    html = engines["django"].from_string(QUOTE_TEMPLATE).render(context)
    reader = PdfReader(io.BytesIO(render_pdf(html, logo=context["logo"])))
    text = re.sub(r"\s+", " ", reader.pages[0].extract_text().replace("\u202f", " "))

    for printed in (
        "Devis n° D-2026-00001",
        "Date du devis 15/03/2026",
        "Valable jusqu'au 14/04/2026",
        "SAS au capital de 5 000 €",  # the parties
        "Audit 2 unité 50,00 € 20 % 100,00 €",  # the lines
        "Total TTC 120,00 €",  # the totals
        "BON POUR ACCORD Date et signature du client :",  # its own conditions
        "Page 1 / 1",
    ):
        assert printed in text, f"missing {printed!r} in: {text}"
    assert "Facture" not in text and "RÈGLEMENT" not in text  # nothing of the invoice


def test_french_formats():
    assert fmt.date_fr("2026-03-15") == "15/03/2026"
    assert fmt.date_fr(date(2026, 1, 2)) == "02/01/2026"
    assert fmt.eur("1234.5") == "1\u202f234,50\u00a0€"
    assert fmt.eur_round("40.00") == "40\u00a0€"
    assert fmt.eur_round("1500.50") == "1\u202f500,50\u00a0€"
    assert fmt.price("12.5000") == "12,50\u00a0€"
    assert fmt.price("0.1234") == "0,1234\u00a0€"
    assert fmt.quantity("2.000") == "2"
    assert fmt.quantity(Decimal("1500.50")) == "1\u202f500,5"
    assert fmt.percent("5.50") == "5,5\u202f%"
    assert fmt.percent("20.00") == "20\u202f%"
    assert fmt.siren("12345678200014") == "123\u00a0456\u00a0782\u00a000014"
    assert fmt.iban("FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"
    assert fmt.country("DE") == "Allemagne"
    assert fmt.country("FR") == ""


def test_a_pale_brand_colour_is_darkened_for_text_only():
    colours = brand_colours("#f5d90a")
    assert colours["brand"] == "#f5d90a" and colours["on_brand"] == "#000000"
    assert colours["brand_text"] != "#f5d90a"
    assert brand_colours("#1f6f5c")["brand_text"] == "#1f6f5c"
    assert brand_colours("red; }")["brand"] == pdf.DEFAULT_BRAND


def test_the_renderer_only_reads_its_own_files(tmp_path):
    logo = tmp_path / "logo société.png"
    logo.write_bytes(b"png")
    fetcher = LocalFileFetcher({logo})
    assert fetcher(logo.as_uri()).read() == b"png"
    for url in ("https://example.com/x.png", "file:///etc/passwd", "data:text/plain,x"):
        with pytest.raises(ValueError):
            fetcher(url)
