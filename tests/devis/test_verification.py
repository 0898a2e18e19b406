"""The directory check before a big quote is sent (issues #18 and #20): what the company
directory warns of holds the sending until the owner confirms; an unavailable directory
never blocks it. Against the fake directory of tests/fakes/annuaire.py."""

import pytest
from django.urls import reverse

from devis.models import Statut
from tests import factories
from tests.conftest import login
from tests.devis import factories as quotes
from tests.fakes.annuaire import announcement, company

pytestmark = pytest.mark.django_db

SEND = {"recipients": "c@transports.example", "subject": "Devis", "body": "Bonjour"}


@pytest.fixture
def seller(client):
    seller = factories.issuing_company("Vendeur SAS", email="gerant@vendeur.fr")
    login(client, factories.member(seller))
    return seller


@pytest.fixture
def big(settings, seller, fake_annuaire):
    """A quote of 890 € excl. VAT to a company, above the check's threshold."""
    settings.DIRECTORY_CHECK_ABOVE = "500"
    siren = factories.siren()
    fake_annuaire.companies.append(company(siren, "TRANSPORTS RAPIDES"))
    customer = factories.business_client(seller, name="Transports", siren=siren,
                                email="c@transports.example")  # fmt: skip
    return quotes.draft(seller, customer), siren


def test_a_company_in_receivership_holds_the_sending_until_confirmed(client, big, fake_annuaire):
    devis, siren = big
    fake_annuaire.announcements.append(announcement(
        siren, "Jugement d'ouverture d'une procédure de redressement judiciaire", "2026-11-20"
    ))  # fmt: skip
    url = reverse("devis:devis_send", args=[devis.pk])
    held = client.post(url, SEND)
    assert held.status_code == 200
    assert "redressement judiciaire" in held.text and "Envoyer quand même" in held.text
    devis.refresh_from_db()
    assert devis.status == Statut.DRAFT and not devis.number
    sent = client.post(url, {**SEND, "directory_ok": "1"})
    assert sent.status_code == 302
    devis.refresh_from_db()
    assert devis.status == Statut.SENT


def test_a_sound_company_is_sent_at_once(client, big):
    devis, _siren = big
    assert client.post(reverse("devis:devis_send", args=[devis.pk]), SEND).status_code == 302
    devis.refresh_from_db()
    assert devis.status == Statut.SENT


def test_an_unavailable_directory_does_not_block_the_sending(client, big, fake_annuaire):
    devis, _siren = big
    fake_annuaire.down = True
    response = client.post(reverse("devis:devis_send", args=[devis.pk]), SEND, follow=True)
    devis.refresh_from_db()
    assert devis.status == Statut.SENT
    assert "Annuaire des entreprises indisponible" in response.text


def test_a_small_quote_asks_nothing(client, big, fake_annuaire, settings):
    devis, siren = big
    settings.DIRECTORY_CHECK_ABOVE = "5000"
    fake_annuaire.announcements.append(announcement(siren, "Liquidation judiciaire", "2026-11-20"))
    asked = len(fake_annuaire.requests)
    assert client.post(reverse("devis:devis_send", args=[devis.pk]), SEND).status_code == 302
    assert len(fake_annuaire.requests) == asked
