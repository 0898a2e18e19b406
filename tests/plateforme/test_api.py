"""The e-invoicing platform in the API: an invoice's statuses, received invoices decided."""

from facturation.models import ConnexionPlateforme, FactureRecue
from facturation.plateforme.reception import recues_interroger
from pgi.permissions import Role
from tests import factories
from tests.plateforme.conftest import control, deliver, events
from tests.plateforme.test_reception import arrive, supplier_pdf


def _auth(company, role=Role.OWNER) -> dict:
    return {"HTTP_AUTHORIZATION": "Bearer " + factories.token(factories.member(company, role))}


def test_an_invoice_s_platform_statuses_are_read_through_the_api(
    company, customer, fake_pa, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        facture = factories.issued(company, customer)
    flow_id = facture.flux_pa.get().flow_id
    control(fake_pa, f"/_fake/flows/{flow_id}/status", code="207", reason="Prix contesté")
    connexion = ConnexionPlateforme.objects.get(company=company)
    for event in events(fake_pa):
        deliver(client, connexion, event)
    body = client.get(f"/api/v1/factures/{facture.pk}/plateforme", **_auth(company)).json()
    assert (body["state"], body["flow_id"]) == ("transmis", flow_id)
    assert [s["code"] for s in body["statuses"]] == ["200", "207"]
    assert body["current"]["reason"] == "Prix contesté"
    other = factories.company("Autre SAS")
    assert client.get(f"/api/v1/factures/{facture.pk}/plateforme",
                      **_auth(other)).status_code == 404  # fmt: skip


def test_a_received_invoice_is_refused_through_the_api(company, fake_pa, client):
    data, number = supplier_pdf(company)
    arrive(fake_pa, data)
    recues_interroger(connexion=ConnexionPlateforme.objects.get(company=company))
    headers = _auth(company)
    (listed,) = client.get("/api/v1/factures-recues/?etat=recue", **headers).json()["items"]
    assert listed["number"] == number and listed["total_incl_vat"] == "60.00"
    url = f"/api/v1/factures-recues/{listed['id']}/refus"
    assert client.post(url, {"reason": ""}, content_type="application/json",
                       **headers).status_code == 422  # fmt: skip
    accountant = _auth(company, Role.ACCOUNTANT)
    assert client.post(url, {"reason": "Non commandé"}, content_type="application/json",
                       **accountant).status_code == 403  # fmt: skip
    body = client.post(url, {"reason": "Non commandé"}, content_type="application/json",
                       **headers).json()  # fmt: skip
    assert (body["state"], body["refusal_reason"]) == ("refusee", "Non commandé")
    assert FactureRecue.objects.get().statuts.get().code == "210"
    again = client.post(url, {"reason": "Encore"}, content_type="application/json", **headers)
    assert again.status_code == 422
