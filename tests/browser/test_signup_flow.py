"""A new business starts alone in a browser: sign-up, its identity, the next invoice number
continued from its former tool, and the first-run checklist showing its progress."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pgi.models import Company, Evenement, EventKind, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Une-phrase-de-passe-solide-2026"


def test_sign_up_identity_next_invoice_number_and_checklist(page, screenshot):
    year = timezone.localdate().year
    page.goto("/connexion/")
    page.get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", name="Créer un compte")).to_be_visible()
    page.get_by_label("Votre nom").fill("Marie Dupont")
    page.get_by_label("E-mail").fill("marie@atelier.example")
    page.locator("#id_password").fill("azerty")
    page.get_by_label("Confirmation du mot de passe").fill("azerty")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("main")).to_contain_text("Ce mot de passe est trop court")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    screenshot(page, "signup-account")
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_role("heading", name="Votre entreprise")).to_be_visible()
    page.get_by_label("Dénomination sociale").fill("Atelier Dupont")
    page.get_by_label("Forme juridique").select_option("SARL")
    page.get_by_label("SIREN").fill("552 081 318")
    page.locator("#id_address_line1").fill("3 rue des Lilas")
    page.get_by_label("Code postal").fill("69003")
    page.locator("#id_city").fill("Lyon")
    page.get_by_role("button", name="Créer").click()
    expect(page.locator("main")).to_contain_text("clé de contrôle incorrecte")
    page.get_by_label("SIREN").fill("552 081 317")
    screenshot(page, "signup-identity")
    page.get_by_role("button", name="Créer").click()

    checklist = page.get_by_test_id("first-run-checklist")
    expect(checklist).to_be_visible()
    expect(page.get_by_test_id("email-verification-banner")).to_contain_text(
        "marie@atelier.example"
    )
    expect(page.get_by_test_id("first-run-progress")).to_have_text("0 sur 7 faits")
    expect(page.get_by_test_id("step-identite")).to_contain_text("Capital social manquant")
    screenshot(page, "signup-checklist-start")

    # The identity: the checklist's link leads to the settings, which say what is missing.
    page.get_by_role("link", name="Identité légale (SIREN, adresse, TVA…)").click()
    page.get_by_label("Capital social (€)").fill("5000")
    page.get_by_label("Ville du greffe / de la chambre").fill("Lyon")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Paramètres de la société enregistrés")

    # The next invoice number, continued from the former tool.
    page.goto("/")
    page.get_by_role("link", name="Numérotation et prochain numéro").click()
    expect(page.get_by_test_id("next-facture")).to_have_text(f"F-{year}-00001")
    page.get_by_label("Prochain numéro").fill("143")
    page.get_by_role("button", name="Fixer le prochain numéro").click()
    expect(page.locator("main")).to_contain_text("Cochez la case pour confirmer")
    page.get_by_label("Prochain numéro").fill("143")
    page.get_by_label("Je confirme").check()
    page.get_by_role("button", name="Fixer le prochain numéro").click()
    expect(page.locator("#messages")).to_contain_text(f"le prochain numéro sera F-{year}-00143")
    expect(page.get_by_test_id("next-facture")).to_have_text(f"F-{year}-00143")
    screenshot(page, "signup-numbering")

    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_test_id("first-run-progress")).to_have_text("2 sur 7 faits")
    expect(page.get_by_test_id("step-identite")).to_have_attribute("data-done", "true")
    expect(page.get_by_test_id("step-numerotation")).to_have_attribute("data-done", "true")
    expect(page.get_by_test_id("step-iban")).to_have_attribute("data-done", "false")
    screenshot(page, "signup-checklist-progress")

    company = Company.objects.get()
    assert company.legal_name == "Atelier Dupont" and company.registry_city == "Lyon"
    assert User.objects.get().memberships.get().company == company
    assert Evenement.objects.filter(
        kind=EventKind.IDENTITY, summary__contains="reprise au n° 143"
    ).exists()
    assert page.console_errors == []
