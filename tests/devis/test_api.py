"""The quotes API: drafts, send (mentions in 422), read, list, PDF, convert; scoped."""

import pytest

from devis.models import Devis, Statut
from pgi.permissions import Role
from tests import factories
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company("API Devis SAS")


@pytest.fixture
def api(client, seller):
    token = factories.token(factories.member(seller, Role.OWNER))
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_create_send_read_list_pdf_and_convert(api, seller):
    customer = factories.business_client(seller, email="achat@client.fr")
    terms = {k: (v.isoformat() if hasattr(v, "isoformat") else str(v))
             for k, v in quotes.TERMS.items()}  # fmt: skip
    response = api.post("/api/v1/devis/", {
        "client_id": customer.pk, "subject": "Toiture", **terms,
        "lines": [{"designation": "Tuiles", "quantity": "50", "unit_price": "12",
                   "vat_rate": "10.00", "unit": "m²"},
                  {"designation": "Pose", "quantity": "10", "unit_price": "45",
                   "vat_rate": "10.00", "unit": "heure", "category": "main_oeuvre"},
                  {"designation": "Gouttières", "quantity": "1", "unit_price": "300",
                   "optional": True}],
    }, content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.json()
    devis_id = response.json()["id"]
    assert response.json()["status"] == "brouillon"
    assert [line["optional"] for line in response.json()["lines"]] == [False, False, True]

    sent = api.post(
        f"/api/v1/devis/{devis_id}/envoyer",
        {"recipients": ["achat@client.fr"]},
        content_type="application/json",
    )
    assert sent.status_code == 200, sent.json()
    body = sent.json()
    assert body["reference"].startswith("D-") and body["status"] == "envoye"
    assert body["total_excl_vat"] == "1050.00"  # 600 + 450, the option apart
    assert body["public_url"].startswith("http")

    listed = api.get("/api/v1/devis/", {"statut": "envoye"}).json()
    assert [item["id"] for item in listed["items"]] == [devis_id]
    pdf = api.get(f"/api/v1/devis/{devis_id}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    refused = api.post(f"/api/v1/devis/{devis_id}/facturer", {"what": "solde"},
                       content_type="application/json")  # fmt: skip
    assert refused.status_code == 422  # not accepted yet
    devis = Devis.objects.get(pk=devis_id)
    from devis import services

    devis = services.devis_pdf_generer(devis_id=devis.pk)
    services.devis_accepter(devis=devis, name="Client", consent=True, options=[],
                            pdf_sha256=devis.pdf_sha256)  # fmt: skip
    deposit = api.post(
        f"/api/v1/devis/{devis_id}/facturer",
        {"what": "acompte", "percent": "30"},
        content_type="application/json",
    )
    assert deposit.status_code == 201 and deposit.json()["kind"] == "acompte"
    final = api.post(f"/api/v1/devis/{devis_id}/facturer", {"what": "solde"},
                     content_type="application/json")  # fmt: skip
    assert final.status_code == 201 and final.json()["kind"] == "facture"
    assert Devis.objects.get(pk=devis_id).status == Statut.INVOICED
    assert len(api.get(f"/api/v1/devis/{devis_id}").json()["invoices"]) == 2


def test_sending_lists_every_missing_item_in_a_422(api, seller):
    customer = factories.client(seller, name="Sans adresse", kind="particulier")
    created = api.post("/api/v1/devis/", {
        "client_id": customer.pk, "lines": [{"designation": "X", "unit_price": "10"}],
    }, content_type="application/json")  # fmt: skip
    devis_id = created.json()["id"]
    response = api.post(f"/api/v1/devis/{devis_id}/envoyer", {"recipients": ["a@b.fr"]},
                        content_type="application/json")  # fmt: skip
    assert response.status_code == 422
    detail = "\n".join(response.json()["detail"])
    assert "adresse de facturation incomplète" in detail
    assert "« durée estimée » à compléter" in detail


def test_another_companys_quote_is_404(api, seller):
    other = quotes.sent(factories.issuing_company("Autre SAS"))
    assert api.get(f"/api/v1/devis/{other.pk}").status_code == 404
    assert api.get(f"/api/v1/devis/{other.pk}/pdf").status_code == 404
    assert api.delete(f"/api/v1/devis/{other.pk}").status_code == 404
