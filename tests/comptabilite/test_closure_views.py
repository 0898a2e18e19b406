import zipfile
from datetime import date

import pytest
from django.urls import reverse

from comptabilite.archives import archive_verifier
from comptabilite.models import Cloture
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories
from tests.conftest import login


@pytest.fixture
def company_with_january(db):
    company = factories.issuing_company()
    facture_emettre(facture=factories.draft(company), user=None, today=date(2026, 1, 10))
    return company


def test_accountant_closes_a_month_and_downloads_its_pdf_and_signed_archive(
    client, company_with_january, tmp_path
):
    login(client, factories.member(company_with_january, Role.ACCOUNTANT))
    page = client.get(reverse("comptabilite:clotures")).content.decode()
    assert 'value="2026-01-01"' in page  # January is offered for closing
    response = client.post(
        reverse("comptabilite:cloture_creer"), {"kind": "mensuelle", "start": "2026-01-01"}
    )
    assert response.status_code == 302
    cloture = Cloture.objects.get(company=company_with_january)
    assert cloture.reference == "CLOTURE-M-2026-01"
    pdf = client.get(reverse("comptabilite:cloture_pdf", args=[cloture.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    archive = client.get(reverse("comptabilite:cloture_archive", args=[cloture.pk]))
    path = tmp_path / "archive.zip"
    path.write_bytes(b"".join(archive.streaming_content))
    assert "manifest.json" in zipfile.ZipFile(path).namelist()
    assert archive_verifier(path).ok


def test_staff_cannot_close(client, company_with_january):
    login(client, factories.member(company_with_january, Role.STAFF))
    response = client.post(
        reverse("comptabilite:cloture_creer"), {"kind": "mensuelle", "start": "2026-01-01"}
    )
    assert response.status_code == 403
    assert not Cloture.objects.exists()


def test_closing_an_unfinished_month_shows_the_reason(client, company_with_january):
    login(client, factories.member(company_with_january, Role.OWNER))
    response = client.post(
        reverse("comptabilite:cloture_creer"), {"kind": "mensuelle", "start": "2099-01-01"},
        follow=True,
    )  # fmt: skip
    assert "alert-danger" in response.content.decode()
    assert not Cloture.objects.exists()
