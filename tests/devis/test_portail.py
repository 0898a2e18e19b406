"""Quotes in the customer portal (issues #18 and #20): the link's customer sees its sent
quotes with their state, amount, PDF and the page where it accepts; nothing of another."""

import re

import pytest

from crm.portail import portail_lien_envoyer
from devis import services
from devis.public import devis_from_token
from tests import factories
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db


def _portal(client_, captured, mail) -> str:
    with captured(execute=True):
        portail_lien_envoyer(client=client_, user=None)
    return re.search(r"https?://\S+?(/portail/\S+/)", mail[-1].body).group(1)


def test_the_portal_lists_the_customers_sent_quotes_and_nothing_of_another(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    seller = factories.issuing_company("Atelier Portail")
    mine = factories.business_client(seller, name="Client Portail", email="c@portail.example")
    other = factories.business_client(seller, name="Autre Client", email="x@autre.example")
    sent = quotes.sent(seller, mine)
    refused = quotes.sent(seller, mine)
    services.devis_refuser(devis=refused, reason="Non")
    draft = quotes.draft(seller, mine, subject="Brouillon secret")
    hidden = quotes.sent(seller, other)
    theirs = quotes.sent(factories.issuing_company("Autre Vendeur"), email="y@example.com")

    html = client.get(_portal(mine, django_capture_on_commit_callbacks, mailoutbox)).text
    table = html[html.index('data-testid="portail-devis"') :]
    assert sent.reference in table and refused.reference in table
    assert "1 068,00" in table.replace("\u202f", " ").replace("\xa0", " ")
    assert "Voir et accepter" in table and "Refusé" in table
    pages = re.findall(r'href="/q/([^"/]+)/"', table)
    pdfs = re.findall(r'href="(/q/[^"/]+/pdf/)"', table)
    assert len(pdfs) == 2
    # every link opens one of this customer's quotes: none of another customer or company
    assert sorted(devis_from_token(token).pk for token in pages) == sorted([sent.pk, refused.pk])
    assert hidden.pk not in (draft.pk, theirs.pk) and "Brouillon secret" not in html
    token = next(t for t in pages if devis_from_token(t).pk == sent.pk)
    page = client.get(f"/q/{token}/")
    assert page.status_code == 200 and 'data-testid="accept-form"' in page.text
    assert client.get(pdfs[0])["Content-Type"] == "application/pdf"


def test_a_revised_quote_shows_once_its_newest_version(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    seller = factories.issuing_company("Atelier Portail")
    mine = factories.business_client(seller, email="c@portail.example")
    first = quotes.sent(seller, mine)
    revision = services.devis_reviser(devis=first, user=None)
    services.devis_envoyer(devis=revision, user=None, recipients=["c@portail.example"],
                           subject="Devis", body="Bonjour")  # fmt: skip
    revision.refresh_from_db()
    html = client.get(_portal(mine, django_capture_on_commit_callbacks, mailoutbox)).text
    table = html[html.index('data-testid="portail-devis"') :]
    assert revision.reference in table and f"{first.reference}<" not in table
