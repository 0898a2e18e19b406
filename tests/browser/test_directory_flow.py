import pytest
from playwright.sync_api import expect

from crm.models import Client
from pgi.permissions import Role
from tests import factories
from tests.fakes.annuaire import announcement, company, siret_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_prospect_filled_from_the_directory_with_a_bodacc_warning(
    page, screenshot, fake_annuaire
):
    """Issue #20: typing a name finds the company in the public directory; choosing it fills
    the legal identity and warns that it is in receivership (BODACC)."""
    siren = factories.siren()
    fake_annuaire.companies.append(company(siren, "TRANSPORTS RAPIDES", city="VILLEURBANNE"))
    nature = "Jugement d'ouverture d'une procédure de redressement judiciaire"
    fake_annuaire.announcements.append(announcement(siren, nature, "2026-10-02"))
    organisation = factories.company("Agence Test SARL")
    factories.member(organisation, Role.OWNER, email="owner@test.example")

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="CRM").click()
    page.get_by_role("link", name="Nouveau client").click()
    page.get_by_label("Remplir depuis l'annuaire des entreprises").fill("transports rap")
    results = page.get_by_test_id("annuaire-results")
    expect(results).to_contain_text("TRANSPORTS RAPIDES")
    results.get_by_role("link", name="Utiliser").click()

    expect(page.get_by_test_id("verification")).to_contain_text("redressement judiciaire")
    expect(page.get_by_label("Nom ou raison sociale")).to_have_value("TRANSPORTS RAPIDES")
    expect(page.get_by_label("Code NAF")).to_have_value("62.01Z")
    screenshot(page, "directory-warning")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("TRANSPORTS RAPIDES")
    saved = Client.objects.get()
    assert (saved.siren, saved.siret, saved.billing_city) == (
        siren,
        siret_of(siren),
        "VILLEURBANNE",
    )
    assert page.console_errors == []


def test_a_big_quote_to_a_company_in_receivership_waits_for_the_owners_confirmation(
    page, screenshot, fake_annuaire, settings
):
    """Issues #18 and #20: before a big quote is sent, the directory is asked again; its
    warning holds the sending until the owner sends it anyway."""
    from devis.models import Devis, Statut
    from tests.devis import factories as quotes

    settings.DIRECTORY_CHECK_ABOVE = "500"
    siren = factories.siren()
    fake_annuaire.companies.append(company(siren, "TRANSPORTS RAPIDES"))
    nature = "Jugement d'ouverture d'une procédure de redressement judiciaire"
    fake_annuaire.announcements.append(announcement(siren, nature, "2026-10-02"))
    seller = factories.issuing_company("Vendeur SAS", email="gerant@vendeur.fr")
    factories.member(seller, Role.OWNER, email="owner@test.example")
    customer = factories.business_client(seller, name="Transports Rapides", siren=siren,
                                         email="c@transports.example")  # fmt: skip
    devis = quotes.draft(seller, customer)

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name="Devis")).to_be_visible()
    page.goto(f"/devis/{devis.pk}/envoyer/")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_test_id("devis-verification")).to_contain_text("redressement judiciaire")
    assert Devis.objects.get(pk=devis.pk).status == Statut.DRAFT
    screenshot(page, "devis-directory-warning")
    page.get_by_role("button", name="Envoyer quand même").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("D-")
    assert Devis.objects.get(pk=devis.pk).status == Statut.SENT
    assert page.console_errors == []
