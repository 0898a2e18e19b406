"""Issue #15, "What it must show": the whole first day of a new business in a French
browser, with nothing but the app: sign up, fill the identity, set the next invoice number,
create a customer, type "29,90", preview the draft, issue, see the PDF; then (issue #16)
record the customer's transfer."""

import re
from io import BytesIO

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from facturation.models import Facture, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Une-phrase-de-passe-solide-2026"


def _pdf_text(page, url: str) -> str:
    response = page.request.get(url)
    assert response.headers["content-type"] == "application/pdf"
    return "".join(p.extract_text() for p in PdfReader(BytesIO(response.body())).pages)


def test_the_whole_first_day(page, screenshot):
    year = timezone.localdate().year
    # Sign up: the account, then the company.
    page.goto("/connexion/")
    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Votre nom").fill("Marie Dupont")
    page.get_by_label("E-mail").fill("marie@atelier.example")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.get_by_label("Dénomination sociale").fill("Atelier Dupont")
    page.get_by_label("Forme juridique").select_option("SARL")
    page.get_by_label("SIREN").fill("552 081 317")
    page.locator("#id_address_line1").fill("3 rue des Lilas")
    page.get_by_label("Code postal").fill("69003")
    page.locator("#id_city").fill("Lyon")
    page.get_by_role("button", name="Créer").click()
    expect(page.get_by_test_id("first-run-checklist")).to_be_visible()

    # The identity an invoice needs, from the checklist.
    page.get_by_role("link", name="Identité légale (SIREN, adresse, TVA…)").click()
    page.get_by_label("Capital social (€)").fill("5000")
    page.get_by_label("Ville du greffe / de la chambre").fill("Lyon")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Paramètres de la société enregistrés")

    # The next invoice number, continued from the former tool.
    page.goto("/")
    page.get_by_role("link", name="Numérotation et prochain numéro").click()
    page.get_by_label("Prochain numéro").fill("143")
    page.get_by_label("Je confirme").check()
    page.get_by_role("button", name="Fixer le prochain numéro").click()
    expect(page.get_by_test_id("next-facture")).to_have_text(f"F-{year}-00143")

    # A first customer.
    page.get_by_role("link", name="CRM").click()
    page.get_by_role("link", name="Nouveau client").click()
    page.get_by_label("Nom ou raison sociale").fill("Boulangerie Martin")
    page.get_by_label("SIREN").fill("732 829 320")
    page.get_by_label("Adresse de facturation").fill("12 place Bellecour")
    page.get_by_label("Code postal").first.fill("69002")
    page.get_by_label("Ville").first.fill("Lyon")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Boulangerie Martin")

    # A first invoice, from the dashboard, typed the French way.
    page.get_by_role("link", name="Tableau de bord").click()
    page.get_by_role("link", name="Nouvelle facture").click()
    picker = page.get_by_role("combobox", name="Client")
    picker.fill("boulan")
    page.get_by_role("option", name=re.compile("Boulangerie Martin")).click()
    page.get_by_role("button", name="Créer le brouillon").click()
    row = page.locator("#line-rows tr").nth(0)
    row.get_by_label("Désignation").fill("Pain de campagne (lot)")
    row.get_by_label("Quantité").fill("10")
    row.get_by_label("Prix unitaire HT").fill("29,90")
    row.get_by_label("TVA").select_option("5.50")
    expect(page.get_by_test_id("total-ht")).to_have_text(re.compile(r"299,00"))
    expect(page.get_by_test_id("total-ttc")).to_have_text(re.compile(r"315,45"))
    screenshot(page, "first-day-draft")

    # The preview: marked, numberless, nothing stored.
    draft = Facture.objects.get()
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Aperçu PDF").click()
    popup.value.close()
    preview = _pdf_text(page, f"/factures/{draft.pk}/apercu.pdf")
    assert "APERÇU — non émise" in preview and "29,90" in preview

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Enregistrer et émettre").click()
    number = f"F-{year}-00143"
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    screenshot(page, "first-day-issued")
    invoice = Facture.objects.get()
    assert invoice.status == Status.ISSUED and invoice.number == number
    assert str(invoice.lines.get().unit_price) == "29.9000"

    # The sealed PDF, as the owner downloads it.
    text = _pdf_text(page, f"/factures/{invoice.pk}/pdf/")
    assert number in text and "29,90" in text and "315,45" in text

    # The customer pays by transfer: the owner records it from the invoice.
    page.get_by_role("link", name="Enregistrer un paiement").click()
    page.get_by_role("button", name="Enregistrer et sceller").click()
    expect(page.get_by_test_id("payments")).to_contain_text("Payée")
    screenshot(page, "first-day-paid")
    assert page.console_errors == []
