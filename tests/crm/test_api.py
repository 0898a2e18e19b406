import pytest

from crm.models import Client
from pgi.permissions import Role
from tests import factories

API = "/api/v1/clients/"


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.django_db
def test_api_requires_a_valid_token(client, owner_a):
    assert client.get(API).status_code == 401
    assert client.get(API, headers=auth("enc_dead_beef")).status_code == 401


@pytest.mark.django_db
def test_revoked_token_is_refused(client, owner_a):
    from pgi.models import ApiToken
    from pgi.services import api_token_revoke

    secret = factories.token(owner_a)
    assert client.get(API, headers=auth(secret)).status_code == 200
    api_token_revoke(token=ApiToken.objects.get(membership=owner_a))
    assert client.get(API, headers=auth(secret)).status_code == 401


@pytest.mark.django_db
def test_create_read_update_a_customer(client, owner_a):
    headers = auth(factories.token(owner_a))
    response = client.post(
        API,
        {"name": "API SARL", "siren": "552081317"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["siren"] == "552081317"
    url = f"{API}{created['id']}"
    assert client.get(url, headers=headers).json()["name"] == "API SARL"
    response = client.patch(
        url, {"status": "client"}, content_type="application/json", headers=headers
    )
    assert response.json()["status"] == "client"
    assert Client.objects.get().company == owner_a.company


@pytest.mark.django_db
def test_invalid_siren_is_a_422_with_the_field(client, owner_a):
    response = client.post(
        API, {"name": "X", "siren": "552081318"}, content_type="application/json",
        headers=auth(factories.token(owner_a)),
    )  # fmt: skip
    assert response.status_code == 422
    assert "siren" in response.json()["fields"]


@pytest.mark.django_db
def test_another_companys_customer_is_a_404_in_the_api(client, owner_a, company_b):
    theirs = factories.client(company_b, name="Secret")
    headers = auth(factories.token(owner_a))
    assert client.get(f"{API}{theirs.pk}", headers=headers).status_code == 404
    response = client.patch(
        f"{API}{theirs.pk}", {"name": "Volé"}, content_type="application/json", headers=headers
    )
    assert response.status_code == 404
    assert client.get(API, headers=headers).json()["count"] == 0


@pytest.mark.django_db
def test_accountant_token_reads_but_cannot_create(client, company_a):
    accountant = factories.member(company_a, Role.ACCOUNTANT)
    factories.client(company_a, name="Lisible")
    headers = auth(factories.token(accountant))
    assert client.get(API, headers=headers).json()["items"][0]["name"] == "Lisible"
    response = client.post(API, {"name": "Non"}, content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert not Client.objects.filter(name="Non").exists()


@pytest.mark.django_db
def test_openapi_schema_is_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/clients/" in schema["paths"]


@pytest.mark.django_db
def test_api_docs_page_loads_no_third_party_resource(client):
    body = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in body
    assert "http" not in body.replace('href="/', "").replace('src="/', "")
