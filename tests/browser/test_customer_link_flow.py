"""The owner replaces a customer link; the customer sees the company's page, then the old
link says it was revoked (issue #15)."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from facturation.public import public_token
from pgi.permissions import Role
from tests import factories
from tests.facturation.test_customer_link import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, email):
    page.goto("/connexion/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_the_owner_revokes_a_link_and_the_customer_sees_the_company(page, screenshot):
    seller = factories.issuing_company(
        "Émettrice SAS", trade_name="Atelier Lumière", email="contact@lumiere.fr",
        phone="01 23 45 67 89", brand_color="#c2410c",
    )  # fmt: skip
    seller.logo.save("logo.png", ContentFile(PNG))
    factories.member(seller, Role.OWNER, email="owner@test.example")
    invoice = factories.issued(seller, factories.business_client(seller, name="北京烤鸭有限公司"))
    old = f"/d/{public_token(invoice)}/"

    page.goto(old)
    expect(page.get_by_test_id("public-brand")).to_contain_text("Atelier Lumière")
    expect(page.get_by_test_id("public-contact")).to_contain_text("contact@lumiere.fr")
    expect(page.get_by_role("img", name="Atelier Lumière")).to_be_visible()
    assert page.title() == f"Facture {invoice.number} · Atelier Lumière"
    screenshot(page, "customer-page-brand")
    assert page.console_errors == []  # the brand stylesheet and logo pass the CSP

    login(page, "owner@test.example")
    page.goto(f"/factures/{invoice.pk}/envoyer/")
    page.get_by_role("button", name="Révoquer le lien client et en créer un nouveau").click()
    expect(page.locator("#messages")).to_contain_text("L'ancien lien client est révoqué")
    new = f"/d/{public_token(invoice)}/"
    assert new != old

    response = page.goto(old)
    assert response is not None and response.status == 410
    expect(page.get_by_test_id("link-revoked")).to_contain_text("Lien révoqué")
    expect(page.locator("main")).to_contain_text("Demandez le nouveau lien à contact@lumiere.fr")
    screenshot(page, "customer-link-revoked")
    response = page.goto(new)
    assert response is not None and response.status == 200
    expect(page.locator("main")).to_contain_text(invoice.number)
