"""A quote made from a deal of the sales funnel (issues #18 and #20): linked both ways, its
answer moves the deal, a revision keeps the link; through the services and HTTP."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from crm.models import OpportuniteStatut
from devis import services
from devis.models import Devis, Statut
from devis.public import public_token
from tests import factories
from tests.conftest import login
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company("Vendeur SAS", email="gerant@vendeur.fr")


@pytest.fixture
def deal(seller):
    customer = factories.business_client(seller, name="Menuiserie Bois", email="c@bois.example")
    return factories.opportunite(seller, customer, title="Cuisine en chêne", etape="Proposition")


def test_accepting_the_quote_wins_its_deal(seller, deal):
    devis = quotes.accepted(seller, deal.client, opportunite=deal)
    deal.refresh_from_db()
    assert devis.opportunite_id == deal.pk
    assert deal.status == OpportuniteStatut.WON and deal.etape.is_won
    assert devis.reference in deal.close_reason


def test_a_refusal_proposes_to_lose_the_deal_without_closing_it(seller, deal):
    devis = quotes.sent(seller, deal.client, opportunite=deal)
    services.devis_refuser(devis=devis, reason="Trop cher")
    deal.refresh_from_db()
    assert deal.status == OpportuniteStatut.OPEN
    assert "Confirmer la perte" in deal.next_action and "Trop cher" in deal.next_action


def test_an_expiry_proposes_to_lose_the_deal(seller, deal):
    devis = quotes.sent(seller, deal.client, opportunite=deal, today=date(2026, 1, 5))
    services.devis_expirer(devis=devis, today=devis.valid_until + timedelta(days=1))
    deal.refresh_from_db()
    assert devis.reference in deal.next_action and deal.status == OpportuniteStatut.OPEN


def test_a_revision_keeps_the_deal_and_its_acceptance_wins_it(seller, deal):
    first = quotes.sent(seller, deal.client, opportunite=deal)
    revision = services.devis_reviser(devis=first, user=None)
    assert revision.opportunite_id == deal.pk
    services.devis_envoyer(devis=revision, user=None, recipients=["c@bois.example"],
                           subject="Devis", body="Bonjour")  # fmt: skip
    revision = services.devis_pdf_generer(devis_id=revision.pk)
    services.devis_accepter(devis=revision, name="Jeanne Client", consent=True, options=[],
                            pdf_sha256=revision.pdf_sha256)  # fmt: skip
    deal.refresh_from_db()
    assert deal.status == OpportuniteStatut.WON


def test_a_quote_without_a_deal_moves_nothing_and_another_customers_deal_is_refused(seller, deal):
    quotes.accepted(seller)
    deal.refresh_from_db()
    assert deal.status == OpportuniteStatut.OPEN
    other = factories.business_client(seller, name="Autre SARL")
    with pytest.raises(services.DevisError):
        quotes.draft(seller, other, opportunite=deal)


def test_create_a_quote_from_the_deal_page_and_link_back(client, seller, deal):
    login(client, factories.member(seller))
    page = client.get(deal.get_absolute_url())
    create = reverse("devis:devis_depuis_opportunite", args=[deal.pk])
    assert create in page.text and "Créer un devis" in page.text
    assert client.get(create).status_code == 405  # a GET writes nothing
    response = client.post(create)
    devis = Devis.objects.get(opportunite=deal)
    assert response.url == reverse("devis:devis_edit", args=[devis.pk])
    assert devis.client_id == deal.client_id and devis.subject == "Cuisine en chêne"
    assert devis.status == Statut.DRAFT
    edit = client.get(response.url)
    assert deal.get_absolute_url() in edit.text
    # once sent, the quote's page links back; the deal's page lists it
    services.devis_lignes_enregistrer(devis=devis, lines=quotes.lines())
    services.devis_modifier(devis=devis, fields=quotes.TERMS)
    services.devis_envoyer(devis=devis, user=None, recipients=["c@bois.example"],
                           subject="Devis", body="Bonjour")  # fmt: skip
    devis.refresh_from_db()
    assert deal.get_absolute_url() in client.get(devis.get_absolute_url()).text
    assert devis.reference in client.get(deal.get_absolute_url()).text


def test_another_companys_deal_cannot_be_quoted(client, seller, deal):
    other = factories.issuing_company("Autre SAS")
    login(client, factories.member(other))
    response = client.post(reverse("devis:devis_depuis_opportunite", args=[deal.pk]))
    assert response.status_code == 404
    assert not Devis.objects.filter(opportunite=deal).exists()


def test_the_customer_accepting_online_wins_the_deal(client, seller, deal):
    devis = quotes.sent(seller, deal.client, opportunite=deal)
    devis = services.devis_pdf_generer(devis_id=devis.pk)
    token = public_token(devis)
    response = client.post(
        f"/q/{token}/accepter/",
        {"name": "Jeanne Client", "consent": "on", "pdf_sha256": devis.pdf_sha256},
    )
    assert response.status_code in (200, 302)
    deal.refresh_from_db()
    assert deal.status == OpportuniteStatut.WON


def test_the_api_creates_a_quote_from_a_deal_and_reads_the_link(client, seller, deal):
    from pgi.permissions import Role

    token = factories.token(factories.member(seller, Role.OWNER))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    created = client.post("/api/v1/devis/", {"client_id": deal.client_id,
                          "opportunite_id": deal.pk, "subject": "Cuisine"},
                          content_type="application/json", **headers)  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["opportunite_id"] == deal.pk
    theirs = factories.opportunite(factories.issuing_company("Autre SAS"))
    refused = client.post("/api/v1/devis/", {"client_id": deal.client_id,
                          "opportunite_id": theirs.pk},
                          content_type="application/json", **headers)  # fmt: skip
    assert refused.status_code in (400, 422) and not Devis.objects.filter(opportunite=theirs)
