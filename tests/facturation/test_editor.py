"""The invoice editor and what surrounds it (issue #15): all-or-nothing save, PDF preview,
duplication, customer picker, price warning, list filters, dashboard links."""

from decimal import Decimal

import pytest
from django.urls import reverse

from facturation.models import Facture
from pgi.permissions import Role
from tests import factories
from tests.conftest import login


@pytest.fixture
def seller(db):
    return factories.issuing_company()


@pytest.fixture
def as_owner(client, seller):
    return login(client, factories.member(seller, Role.OWNER))


def editor_post(facture, lines, **header):
    """The editor's form as the browser sends it: the header, then the line formset."""
    data = {
        "client": facture.client_id, "subject": facture.subject, "operation_date": "",
        "payment_terms_days": facture.payment_terms_days or "", "notes": facture.notes,
        "lignes-TOTAL_FORMS": len(lines), "lignes-INITIAL_FORMS": 0,
        "lignes-MIN_NUM_FORMS": 0, "lignes-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    data.update(header)
    for index, line in enumerate(lines):
        row = {"designation": "Prestation", "quantity": "1", "unit": "unité",
               "unit_price": "100", "discount_rate": "0", "vat_rate": "20.00",
               "nature": "service", **line}  # fmt: skip
        data.update({f"lignes-{index}-{name}": value for name, value in row.items()})
    return data


def test_a_refused_line_saves_nothing_not_even_the_header(as_owner, seller):
    """Nothing half-saved: the editor used to save the header, then have the lines refused,
    leaving the new subject on a draft whose lines the user believed unsaved."""
    draft = factories.draft(seller, subject="Ancien objet")
    url = reverse("facturation:facture_edit", args=[draft.pk])
    response = as_owner.post(
        url, editor_post(draft, [{"quantity": "0"}], subject="Nouvel objet", save="1")
    )
    assert response.status_code == 200
    assert "la quantité doit être positive" in response.content.decode()
    draft.refresh_from_db()
    assert draft.subject == "Ancien objet"
    assert [line.quantity for line in draft.lines.all()] == [Decimal("1")]


def test_a_valid_save_keeps_header_and_lines_together(as_owner, seller):
    draft = factories.draft(seller, subject="Ancien objet")
    url = reverse("facturation:facture_edit", args=[draft.pk])
    response = as_owner.post(
        url, editor_post(draft, [{"quantity": "2", "unit_price": "29,90"}], subject="Nouveau")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.subject == "Nouveau"
    assert [(x.quantity, x.unit_price) for x in draft.lines.all()] == [
        (Decimal("2"), Decimal("29.90"))
    ]
    assert Facture.objects.count() == 1


def pdf_text(data: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return text.translate({0x202F: " ", 0xA0: " ", 0x2009: " "})


def test_the_preview_of_a_draft_is_marked_and_writes_nothing(as_owner, seller):
    """A draft's PDF preview prints as the invoice would, marked « APERÇU — non émise »,
    without a number; the GET stores no PDF, seals nothing and leaves the draft a draft."""
    from facturation.models import DocumentPDF, Status
    from pgi.models import Enregistrement

    draft = factories.draft(seller, lines=[factories.line("Audit de sécurité", "2", "450")])
    sealed = Enregistrement.objects.count()
    response = as_owner.get(reverse("facturation:facture_apercu", args=[draft.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = pdf_text(response.content)
    assert "APERÇU — non émise" in text
    assert "Audit de sécurité" in text and "1 080,00" in text  # 900 HT + 20 % VAT
    assert "F-" not in text  # no number
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.number == "" and draft.issue_date is None
    assert DocumentPDF.objects.count() == 0 and Enregistrement.objects.count() == sealed


def test_the_preview_button_saves_the_draft_then_shows_its_pdf(as_owner, seller):
    draft = factories.draft(seller)
    url = reverse("facturation:facture_edit", args=[draft.pk])
    response = as_owner.post(url, editor_post(draft, [{"designation": "Revue"}], preview="1"))
    assert response.status_code == 302
    assert response["Location"] == reverse("facturation:facture_apercu", args=[draft.pk])
    assert draft.lines.get().designation == "Revue"
    body = as_owner.get(url).content.decode()
    assert 'name="preview"' in body and "Aperçu PDF" in body


def test_a_credit_note_preview_is_masculine_and_issued_documents_have_none(as_owner, seller):
    from facturation.services import avoir_creer

    invoice = factories.issued(seller)
    assert as_owner.get(reverse("facturation:facture_apercu", args=[invoice.pk])).status_code == 404
    avoir = avoir_creer(facture=invoice, user=None, amount_excl_vat=Decimal("10"),
                        vat_rate=Decimal("20"))  # fmt: skip
    response = as_owner.get(reverse("facturation:facture_apercu", args=[avoir.pk]))
    assert "APERÇU — non émis" in pdf_text(response.content)
    assert "non émise" not in pdf_text(response.content)
    theirs = factories.draft(factories.issuing_company("Autre SAS"))
    assert as_owner.get(reverse("facturation:facture_apercu", args=[theirs.pk])).status_code == 404


def test_duplicating_an_issued_invoice_makes_a_draft_with_its_customer_and_lines(as_owner, seller):
    """« Dupliquer »: same customer, subject and lines (catalogue link kept), no number, no
    dates; the original is untouched. POST only: a GET writes nothing."""
    from facturation.models import Status
    from facturation.services import article_enregistrer

    article = article_enregistrer(
        company=seller, article=None,
        fields={"designation": "Heure d'atelier", "unit_price": Decimal("65"), "unit": "heure"},
    )  # fmt: skip
    invoice = factories.issued(
        seller, subject="Maintenance", operation_date="2026-10-01",
        lines=[factories.line("Heure d'atelier", "3", "65", article=article, unit="heure"),
               factories.line("Lampe", "2", "120", nature="bien")],
    )  # fmt: skip
    url = reverse("facturation:facture_duplicate", args=[invoice.pk])
    assert as_owner.get(url).status_code == 405
    response = as_owner.post(url)
    copy = Facture.objects.exclude(pk=invoice.pk).get()
    assert response["Location"] == reverse("facturation:facture_edit", args=[copy.pk])
    assert copy.status == Status.DRAFT and copy.number == "" and copy.kind == "facture"
    assert copy.client_id == invoice.client_id and copy.subject == "Maintenance"
    assert copy.issue_date is None and copy.due_date is None and copy.operation_date is None
    got = [(x.designation, x.quantity, x.unit_price, x.article_id, x.unit, x.nature)
           for x in copy.lines.order_by("position")]  # fmt: skip
    assert got == [("Heure d'atelier", Decimal("3"), Decimal("65"), article.pk, "heure", "service"),
                   ("Lampe", Decimal("2"), Decimal("120"), None, "unité", "bien")]  # fmt: skip
    assert invoice.lines.count() == 2


def test_duplicating_a_credit_note_credits_the_same_invoice(as_owner, seller):
    from facturation.services import avoir_creer, facture_emettre

    invoice = factories.issued(seller, lines=[factories.line("A", "4", "100")])
    avoir = facture_emettre(
        facture=avoir_creer(facture=invoice, user=None, quantities={invoice.lines.get().pk: 1}),
        user=None,
    )
    as_owner.post(reverse("facturation:facture_duplicate", args=[avoir.pk]))
    copy = Facture.objects.get(kind="avoir", status="brouillon")
    assert copy.origin_id == invoice.pk
    assert copy.lines.get().origin_line_id == invoice.lines.get().pk
    assert copy.lines.get().quantity == Decimal("1")


def test_a_prospect_becomes_a_customer_on_its_first_issued_invoice(as_owner, seller):
    from crm.models import ClientStatus

    prospect = factories.business_client(seller, name="Nouveau SARL", status="prospect")
    draft = factories.draft(seller, prospect)
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.PROSPECT  # a draft is not a sale
    as_owner.post(reverse("facturation:facture_issue", args=[draft.pk]))
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.CUSTOMER
