"""The invoice list (page and API) shows each invoice's status on the platform, and keeps the
ones to correct (rejected or refused, not yet credited) under the "à corriger" filter."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from encaissement.services import Allocation, paiement_enregistrer
from facturation.models import ConnexionPlateforme, Flux
from facturation.plateforme.models import TypeFlux
from facturation.services import avoir_creer, facture_emettre
from pgi.permissions import Role
from tests import factories
from tests.conftest import login
from tests.plateforme.conftest import control, deliver, events


@pytest.fixture
def lifecycle(company, customer, fake_pa, django_capture_on_commit_callbacks, client):
    """Invoices sent then approved, rejected, refused (one of them credited), disputed,
    paid; and a draft, never sent."""

    def issue():
        with django_capture_on_commit_callbacks(execute=True):
            return factories.issued(company, customer)

    def answer(facture, code, reason=""):
        flow_id = Flux.objects.get(facture=facture, kind=TypeFlux.INVOICE).flow_id
        control(fake_pa, f"/_fake/flows/{flow_id}/status", code=code, reason=reason)

    invoices = {name: issue() for name in ("approved", "rejected", "refused", "credited",
                                            "disputed", "paid")}  # fmt: skip
    answer(invoices["approved"], "205")
    answer(invoices["rejected"], "213", "BR-FR-05")
    answer(invoices["refused"], "210", "Commande inconnue")
    answer(invoices["credited"], "210", "Doublon")
    answer(invoices["disputed"], "207", "Quantité contestée")
    connexion = ConnexionPlateforme.objects.get(company=company)
    for event in events(fake_pa):
        deliver(client, connexion, event)
    facture_emettre(facture=avoir_creer(facture=invoices["credited"], user=None,
                    amount_excl_vat=D("100"), vat_rate=D("20")), user=None)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        paiement_enregistrer(
            company=company, user=None, client=customer, day=invoices["paid"].issue_date,
            amount=D("50"), method="virement",
            allocations=[Allocation(invoices["paid"].pk, D("50"))],
        )  # fmt: skip
    invoices["draft"] = factories.draft(company, customer)
    return invoices


def _badges(html: str) -> dict[str, str]:
    """invoice (as listed) → the text of its platform badge, "" for none."""
    badges = {}
    for row in html.split("<tr>")[1:]:
        if listed := re.search(r'<td><a href="[^"]+">([^<]+)</a>', row):
            badge = re.search(r'data-testid="pa-status"[^>]*>([^<]+)</span>', row)
            badges[listed.group(1)] = badge.group(1) if badge else ""
    return badges


def test_the_list_shows_each_invoices_platform_status_and_what_to_correct(
    company, lifecycle, client
):
    login(client, factories.member(company, Role.OWNER))
    url = reverse("facturation:facture_list")
    badges = _badges(client.get(url).content.decode())
    number = {name: str(f) for name, f in lifecycle.items()}
    assert badges[number["approved"]] == "approuvée"
    assert badges[number["rejected"]] == "rejetée"
    assert badges[number["refused"]] == "refusée"
    assert badges[number["credited"]] == "refusée"
    assert badges[number["disputed"]] == "en litige"
    assert badges[number["paid"]] == "encaissée"
    assert badges[number["draft"]] == ""  # never sent: a dash
    to_correct = _badges(client.get(url, {"plateforme": "a_corriger"}).content.decode())
    # The refused invoice already credited is corrected; the credit note itself was not sent
    # back as refused.
    assert set(to_correct) == {number["rejected"], number["refused"]}
    page = client.get(url, {"plateforme": "a_corriger"}).content.decode()
    assert 'value="a_corriger" selected' in page


def test_the_api_list_gives_the_platform_status_and_filters_what_to_correct(
    company, lifecycle, client
):
    token = factories.token(factories.member(company, Role.OWNER))
    headers = {"Authorization": f"Bearer {token}"}
    items = client.get("/api/v1/factures/", headers=headers).json()["items"]
    by_id = {item["id"]: item for item in items}
    assert by_id[lifecycle["rejected"].pk]["platform_status"] == "213"
    assert by_id[lifecycle["rejected"].pk]["platform_status_label"] == "Rejetée"
    assert by_id[lifecycle["paid"].pk]["platform_status"] == "212"
    assert by_id[lifecycle["approved"].pk]["platform_status"] == "205"
    assert by_id[lifecycle["draft"].pk]["platform_status"] is None
    items = client.get("/api/v1/factures/?plateforme=a_corriger", headers=headers).json()["items"]
    assert {item["id"] for item in items} == {lifecycle["rejected"].pk, lifecycle["refused"].pk}
    response = client.get("/api/v1/factures/?plateforme=autre", headers=headers)
    assert response.status_code == 422


def test_the_home_dashboard_shows_what_needs_the_owner_on_the_platform(
    company, lifecycle, fake_pa, client, django_assert_num_queries
):
    from facturation.plateforme import selectors
    from facturation.plateforme.reception import recues_interroger
    from tests.plateforme.test_reception import arrive, supplier_pdf

    arrive(fake_pa, supplier_pdf(company)[0])
    recues_interroger(connexion=ConnexionPlateforme.objects.get(company=company))
    with django_assert_num_queries(1):
        counts = selectors.a_traiter_compte(company=company)
    # The refused invoice already credited is not counted; the draft was never sent.
    assert counts == {"connected": True, "failed": 0, "rejected": 1, "refused": 1,
                      "to_decide": 1}  # fmt: skip
    login(client, factories.member(company, Role.OWNER))
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="plateforme-card"' in page
    assert "1 facture rejetée à corriger" in page and "1 facture refusée sans avoir" in page
    assert "1 facture reçue à approuver" in page
    assert f"{reverse('facturation:facture_list')}?plateforme=a_corriger" in page


def test_the_dashboard_card_says_nothing_is_to_do_and_is_absent_without_a_platform(company, client):
    login(client, factories.member(company, Role.OWNER))
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="pa-nothing"' in page
    other = factories.issuing_company("Sans plateforme SARL")
    login(client, factories.member(other, Role.OWNER))
    assert 'data-testid="plateforme-card"' not in client.get(reverse("home")).content.decode()
