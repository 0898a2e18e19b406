"""The dunning API (issue #17): receivables with their next action, disputes and promises
that pause reminders, scoped to the token's company and role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from encaissement.models import Litige
from encaissement.relances.services import relances_executer
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company("Atelier API", email="compta@api.example")


def _late(company, days_late: int):
    customer = factories.business_client(company, email="client@exemple.fr")
    today = timezone.localdate()
    return facture_emettre(
        facture=factories.draft(company, customer), user=None,
        today=today - timedelta(days=30 + days_late),
    )  # fmt: skip


def _api(client, membership):
    headers = {"Authorization": f"Bearer {factories.token(membership)}"}
    return lambda method, path, **kw: getattr(client, method)(
        f"/api/v1/relances{path}", headers=headers, content_type="application/json", **kw
    )


def test_receivables_dispute_and_promise_through_the_api(client, seller, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    api = _api(client, factories.member(seller, Role.OWNER))
    disputed, promised = _late(seller, 45), _late(seller, 10)
    other = factories.issuing_company("Autre API")
    hidden = _late(other, 45)
    body = api("get", "/creances/?etat=retard_31_60").json()
    assert [item["id"] for item in body["items"]] == [disputed.pk]
    assert body["items"][0]["next_action"]["niveau"] == "Relance avec pénalités"
    response = api("post", f"/factures/{disputed.pk}/litiges/", data={"reason": "Non conforme"})
    assert response.status_code == 201
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = api("post", f"/factures/{promised.pk}/promesses/",
                   data={"date": day, "amount": "50.00"})  # fmt: skip
    assert response.status_code == 201
    assert api("post", f"/factures/{promised.pk}/promesses/",
               data={"date": "2000-01-01", "amount": "50"}).status_code == 422  # fmt: skip
    items = {i["id"]: i for i in api("get", "/creances/").json()["items"]}
    assert (items[disputed.pk]["pause"], items[promised.pk]["pause"]) == ("litige", "promesse")
    assert relances_executer(company=seller, today=timezone.localdate()).sent == 0
    state = api("get", f"/factures/{disputed.pk}/").json()
    assert state["litiges"][0]["reason"] == "Non conforme" and state["relances"] == []
    litige = Litige.objects.get()
    assert api("post", f"/litiges/{litige.pk}/resoudre/", data={"note": "ok"}).status_code == 200
    assert relances_executer(company=seller, today=timezone.localdate()).sent == 1
    sent = api("get", f"/factures/{disputed.pk}/").json()["relances"]
    assert [(r["niveau"], r["state"]) for r in sent] == [("Relance avec pénalités", "envoyee")]
    assert api("get", f"/factures/{hidden.pk}/").status_code == 404
    assert api("post", f"/factures/{hidden.pk}/litiges/", data={"reason": "x"}).status_code == 404


def test_an_accountant_reads_but_cannot_open_a_dispute(client, seller):
    api = _api(client, factories.member(seller, Role.ACCOUNTANT))
    facture = _late(seller, 45)
    assert api("get", "/creances/").status_code == 200
    assert api("post", f"/factures/{facture.pk}/litiges/", data={"reason": "x"}).status_code == 403
