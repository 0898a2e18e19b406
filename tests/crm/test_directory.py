"""Know who you prospect (issue #20): the public directory fills a prospect's identity, the
BODACC's collective procedures and a closed company raise a warning, an unavailable directory
is said plainly; all against the local fake of tests/fakes/annuaire.py."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm import services
from crm.directory import entreprises_rechercher
from tests import factories
from tests.fakes.annuaire import announcement, company, siret_of

pytestmark = pytest.mark.django_db


def test_typing_a_siren_fills_the_prospect_from_the_directory(as_owner_a, fake_annuaire):
    fake_annuaire.companies.append(company("552081317", "BOULANGERIE DUPAIN", city="LYON"))
    response = as_owner_a.get(reverse("crm:client_annuaire") + "?q=552 081 317")
    assert "BOULANGERIE DUPAIN" in response.content.decode()
    response = as_owner_a.get(reverse("crm:client_create") + "?annuaire=552081317")
    form = response.context["form"]
    assert form.initial["name"] == "BOULANGERIE DUPAIN"
    assert form.initial["siret"] == siret_of("552081317")
    assert form.initial["legal_form"] == "SAS" and form.initial["naf_code"] == "62.01Z"
    assert form.initial["billing_line1"] == "12 RUE DE LA REPUBLIQUE"
    assert (form.initial["billing_postal_code"], form.initial["billing_city"]) == (
        "69002", "LYON"
    )  # fmt: skip
    assert "aucune procédure collective" in response.content.decode()


def test_a_company_in_liquidation_or_closed_shows_a_warning(as_owner_a, fake_annuaire):
    fake_annuaire.companies += [company("418457395", "TRANSPORTS RAPIDES"),
                                company("732829320", "MENUISERIE DU LAC", closed=True)]  # fmt: skip
    fake_annuaire.announcements.append(announcement(
        "418457395", "Jugement d'ouverture de liquidation judiciaire", "2026-10-02"))  # fmt: skip
    html = as_owner_a.get(reverse("crm:client_create") + "?annuaire=418457395").content.decode()
    assert "Attention avant de faire un devis" in html and "liquidation judiciaire" in html
    html = as_owner_a.get(reverse("crm:client_create") + "?annuaire=732829320").content.decode()
    assert "Entreprise fermée" in html and "2025-06-30" in html


def test_an_unavailable_directory_is_said_plainly(as_owner_a, fake_annuaire):
    fake_annuaire.down = True
    response = as_owner_a.get(reverse("crm:client_annuaire") + "?q=boulangerie")
    assert response.status_code == 200
    assert "Annuaire des entreprises indisponible" in response.content.decode()
    response = as_owner_a.get(reverse("crm:client_create") + "?annuaire=552081317")
    assert response.status_code == 200 and "vérification impossible" in response.content.decode()


def test_a_slow_directory_times_out(fake_annuaire, settings):
    settings.DIRECTORY_TIMEOUT = 0.2
    fake_annuaire.delay = 1
    assert entreprises_rechercher("boulangerie") == ([], False)


def test_answers_are_cached(fake_annuaire):
    fake_annuaire.companies.append(company("552081317", "BOULANGERIE DUPAIN"))
    assert entreprises_rechercher("dupain")[0][0].siren == "552081317"
    asked = len(fake_annuaire.requests)
    assert entreprises_rechercher("Dupain")[0][0].siren == "552081317"
    assert len(fake_annuaire.requests) == asked


def test_the_check_before_sending_a_quote(company_a, fake_annuaire, settings):
    settings.DIRECTORY_CHECK_ABOVE = "5000"
    siren = factories.siren()
    fake_annuaire.companies.append(company(siren, "TRANSPORTS RAPIDES"))
    client = factories.client(company_a, name="Transports", siren=siren)
    assert services.client_verifier_avant_envoi(client=client, amount=Decimal("4999")) is None
    assert not services.client_verifier_avant_envoi(client=client, amount=Decimal("6000")).at_risk
    # Put into receivership since: the check before sending asks again, not the cache.
    fake_annuaire.announcements.append(announcement(
        siren, "Jugement d'ouverture d'une procédure de redressement judiciaire",
        "2026-11-20"))  # fmt: skip
    check = services.client_verifier_avant_envoi(client=client, amount=Decimal("6000"))
    assert check.at_risk and "redressement judiciaire" in check.warnings[0]
    individual = factories.client(company_a, name="M. Martin", kind="particulier")
    assert services.client_verifier_avant_envoi(client=individual, amount=Decimal("9e6")) is None
