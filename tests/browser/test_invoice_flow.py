import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from facturation.models import Facture, Status
from facturation.services import article_enregistrer
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invoice_three_lines_issue_pdf_refused_edit_and_partial_credit_note(page, screenshot):
    company = factories.issuing_company("Atelier Test SAS")
    factories.member(company, Role.OWNER, email="owner@test.example")
    factories.business_client(company, name="Client Navigateur SARL")
    article_enregistrer(
        company=company, article=None,
        fields={"designation": "Heure d'atelier", "unit_price": Decimal("65"), "unit": "heure"},
    )  # fmt: skip

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("link", name="Factures").click()
    page.get_by_role("link", name="Nouvelle facture").click()
    page.get_by_role("combobox", name="Client").fill("Navigateur")  # the customer picker
    page.get_by_role("option", name=re.compile("Client Navigateur SARL")).click()
    page.get_by_role("button", name="Créer le brouillon").click()

    rows = page.locator("#line-rows tr")
    rows.nth(0).get_by_label("Article").select_option(label="Heure d'atelier")
    rows.nth(0).get_by_label("Quantité").fill("3")
    page.get_by_role("button", name="Ajouter une ligne").click()
    rows.nth(1).get_by_label("Désignation").fill("Lampe de bureau")
    rows.nth(1).get_by_label("Quantité").fill("2")
    rows.nth(1).get_by_label("Prix unitaire HT").fill("120")
    rows.nth(1).get_by_label("Nature").select_option("bien")
    page.get_by_role("button", name="Ajouter une ligne").click()
    rows.nth(2).get_by_label("Désignation").fill("Livre technique")
    # Typed the French way in a French browser: "29,90" is 29.90, never 2990 (issue #15).
    rows.nth(2).get_by_label("Prix unitaire HT").fill("29,90")
    rows.nth(2).get_by_label("TVA").select_option("5.50")
    # Live totals from the shared engine: 195 + 240 + 29.90 = 464.90 HT; VAT 87 + 1.64
    expect(page.get_by_test_id("total-ht")).to_have_text(re.compile(r"464,90"))
    expect(page.get_by_test_id("total-ttc")).to_have_text(re.compile(r"553,54"))
    screenshot(page, "invoice-draft")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Enregistrer et émettre").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("F-")
    facture = Facture.objects.get(kind="facture")
    assert facture.status == Status.ISSUED and facture.lines.count() == 3
    assert facture.lines.get(designation="Livre technique").unit_price == Decimal("29.90")
    expect(page.get_by_role("heading", level=1)).to_contain_text(facture.number)
    expect(page.get_by_test_id("amount-due")).to_have_text(re.compile(r"553,54"))
    screenshot(page, "invoice-issued")

    pdf = page.request.get(page.get_by_test_id("pdf-link").get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    page.goto(f"/factures/{facture.pk}/modifier/")
    expect(page.locator("#messages")).to_contain_text("ne peut plus être modifiée")

    page.get_by_role("link", name="Faire un avoir").click()
    page.get_by_label("Quantité à créditer : Lampe de bureau").fill("1")
    page.get_by_role("button", name="Préparer l'avoir").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Enregistrer et émettre").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("AV-")
    page.get_by_role("link", name=facture.number).click()
    # 553.54 − (120 + 20 % VAT) = 409.54
    expect(page.get_by_test_id("amount-due")).to_have_text(re.compile(r"409,54"))
    screenshot(page, "invoice-after-credit-note")
    assert page.console_errors == []
