"""Bank statements API (issue #16): upload, lines, matches, confirm, dismiss; scoped to the
token's company and role."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from encaissement.releves.models import LigneReleve
from facturation.selectors import facture_lire
from pgi.permissions import Role
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"
D = Decimal
BASE = "/api/v1/releves"


@pytest.fixture
def company(db):
    return factories.issuing_company()


def _auth(company, role=Role.OWNER) -> dict:
    return {"HTTP_AUTHORIZATION": "Bearer " + factories.token(factories.member(company, role))}


def test_upload_preview_then_import_lines_matches_confirm(client, company):
    """A preview imports nothing; the import gives its counts, a second one only duplicates;
    the credit line's match is confirmed and pays the invoice."""
    customer = factories.business_client(company, name="Boulangerie Martin")
    facture = factories.issued(company, customer, lines=[factories.line(unit_price="200")])
    auth = _auth(company)
    content = (FIXTURES / "releve.camt053.xml").read_bytes()
    preview = client.post(
        BASE + "/", {"file": SimpleUploadedFile("r.xml", content), "apercu": "true"}, **auth
    )
    assert preview.status_code == 200, preview.content
    assert (preview.json()["new"], preview.json()["id"]) == (3, None)
    assert not LigneReleve.objects.exists()
    first = client.post(BASE + "/", {"file": SimpleUploadedFile("r.xml", content)}, **auth)
    assert first.status_code == 201, first.content
    assert (first.json()["imported"], first.json()["duplicates"]) == (3, 0)
    again = client.post(BASE + "/", {"file": SimpleUploadedFile("r.xml", content)}, **auth)
    assert (again.json()["imported"], again.json()["duplicates"]) == (0, 3)

    lines = client.get(BASE + "/lignes?onglet=a_rapprocher", **auth).json()["items"]
    assert len(lines) == 1
    line = lines[0]
    assert line["amount"] == "240.00"
    matches = client.get(f"{BASE}/lignes/{line['id']}/correspondances", **auth).json()
    assert matches[0]["facture_id"] == facture.pk
    assert set(matches[0]["reasons"]) == {"nom", "montant"}
    done = client.post(
        f"{BASE}/lignes/{line['id']}/confirmer",
        {"suggestion_id": matches[0]["id"]},
        content_type="application/json",
        **auth,
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "rapprochee"
    assert facture_lire(company=company, pk=facture.pk).amount_due == 0

    debit = client.get(BASE + "/lignes?onglet=sans_correspondance", **auth).json()["items"][0]
    dismissed = client.post(
        f"{BASE}/lignes/{debit['id']}/ecarter",
        {"reason": "Frais bancaires"},
        content_type="application/json",
        **auth,
    )
    assert dismissed.json()["status"] == "ecartee"


def test_roles_and_companies_and_errors(client, company):
    """An accountant reads but cannot upload (403); another company's line is a 404; a bad
    file is a 422 naming the line."""
    auth = _auth(company)
    content = (FIXTURES / "releve.ofx").read_bytes()
    client.post(BASE + "/", {"file": SimpleUploadedFile("r.ofx", content)}, **auth)
    line = LigneReleve.objects.filter(company=company).first()
    accountant = _auth(company, Role.ACCOUNTANT)
    assert client.get(BASE + "/lignes", **accountant).status_code == 200
    refused = client.post(BASE + "/", {"file": SimpleUploadedFile("r.ofx", content)}, **accountant)
    assert refused.status_code == 403
    other = _auth(factories.issuing_company("Autre SAS"))
    assert client.get(f"{BASE}/lignes/{line.pk}/correspondances", **other).status_code == 404
    bad = "Date;Libellé;Montant\n01/11/2026;A;dix\n".encode()
    response = client.post(BASE + "/", {"file": SimpleUploadedFile("r.csv", bad)}, **auth)
    assert response.status_code == 422
    assert "Ligne 2" in response.json()["detail"][0]
