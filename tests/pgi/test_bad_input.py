"""Bad input on the kernel's paths gets a clear answer, never a 500 (issue #15)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Client
from pgi.permissions import Role
from tests import factories
from tests.conftest import login


@pytest.fixture
def owner(db):
    return factories.member(factories.issuing_company(), Role.OWNER)


@pytest.fixture
def headers(owner):
    return {"Authorization": f"Bearer {factories.token(owner)}"}


def test_an_api_body_over_the_limit_is_a_413_in_json(client, headers, settings):
    """Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): the API says so in
    JSON and French with 413, not with an HTML 400/500 page; nothing is saved."""
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = client.post(
        "/api/v1/clients/", body, content_type="application/json", headers=headers
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "Requête trop volumineuse : 2,5 Mo au plus."}
    assert not Client.objects.filter(name__startswith="xxx").exists()


def test_a_body_under_the_limit_passes(client, headers):
    body = json.dumps({"name": "Atelier", "notes": "x" * 2_000_000})
    response = client.post(
        "/api/v1/clients/", body, content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "path",
    ["/api/v1/clients/?q=a%00b", "/api/v1/factures/?q=a%00b", "/api/v1/articles/?q=a%00b"],
)
def test_a_nul_byte_in_an_api_search_is_not_a_500(client, headers, path):
    """PostgreSQL refuses a NUL byte in text: the search answered 500."""
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


@pytest.mark.parametrize("name", ["crm:client_list", "facturation:facture_list"])
def test_a_nul_byte_in_a_page_search_is_not_a_500(client, owner, name):
    login(client, owner)
    factories.business_client(owner.company, name="Atelier Bois")
    response = client.get(reverse(name) + "?q=Atelier%00")
    assert response.status_code == 200


def test_a_nul_byte_in_a_customer_name_via_the_api_is_cleaned(client, headers, owner):
    """Created and renamed through the API: the NUL byte is dropped where the text enters."""
    response = client.post(
        "/api/v1/clients/", {"kind": "entreprise", "name": "Atelier\x00 Bois"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = client.put(
        f"/api/v1/clients/{pk}", {"kind": "entreprise", "name": "Atelier\x00 Chêne"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert Client.objects.get(pk=pk).name == "Atelier Chêne"


def test_a_nul_byte_in_a_csv_import_is_cleaned_at_preview_and_confirm(client, owner):
    """Through the two steps of the import page: the preview shows the cleaned name, the
    confirmation stores it (it answered 500)."""
    login(client, owner)
    upload = SimpleUploadedFile(
        "clients.csv", b"nom;type\nAtelier\x00 Bois;entreprise\n", "text/csv"
    )
    preview = client.post(reverse("crm:client_import"), {"file": upload})
    assert preview.status_code == 200 and "Atelier Bois" in preview.content.decode()
    confirm = client.post(reverse("crm:client_import"), {"confirm": "1"})
    assert confirm.status_code == 302
    assert list(
        Client.objects.filter(company=owner.company, name__startswith="Atelier").values_list(
            "name", flat=True
        )
    ) == ["Atelier Bois"]
