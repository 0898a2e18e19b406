"""API of the funnel (issue #20): contacts, opportunities and their stage moves, activities,
the customer's activity feed; scoped to the token's company and role."""

import pytest

from crm.models import Opportunite, OpportuniteStatut
from pgi.permissions import Role
from tests import factories

pytestmark = pytest.mark.django_db


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_opportunity_lifecycle_through_the_api(client, owner_a, company_a):
    headers = auth(factories.token(owner_a))
    customer = factories.client(company_a, name="ACME")
    response = client.post("/api/v1/opportunites/", {
        "title": "Site", "client_id": customer.pk, "amount": "12500.50",
    }, content_type="application/json", headers=headers)  # fmt: skip
    assert response.status_code == 201, response.content
    opp = response.json()
    assert (opp["etape"], opp["probability"], opp["amount"]) == ("Nouveau", 10, "12500.50")
    stages = {s["name"]: s["id"] for s in client.get("/api/v1/opportunites/etapes",
                                                       headers=headers).json()}  # fmt: skip
    url = f"/api/v1/opportunites/{opp['id']}"
    moved = client.post(url + "/deplacer", {"etape_id": stages["Proposition"]},
                        content_type="application/json", headers=headers).json()  # fmt: skip
    assert (moved["etape"], moved["probability"]) == ("Proposition", 50)
    refused = client.post(url + "/deplacer", {"etape_id": stages["Perdu"]},
                          content_type="application/json", headers=headers)  # fmt: skip
    assert refused.status_code == 422
    lost = client.post(url + "/perdre", {"reason": "Budget"}, content_type="application/json",
                       headers=headers).json()  # fmt: skip
    assert (lost["status"], lost["close_reason"]) == ("perdue", "Budget")
    listed = client.get("/api/v1/opportunites/?statut=perdue", headers=headers).json()
    assert [o["id"] for o in listed["items"]] == [opp["id"]]

    feed = client.get(f"/api/v1/clients/{customer.pk}/fil", headers=headers).json()
    assert [i["famille"] for i in feed["items"]] == ["opportunite"] * 3
    assert feed["items"][0]["text"] == "Opportunité « Site » perdue : Budget"


def test_another_companys_rows_are_not_found(client, owner_a, company_b):
    headers = auth(factories.token(owner_a))
    theirs = factories.opportunite(company_b)
    assert client.get(f"/api/v1/opportunites/{theirs.pk}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/clients/{theirs.client_id}/fil",
                      headers=headers).status_code == 404  # fmt: skip
    response = client.post("/api/v1/activites/", {
        "kind": "note", "subject": "x", "client_id": theirs.client_id,
    }, content_type="application/json", headers=headers)  # fmt: skip
    assert response.status_code == 404
    stage = factories.etape(company_b, "Gagné")
    mine = factories.opportunite(owner_a.company)
    response = client.post(f"/api/v1/opportunites/{mine.pk}/deplacer", {"etape_id": stage.pk},
                           content_type="application/json", headers=headers)  # fmt: skip
    assert response.status_code == 422
    assert Opportunite.objects.get(pk=mine.pk).status == OpportuniteStatut.OPEN


def test_accountant_reads_but_writes_nothing(client, company_a):
    accountant = factories.member(company_a, Role.ACCOUNTANT)
    headers = auth(factories.token(accountant))
    customer = factories.client(company_a)
    assert client.get("/api/v1/opportunites/", headers=headers).status_code == 200
    response = client.post("/api/v1/opportunites/", {"title": "x", "client_id": customer.pk},
                           content_type="application/json", headers=headers)  # fmt: skip
    assert response.status_code == 403


def test_contacts_and_activities(client, owner_a, company_a):
    headers = auth(factories.token(owner_a))
    customer = factories.client(company_a)
    contact = client.post("/api/v1/contacts/", {
        "client_id": customer.pk, "last_name": "Martin", "email": "m@exemple.fr",
    }, content_type="application/json", headers=headers)  # fmt: skip
    assert contact.status_code == 201
    listed = client.get(f"/api/v1/contacts/?client_id={customer.pk}", headers=headers).json()
    assert [c["last_name"] for c in listed["items"]] == ["Martin"]
    task = client.post("/api/v1/activites/", {
        "kind": "tache", "subject": "Rappeler", "client_id": customer.pk,
        "due_date": "2026-12-01",
    }, content_type="application/json", headers=headers).json()  # fmt: skip
    assert task["assignee_id"] == owner_a.user_id
    todo = client.get("/api/v1/activites/?a_faire=true", headers=headers).json()
    assert [t["id"] for t in todo["items"]] == [task["id"]]
    done = client.post(f"/api/v1/activites/{task['id']}/terminer", headers=headers).json()
    assert done["done_at"] is not None
    assert client.get("/api/v1/activites/?a_faire=true", headers=headers).json()["count"] == 0


def test_win_through_the_api_with_or_without_a_reason(client, owner_a, company_a):
    headers = auth(factories.token(owner_a))
    first, second = factories.opportunite(company_a), factories.opportunite(company_a)
    won = client.post(f"/api/v1/opportunites/{first.pk}/gagner", {},
                      content_type="application/json", headers=headers)  # fmt: skip
    assert won.status_code == 200 and won.json()["status"] == "gagnee"
    won = client.post(f"/api/v1/opportunites/{second.pk}/gagner", {"reason": "Prix"},
                      content_type="application/json", headers=headers).json()  # fmt: skip
    assert (won["status"], won["close_reason"]) == ("gagnee", "Prix")
