"""The EPC QR code ("SEPA QR") that a banking app scans, on the invoice PDF and on the
customer's payment page (issue #16): it decodes to a valid EPC payload with the company's
IBAN, the amount due and the invoice number."""

from decimal import Decimal

import pytest

from facturation.pdf import render_document_pdf
from facturation.services import avoir_creer, facture_emettre, facture_pdf_generer
from tests import factories
from tests.encaissement.epc import decode_pdf
from tests.facturation.test_pdf import sealed_content

D = Decimal


@pytest.fixture
def company(db):
    return factories.issuing_company("Atelier QR SAS")


def test_the_invoice_pdf_carries_the_transfer_qr_code_of_its_total(company):
    """A newly issued invoice prints the EPC code of its total incl. VAT (the amount due at
    issue), the company's IBAN and BIC, its number as the reference."""
    facture = factories.issued(company, lines=[factories.line(unit_price="1234.56")])
    pdf = facture_pdf_generer(facture_id=facture.pk)
    with pdf.file.open("rb") as handle:
        codes = decode_pdf(handle.read())
    assert len(codes) == 1
    transfer = codes[0]
    assert transfer.iban == company.iban
    assert transfer.bic == company.bic
    assert transfer.name == "Atelier QR SAS"
    assert transfer.amount == facture.total_incl_vat == D("1481.47")
    assert transfer.text == facture.number


def test_no_transfer_qr_code_without_an_iban_nor_on_a_credit_note(company):
    """Nothing to scan when there is no account to pay into, or nothing to pay (credit note)."""
    facture = factories.issued(company)
    avoir = avoir_creer(facture=facture, user=None)
    avoir = facture_emettre(facture=avoir, user=None)
    assert decode_pdf(render_document_pdf(sealed_content(avoir))) == []
    no_iban = factories.issuing_company("Sans IBAN SAS", iban="", bic="")
    other = factories.issued(no_iban)
    assert decode_pdf(render_document_pdf(sealed_content(other))) == []


def test_a_draft_preview_carries_no_transfer_qr_code(client, company):
    """A preview has no number yet: nothing a bank could use as the reference, so nothing to
    scan (the seller has an IBAN; its issued invoices do carry the code)."""
    from django.urls import reverse

    from pgi.permissions import Role
    from tests.conftest import login

    login(client, factories.member(company, Role.OWNER))
    draft = factories.draft(company)
    response = client.get(reverse("facturation:facture_apercu", args=[draft.pk]))
    assert response.status_code == 200
    assert decode_pdf(response.content) == []
