from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from encaissement.models import Litige, Relance
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_filters_overdue_31_60_opens_a_dispute_and_the_next_run_skips_it(
    page, screenshot, settings
):
    """Issue #17: the receivables list filtered on 31-60 days late, a dispute opened on one
    invoice from it; the next dunning run reminds the other invoice and not that one."""
    from tests.encaissement.conftest import ensure_rates

    ensure_rates()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    company = factories.issuing_company("Atelier Test SAS", email="compta@atelier.example")
    factories.member(company, Role.OWNER, email="owner@test.example")
    today = timezone.localdate()

    def issued(name: str, days_ago: int, price: str):
        customer = factories.business_client(company, name=name, email=f"{name[:6]}@ex.fr")
        draft = factories.draft(company, customer, lines=[factories.line(unit_price=price)])
        return facture_emettre(facture=draft, user=None, today=today - timedelta(days=days_ago))

    disputed = issued("Contestataire SARL", 75, "500")  # 45 days late
    other = issued("Retardataire SARL", 72, "300")  # 42 days late: the +35 reminder
    issued("Ponctuel SARL", 5, "100")  # not due

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("link", name="Créances").click()
    expect(page.get_by_test_id("total-tous")).to_contain_text("1\u202f080,00")
    page.locator("[data-filter=retard_31_60]").click()
    rows = page.get_by_test_id("receivables").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("total-retard_31_60")).to_contain_text("960,00")
    screenshot(page, "receivables-31-60")
    rows.filter(has_text=disputed.number).get_by_role("link", name="Litige").click()
    page.get_by_label("Motif du litige").fill("Livraison incomplète")
    page.get_by_role("button", name="Ouvrir le litige").click()
    expect(page.get_by_text("Litige ouvert")).to_be_visible()
    row = page.get_by_test_id("receivables").locator("tbody tr", has_text=disputed.number)
    expect(row).to_contain_text("En litige")
    screenshot(page, "receivables-dispute")
    assert Litige.objects.get().facture_id == disputed.pk

    out = StringIO()
    call_command("run_dunning", "--company", company.siren, stdout=out)
    assert out.getvalue().strip().endswith("relances envoyées : 1")
    assert "factures non relancées en litige : 1" in out.getvalue()
    assert set(Relance.objects.values_list("facture_id", flat=True)) == {other.pk}
    assert [m.to for m in mail.outbox] == [[other.client.email]]

    page.goto(disputed.get_absolute_url())
    expect(page.get_by_test_id("dunning")).to_contain_text("En litige")
    expect(page.get_by_test_id("timeline")).to_contain_text("Litige ouvert")
    screenshot(page, "invoice-dispute")
    assert not page.console_errors


def test_owner_invoices_the_penalties_and_emails_a_statement(page, screenshot, settings):
    """Issue #17: from a late invoice, "Facturer les pénalités" opens a draft of the interest
    and the 40 € indemnity to review; from the customer's page, the account statement is
    emailed with its PDF."""
    from tests.encaissement.conftest import ensure_rates

    ensure_rates()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    company = factories.issuing_company("Atelier Test SAS", email="compta@atelier.example")
    factories.member(company, Role.OWNER, email="owner@test.example")
    customer = factories.business_client(company, name="Retardataire SARL", email="r@ex.fr")
    draft = factories.draft(company, customer, lines=[factories.line(unit_price="1000")])
    late = facture_emettre(
        facture=draft, user=None, today=timezone.localdate() - timedelta(days=75)
    )

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.goto(late.get_absolute_url())
    page.get_by_test_id("invoice-penalties").click()
    expect(page.get_by_text("Brouillon de facture des pénalités créé")).to_be_visible()
    designations = page.locator('input[name$="designation"]')
    expect(designations.nth(0)).to_have_value(
        f"Pénalités de retard — facture {late.number} échue le {late.due_date:%d/%m/%Y}"
    )
    expect(designations.nth(1)).to_have_value(
        f"Indemnité forfaitaire pour frais de recouvrement — facture {late.number}"
    )
    screenshot(page, "penalties-draft")

    page.goto(customer.get_absolute_url())
    statement = page.get_by_test_id("client-statement")
    expect(statement.get_by_role("textbox")).to_have_value("r@ex.fr")
    statement.get_by_role("button", name="Envoyer le relevé").click()
    expect(page.get_by_text("Le relevé de compte part à r@ex.fr")).to_be_visible()
    expect(page.get_by_test_id("client-statement")).to_contain_text("Envoyée")
    screenshot(page, "customer-statement-sent")
    (sent,) = mail.outbox
    assert sent.to == ["r@ex.fr"] and sent.attachments[0][2] == "application/pdf"
    assert not page.console_errors
