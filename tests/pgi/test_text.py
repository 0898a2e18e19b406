"""Control characters (a Word manual line break is \\x0b) never reach a document (pgi.text).

XML 1.0 forbids them: an invoice holding one had a Factur-X that could never be built, a PDF
that answered 500 and an email that never left (issue #23). They are cleaned where text
enters (forms, API, CSV import) and where it leaves (the Factur-X builder).
"""

import pytest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from crm.importing import clients_importer
from crm.models import Client
from facturation.models import Facture
from facturation.services import facture_pdf_generer
from pgi.text import clean_strings, clean_text
from tests import factories
from tests.conftest import login

WORD_BREAK = "\x0b"


def test_manual_line_breaks_become_newlines_and_other_controls_go():
    assert clean_text("Dupont\x0bet fils\x00\x07 SARL\x7f") == "Dupont\net fils SARL"
    assert clean_text("Dupont\x0bet fils", single_line=True) == "Dupont et fils"
    assert clean_text("Tab\tLF\nCR\r stay") == "Tab\tLF\nCR\r stay"
    assert clean_strings({"a": ["x\x0cy", 1], "b": None}) == {"a": ["x\ny", 1], "b": None}


@pytest.mark.django_db
def test_a_form_cleans_what_is_pasted(client, owner_a):
    login(client, owner_a)
    response = client.post(
        reverse("crm:client_create"),
        {"kind": "particulier", "status": "prospect", "name": f"Léa{WORD_BREAK}Martin",
         "billing_country": "FR", "notes": f"ligne 1{WORD_BREAK}ligne 2"},
    )  # fmt: skip
    assert response.status_code == 302
    created = Client.objects.get(company=owner_a.company)
    assert (created.name, created.notes) == ("Léa Martin", "ligne 1\nligne 2")


@pytest.mark.django_db
def test_the_api_cleans_what_it_is_sent(client, owner_a):
    secret = factories.token(owner_a)
    response = client.post(
        "/api/v1/clients/",
        {"kind": "particulier", "name": f"Paul{WORD_BREAK}Durand\x00", "billing_country": "FR"},
        content_type="application/json", headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert Client.objects.get(pk=response.json()["id"]).name == "Paul\nDurand"


@pytest.mark.django_db
def test_a_csv_import_cleans_each_cell(company_a):
    created, skipped = clients_importer(
        company=company_a, text=f"nom;type\nAtelier{WORD_BREAK}Bois;entreprise\n"
    )
    assert (created, skipped) == (1, 0)
    assert Client.objects.get(company=company_a).name == "Atelier Bois"


@pytest.mark.django_db
def test_text_stored_before_cleaning_still_gives_a_pdf_and_its_factur_x():
    """What is already sealed with a control character renders: the builders clean it."""
    company = factories.issuing_company()
    buyer = factories.business_client(company, name=f"Client{WORD_BREAK}Pro SARL")
    facture = factories.issued(
        company, buyer, lines=[factories.line(designation=f"Pose{WORD_BREAK}et réglage")]
    )
    pdf = facture_pdf_generer(facture_id=facture.pk)
    with pdf.file.open("rb") as handle:
        reader = PdfReader(handle)
        text = "".join(page.extract_text() for page in reader.pages)
        xml = reader.attachments["factur-x.xml"][0]
    assert "Pose et réglage" in text and "\x0b" not in text
    tree = etree.fromstring(xml)
    names = tree.xpath("//*[local-name()='BuyerTradeParty']/*[local-name()='Name']/text()")
    assert names == ["Client\nPro SARL"]
    assert Facture.objects.get(pk=facture.pk).pdf.sha256 == pdf.sha256


def test_a_single_line_field_never_keeps_a_line_break():
    assert clean_text("Facture\r\nBcc: x@exemple.fr", single_line=True) == (
        "Facture Bcc: x@exemple.fr"
    )


@pytest.mark.django_db
def test_an_email_subject_with_a_line_break_is_sent_on_one_line(
    client, django_capture_on_commit_callbacks
):
    """Issue #15: the subject was accepted, then the worker failed on the header and the
    email was never sent."""
    from django.core import mail

    from pgi.permissions import Role

    seller = factories.issuing_company()
    login(client, factories.member(seller, Role.OWNER))
    facture = factories.issued(seller)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("facturation:facture_send", args=[facture.pk]),
            {"recipients": "client@exemple.fr", "subject": "Votre facture\nBcc: x@exemple.fr",
             "body": "Bonjour"},
        )  # fmt: skip
    assert response.status_code == 302
    assert [m.subject for m in mail.outbox] == ["Votre facture Bcc: x@exemple.fr"]
