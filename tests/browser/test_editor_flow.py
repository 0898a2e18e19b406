"""The invoice editor in a browser (issue #15): customer picker, PDF preview, price warning,
duplication; and the editor on a phone."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from crm.models import Client
from facturation.models import Facture, Status
from facturation.services import article_enregistrer
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, email):
    page.goto("/connexion/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_picker_preview_price_warning_issue_and_duplicate(page, screenshot):
    """Create a draft by searching its customer with the keyboard, preview its PDF (marked
    APERÇU, nothing stored), be warned of « 29,90 » typed as 2990 before issuing, confirm,
    then duplicate the issued invoice into a new draft."""
    company = factories.issuing_company("Atelier Test SAS")
    factories.member(company, Role.OWNER, email="owner@test.example")
    Client.objects.bulk_create(
        Client(company=company, name=f"Client {n:03d}", status="client") for n in range(300)
    )
    customer = factories.business_client(company, name="Zéphyr Menuiserie", status="prospect")
    article_enregistrer(
        company=company, article=None,
        fields={"designation": "Livre technique", "unit_price": Decimal("29.90"),
                "vat_rate": Decimal("5.50"), "nature": "bien"},
    )  # fmt: skip
    _log_in(page, "owner@test.example")

    page.get_by_role("link", name="Nouvelle facture").click()  # from the dashboard
    picker = page.get_by_role("combobox", name="Client")
    picker.fill("zéph")
    expect(page.get_by_role("option")).to_have_count(1)
    picker.press("ArrowDown")
    expect(page.get_by_role("option")).to_have_attribute("aria-selected", "true")
    screenshot(page, "editor-picker-open")
    picker.press("Enter")
    expect(picker).to_have_value("Zéphyr Menuiserie")
    screenshot(page, "editor-picker")
    page.get_by_role("button", name="Créer le brouillon").click()

    draft = Facture.objects.get()
    row = page.locator("#line-rows tr").nth(0)
    row.get_by_label("Article").select_option(label="Livre technique")
    expect(row.get_by_label("Prix unitaire HT")).to_have_value(re.compile(r"^29,90?$"))
    row.get_by_label("Prix unitaire HT").fill("2990")  # a French "29,90" mistyped
    expect(page.get_by_test_id("live-price-warnings")).to_contain_text("au moins 10 fois")
    screenshot(page, "editor-live-price-warning")

    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Aperçu PDF").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    preview_url = f"/factures/{draft.pk}/apercu.pdf"
    assert popup.url.endswith(preview_url)
    popup.close()
    pdf = page.request.get(preview_url)
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.body())).pages)
    assert "APERÇU — non émise" in text and "Livre technique" in text
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.lines.get().unit_price == Decimal("2990")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Enregistrer et émettre").click()
    expect(page.locator("#messages")).to_contain_text("Émission suspendue")
    expect(page.get_by_test_id("price-warnings")).to_contain_text("Livre technique")
    screenshot(page, "editor-price-warning-before-issue")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT

    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Enregistrer et émettre").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("F-")
    assert "Prix inhabituels" in dialogs[0] and "au moins 10 fois" in dialogs[0]
    draft.refresh_from_db()
    assert draft.status == Status.ISSUED
    customer.refresh_from_db()
    assert customer.status == "client"  # a prospect becomes a customer when invoiced

    page.get_by_role("button", name="Dupliquer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("brouillon")
    copy = Facture.objects.exclude(pk=draft.pk).get()
    assert copy.status == Status.DRAFT and copy.client_id == customer.pk
    expect(page.locator("#line-rows tr").nth(0).get_by_label("Désignation")).to_have_value(
        "Livre technique"
    )
    expect(page.get_by_role("combobox", name="Client")).to_have_value("Zéphyr Menuiserie")
    screenshot(page, "editor-duplicate")

    # The dashboard's card opens the list of what is still owed; the new draft shows its total.
    page.get_by_role("link", name="Tableau de bord").click()
    screenshot(page, "dashboard-cards")
    page.get_by_role("link", name="Voir ce qui reste à encaisser").click()
    expect(page.locator("#results")).to_contain_text(draft.number)
    expect(page.get_by_test_id("draft-total")).to_have_count(0)  # drafts are not owed
    page.get_by_label("Échéance").select_option("")
    expect(page.get_by_test_id("draft-total")).to_contain_text("3 154,45")
    screenshot(page, "invoice-list")
    assert page.console_errors == []


def test_the_editor_fits_a_390_px_phone(browser, live_server, screenshot):
    """On a 390 px phone the editor was wider than the screen (the lines table)."""
    company = factories.issuing_company("Atelier Test SAS")
    factories.member(company, Role.OWNER, email="owner@test.example")
    draft = factories.draft(company, lines=[factories.line("Prestation de conseil", "2", "450")])
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 390, "height": 844},
        is_mobile=True, has_touch=True, device_scale_factor=2,
    )  # fmt: skip
    page = context.new_page()
    try:
        _log_in(page, "owner@test.example")
        page.goto(f"/factures/{draft.pk}/modifier/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("brouillon")
        width = page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, "editor-phone-390")
        assert width <= 390, f"the page is {width} px wide"
        expect(page.get_by_test_id("total-ttc")).to_have_text(re.compile(r"1\s?080,00"))
    finally:
        context.close()
