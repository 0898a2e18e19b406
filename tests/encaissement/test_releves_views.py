"""Bank statement pages: upload → preview → import, suggestions confirmed in one click or in
bulk, lines dismissed; scoped to the company and the role (issue #16)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from encaissement.releves import services
from encaissement.releves.models import CompteBancaire, LigneReleve, Releve
from facturation.selectors import facture_lire
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

FIXTURES = Path(__file__).parent / "fixtures"
D = Decimal
LINES = reverse("encaissement:releves:ligne_list")
UPLOAD = reverse("encaissement:releves:import_upload")


@pytest.fixture
def company(db):
    return factories.issuing_company()


@pytest.fixture
def owner(client, company):
    return login(client, factories.member(company, Role.OWNER))


def _csv_invoice(company):
    """An invoice of 120.00 whose number is in the CSV built below."""
    facture = factories.issued(company, factories.business_client(company, name="Cabinet Leroy"))
    content = (
        "Date opération;Libellé;Débit;Crédit\n"
        f"12/11/2026;VIR SEPA {facture.number} CABINET LEROY;;120,00\n"
        "13/11/2026;FRAIS BANCAIRES;-8,50;\n"
    ).encode("cp1252")
    return facture, content


def test_upload_preview_import_then_confirm_a_suggestion(owner, company):
    """The owner uploads a CSV (Windows-1252, French dates and amounts), sees the guessed
    column mapping and the preview (nothing imported yet), imports, then confirms the
    suggested invoice in one click: the invoice is paid by a sealed transfer."""
    facture, content = _csv_invoice(company)
    response = owner.post(UPLOAD, {"file": SimpleUploadedFile("releve.csv", content)})
    releve = Releve.objects.get(company=company)
    assert response.status_code == 302
    preview = owner.get(response["Location"])
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "2 nouvelles opérations" in html
    assert "VIR SEPA" in html
    assert not LigneReleve.objects.exists()  # a GET never writes
    mapping = {"delimiter": ";", "header": "on", "date": "0", "label": "1", "debit": "2",
               "credit": "3"}  # fmt: skip
    response = owner.post(response["Location"], mapping)
    assert response.status_code == 302
    releve.refresh_from_db()
    assert (releve.state, releve.imported) == (Releve.State.IMPORTED, 2)
    assert CompteBancaire.objects.get(company=company).csv_mapping["credit"] == 3
    page = owner.get(LINES)
    assert facture.number in page.content.decode()
    suggestion = LigneReleve.objects.get(amount=D("120.00")).suggestions.get()
    url = reverse("encaissement:releves:suggestion_confirmer", args=[suggestion.pk])
    response = owner.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Rapprochée" in response.content.decode()
    assert facture_lire(company=company, pk=facture.pk).amount_due == 0


def test_a_bad_file_shows_the_line_and_imports_nothing(owner, company):
    """The preview names the bad line in French; importing anyway is refused, all or
    nothing."""
    content = "Date;Libellé;Montant\n01/11/2026;A;10,00\n45/11/2026;B;5,00\n".encode()
    response = owner.post(UPLOAD, {"file": SimpleUploadedFile("r.csv", content)})
    preview = owner.get(response["Location"])
    assert "Ligne 3 : la date « 45/11/2026 » n&#x27;est pas une date" in preview.content.decode()
    mapping = {"delimiter": ";", "header": "on", "date": "0", "label": "1", "amount": "2"}
    refused = owner.post(response["Location"], mapping)
    assert refused.status_code == 200
    assert "Rien n'a été importé" in refused.content.decode()
    assert not LigneReleve.objects.exists()


def test_bulk_confirm_and_dismiss(owner, company):
    """Ticked suggestions are confirmed together; a bank fee is dismissed with its reason."""
    facture, content = _csv_invoice(company)
    mapping = {"delimiter": ";", "header": True, "date": 0, "label": 1, "debit": 2, "credit": 3}
    releve = services.releve_deposer(company=company, user=None, filename="r.csv", content=content)
    services.releve_importer(releve=releve, user=None, mapping=mapping)
    suggestion = LigneReleve.objects.get(amount=D("120.00")).suggestions.get()
    response = owner.post(
        reverse("encaissement:releves:suggestions_confirmer"), {"suggestion": [suggestion.pk]}
    )
    assert response.status_code == 302
    assert facture_lire(company=company, pk=facture.pk).amount_due == 0
    fee = LigneReleve.objects.get(amount=D("-8.50"))
    unmatched = owner.get(LINES + "?onglet=sans_correspondance").content.decode()
    assert "FRAIS BANCAIRES" in unmatched
    owner.post(
        reverse("encaissement:releves:ligne_ecarter", args=[fee.pk]), {"reason": "Frais bancaires"}
    )
    fee.refresh_from_db()
    assert (fee.status, fee.dismiss_reason) == (LigneReleve.Status.DISMISSED, "Frais bancaires")


def test_roles_and_companies(client, company, django_assert_max_num_queries):
    """The accountant reads the lines but cannot import nor confirm (403); another company's
    line does not exist (404); the lines page reads a bounded number of queries."""
    facture, content = _csv_invoice(company)
    mapping = {"delimiter": ";", "header": True, "date": 0, "label": 1, "debit": 2, "credit": 3}
    releve = services.releve_deposer(company=company, user=None, filename="r.csv", content=content)
    services.releve_importer(releve=releve, user=None, mapping=mapping)
    suggestion = LigneReleve.objects.get(amount=D("120.00")).suggestions.get()
    login(client, factories.member(company, Role.ACCOUNTANT))
    with django_assert_max_num_queries(14):
        assert client.get(LINES).status_code == 200
    assert client.get(UPLOAD).status_code == 403
    confirm = reverse("encaissement:releves:suggestion_confirmer", args=[suggestion.pk])
    assert client.post(confirm).status_code == 403
    other = factories.issuing_company("Autre SAS")
    login(client, factories.member(other, Role.OWNER))
    assert client.post(confirm).status_code == 404
    line = LigneReleve.objects.get(amount=D("120.00"))
    affecter = reverse("encaissement:releves:ligne_affecter", args=[line.pk])
    assert client.get(affecter).status_code == 404
    assert facture_lire(company=company, pk=facture.pk).amount_due == D("120.00")


def test_the_owner_turns_auto_confirm_on(owner, company):
    """Only the owner changes the auto-confirm setting; staff cannot."""
    url = reverse("encaissement:releves:reglages")
    owner.post(url, {"auto_confirm": "on"})
    assert services.reglages(company).auto_confirm
    staff = factories.member(company, Role.STAFF)
    login(owner, staff)
    assert owner.post(url, {}).status_code == 403
    assert services.reglages(company).auto_confirm
