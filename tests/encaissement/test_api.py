"""The payments API under /api/v1/ (issue #16): record, read, list, allocate, reverse, a
customer's balance, the payment link of an invoice; scoped to the token's company and role."""

from decimal import Decimal

import pytest
from django.utils import timezone

from encaissement.models import Paiement
from facturation.public import facture_from_token
from pgi.permissions import Role
from tests import factories

API = "/api/v1"
D = Decimal
TODAY = timezone.localdate().isoformat()


@pytest.fixture
def seller(db):
    return factories.issuing_company("API Paiements SAS")


@pytest.fixture
def buyer(seller):
    return factories.business_client(seller)


def _api(client, membership):
    headers = {"Authorization": f"Bearer {factories.token(membership)}"}

    class Api:
        def get(self, path, **params):
            return client.get(f"{API}{path}", params, headers=headers)

        def post(self, path, data=None):
            return client.post(f"{API}{path}", data or {}, content_type="application/json",
                               headers=headers)  # fmt: skip

    return Api()


@pytest.fixture
def api(client, seller):
    return _api(client, factories.member(seller, Role.OWNER))


def test_record_read_list_allocate_reverse_and_the_balance(api, seller, buyer):
    """A payment recorded through the API is the same sealed payment as in the UI: allocated,
    the rest as credit, allocated later, reversed by a new record; the balance follows."""
    first = factories.issued(seller, buyer)  # 120.00
    second = factories.issued(seller, buyer)  # 120.00
    response = api.post("/paiements/", {
        "client_id": buyer.pk, "date": TODAY, "amount": "200.00", "method": "virement",
        "reference": "VIR 42", "allocations": [{"facture_id": first.pk, "amount": "120.00"}],
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("ENC-") and D(body["available"]) == D("80.00")
    assert body["allocations"][0]["facture_number"] == first.number
    assert [D(v["rate"]) for v in body["allocations"][0]["ventilation"]] == [D("20")]

    solde = api.get(f"/clients/{buyer.pk}/solde").json()
    assert (D(solde["credit"]), D(solde["amount_due"]), D(solde["balance"])) == (
        D("80.00"), D("120.00"), D("40.00"))  # fmt: skip

    rest = {"allocations": [{"facture_id": second.pk, "amount": "80.00"}]}
    allocated = api.post(f"/paiements/{body['id']}/affectations", rest)
    assert allocated.status_code == 200 and D(allocated.json()["available"]) == D("0.00")
    assert api.get("/paiements/", client_id=buyer.pk).json()["count"] == 1

    too_much = api.post(f"/paiements/{body['id']}/affectations",
                        {"allocations": [{"facture_id": second.pk, "amount": "1.00"}]})  # fmt: skip
    assert too_much.status_code == 422

    reversed_ = api.post(f"/paiements/{body['id']}/annulation", {"reason": "Erreur de saisie"})
    assert reversed_.status_code == 201
    assert reversed_.json()["kind"] == "annulation" and D(reversed_.json()["amount"]) == D("-200")
    assert api.get(f"/paiements/{body['id']}").json()["reversed_by"] == reversed_.json()["number"]
    solde = api.get(f"/clients/{buyer.pk}/solde").json()
    assert (D(solde["credit"]), D(solde["amount_due"])) == (D("0"), D("240.00"))


def test_the_payment_link_of_an_invoice(api, seller, buyer):
    """The link the customer pays from: the invoice's signed public page."""
    facture = factories.issued(seller, buyer)
    body = api.get(f"/factures/{facture.pk}/lien-de-paiement").json()
    assert D(body["amount_due"]) == D("120.00") and body["state"] == "a_payer"
    assert body["online_payment"] is False
    token = body["url"].rstrip("/").rsplit("/", 1)[1]
    assert facture_from_token(token).pk == facture.pk
    draft = factories.draft(seller, buyer)
    assert api.get(f"/factures/{draft.pk}/lien-de-paiement").status_code == 404


def test_another_company_and_a_read_only_role(client, seller, buyer):
    """Another company's payments do not exist for a token; a read-only role cannot record."""
    facture = factories.issued(seller, buyer)
    owner = _api(client, factories.member(seller, Role.OWNER))
    paiement = owner.post("/paiements/", {
        "client_id": buyer.pk, "date": TODAY, "amount": "10.00", "method": "especes",
    }).json()  # fmt: skip
    other = factories.issuing_company("Autre API SAS")
    stranger = _api(client, factories.member(other, Role.OWNER))
    assert stranger.get(f"/paiements/{paiement['id']}").status_code == 404
    assert stranger.get(f"/factures/{facture.pk}/lien-de-paiement").status_code == 404
    assert stranger.get(f"/clients/{buyer.pk}/solde").status_code == 404
    reader = _api(client, factories.member(seller, Role.ACCOUNTANT))
    assert reader.get(f"/paiements/{paiement['id']}").status_code == 200
    refused = reader.post("/paiements/", {"client_id": buyer.pk, "date": TODAY,
                                          "amount": "5.00", "method": "especes"})  # fmt: skip
    assert refused.status_code == 403
    assert Paiement.objects.count() == 1
