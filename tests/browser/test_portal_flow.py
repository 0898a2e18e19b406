import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_sends_the_portal_link_and_the_customer_opens_its_invoice(page, screenshot):
    """Issue #20: from the customer's page the owner emails the portal link; the customer
    sees its invoices with what is due and opens one to pay it."""
    company = factories.issuing_company("Atelier Portail SAS")
    factures = []
    factories.member(company, Role.OWNER, email="owner@test.example")
    customer = factories.business_client(company, name="Client Portail", email="c@portail.example")
    factures.append(factories.issued(company, customer, lines=[factories.line(unit_price="500")]))

    page.goto("/connexion/")
    page.get_by_label("E-mail").fill("owner@test.example")
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(customer.get_absolute_url())
    page.get_by_role("button", name="Envoyer le lien de l'espace client").click()
    expect(page.get_by_test_id("portail")).to_contain_text("lien valable jusqu'au")

    link = re.search(r"https?://\S+/portail/\S+/", mail.outbox[-1].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page.context.clear_cookies()  # the customer has no account
    page.goto("/" + path)
    expect(page.get_by_test_id("portail-client")).to_have_text("Client Portail")
    expect(page.get_by_test_id("portail-du")).to_contain_text("600,00")
    screenshot(page, "portal")
    page.get_by_role("link", name="Voir et payer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(factures[0].number)
    assert page.console_errors == []


def test_the_customer_opens_its_quote_from_the_portal(page, screenshot):
    """Issues #18 and #20: the portal lists the customer's sent quotes; "Voir et accepter"
    opens the quote's page, where it accepts."""
    from crm.portail import portail_lien_envoyer
    from tests.devis import factories as quotes

    company = factories.issuing_company("Atelier Portail SAS")
    customer = factories.business_client(company, name="Client Portail", email="c@portail.example")
    devis = quotes.sent(company, customer)
    portail_lien_envoyer(client=customer, user=None)
    link = re.search(r"https?://\S+/portail/\S+/", mail.outbox[-1].body).group(0)
    page.goto("/" + link.split("://", 1)[1].split("/", 1)[1])
    expect(page.get_by_test_id("portail-devis")).to_contain_text(devis.reference)
    expect(page.get_by_test_id("portail-devis")).to_contain_text("1\u202f068,00")
    screenshot(page, "portal-quotes")
    page.get_by_role("link", name="Voir et accepter").click()
    expect(page.get_by_test_id("accept-form")).to_be_visible()
    assert page.console_errors == []
