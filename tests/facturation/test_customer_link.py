"""The customer's link and page (issue #15): the owner can revoke a link by making a new one,
the page says when an invoice is wholly credited, and it shows the company, not Encaisse;
emails to customers come from the company's name and answer to its contact."""

import re
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.core.files.base import ContentFile
from django.urls import reverse

from facturation.models import Envoi
from facturation.public import SALT, public_token
from facturation.services import avoir_creer, envoi_expedier, facture_emettre, facture_envoyer
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

# A 1×1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def seller(db):
    return factories.issuing_company(
        "Émettrice SAS", trade_name="Atelier Lumière", email="contact@lumiere.fr",
        phone="01 23 45 67 89", brand_color="#c2410c",
    )  # fmt: skip


@pytest.fixture
def as_owner(client, seller):
    return login(client, factories.member(seller, Role.OWNER))


def _page(client, token):
    return client.get(reverse("facture_public", args=[token]))


def test_renewing_the_link_revokes_the_old_one(as_owner, client, seller):
    """The old link answers 410 with a French "lien révoqué" page naming whom to ask; the
    new link opens the document; its PDF follows the same rule."""
    invoice = factories.issued(seller)
    old = public_token(invoice)
    assert _page(client, old).status_code == 200
    response = as_owner.post(reverse("facturation:lien_renouveler", args=[invoice.pk]))
    assert response.status_code == 302
    new = public_token(invoice)
    assert new != old
    revoked = _page(client, old)
    assert revoked.status_code == 410
    body = revoked.content.decode()
    assert "Lien révoqué" in body and "contact@lumiere.fr" in body
    assert client.get(reverse("facture_public_pdf", args=[old])).status_code == 410
    assert _page(client, new).status_code == 200
    assert invoice.number in _page(client, new).content.decode()
    # The message shows the new link to the owner (signed with the time: compared by what it
    # opens, not by its text, which changes with the second it was made).
    follow = as_owner.get(response["Location"]).content.decode()
    shown = set(re.findall(r"/d/([^/\"'<\s]+)/", follow))
    assert shown and old not in shown
    assert all(_page(client, token).status_code == 200 for token in shown)


def test_links_sent_before_versions_still_open(client, seller):
    """A link signed before links had a version (no "v") is version 1, until renewed."""
    invoice = factories.issued(seller)
    legacy = signing.dumps({"f": invoice.pk, "c": seller.pk}, salt=SALT, compress=True)
    assert _page(client, legacy).status_code == 200


def test_only_a_commercial_member_of_the_company_renews_a_link(client, seller):
    invoice = factories.issued(seller)
    login(client, factories.member(seller, Role.ACCOUNTANT))
    url = reverse("facturation:lien_renouveler", args=[invoice.pk])
    assert client.post(url).status_code == 403
    other = factories.issuing_company("Autre SAS")
    login(client, factories.member(other, Role.OWNER))
    assert client.post(url).status_code == 404
    assert _page(client, public_token(invoice)).status_code == 200


def test_the_page_says_when_an_invoice_is_wholly_credited(client, seller):
    invoice = factories.issued(seller, lines=[factories.line("A", "1", "100")])  # 120 € TTC
    token = public_token(invoice)
    assert 'data-testid="fully-credited"' not in _page(client, token).content.decode()
    partial = avoir_creer(facture=invoice, user=None, amount_excl_vat=Decimal("25"),
                          vat_rate=Decimal("20"))  # fmt: skip
    facture_emettre(facture=partial, user=None)
    body = _page(client, token).content.decode()
    assert 'data-testid="fully-credited"' not in body and "IBAN" in body
    rest = avoir_creer(facture=invoice, user=None, amount_excl_vat=Decimal("75"),
                       vat_rate=Decimal("20"))  # fmt: skip
    rest = facture_emettre(facture=rest, user=None)
    body = _page(client, token).content.decode()
    assert "entièrement annulée par les avoirs" in body and rest.number in body
    assert "vous n'avez rien à payer" in body.replace("&#x27;", "'")
    assert "IBAN" not in body  # nothing to pay: no payment instructions


def test_the_customer_page_shows_the_company_brand_and_contact(client, seller):
    seller.logo.save("logo.png", ContentFile(PNG))
    invoice = factories.issued(seller)
    token = public_token(invoice)
    body = _page(client, token).content.decode()
    assert "<title>Facture " in body and "· Atelier Lumière</title>" in body
    assert "Encaisse" not in body
    assert "contact@lumiere.fr" in body and "01 23 45 67 89" in body
    logo = client.get(reverse("facture_public_logo", args=[token]))
    assert logo.status_code == 200 and b"".join(logo.streaming_content) == PNG
    css = client.get(reverse("facture_public_css", args=[token]))
    assert css["Content-Type"].startswith("text/css") and "#c2410c" in css.content.decode()


def test_a_company_without_logo_shows_its_name(client, db):
    seller = factories.issuing_company("Sans Logo SARL")
    token = public_token(factures := factories.issued(seller))
    body = _page(client, token).content.decode()
    assert "Sans Logo SARL" in body and factures.number in body
    assert client.get(reverse("facture_public_logo", args=[token])).status_code == 404


def test_emails_to_customers_come_from_the_company(seller, settings):
    """From: the company's name on DEFAULT_FROM_EMAIL's address; Reply-To: its contact."""
    settings.DEFAULT_FROM_EMAIL = "Encaisse <no-reply@encaisse.example>"
    invoice = factories.issued(seller)
    facture_envoyer(facture=invoice, user=None, recipients=["client@exemple.fr"],
                    subject="Votre facture", body="Bonjour")  # fmt: skip
    envoi_expedier(envoi_id=Envoi.objects.get().pk)
    message = mail.outbox[-1]
    assert message.from_email == "Atelier Lumière <no-reply@encaisse.example>"
    assert message.reply_to == ["contact@lumiere.fr"]
    assert "no-reply@encaisse.example" in message.message()["From"]


def test_a_company_without_contact_email_has_no_reply_to(db, settings):
    settings.DEFAULT_FROM_EMAIL = "no-reply@encaisse.example"
    seller = factories.issuing_company('Dupont, "fils" & Cie')
    invoice = factories.issued(seller)
    facture_envoyer(facture=invoice, user=None, recipients=["client@exemple.fr"],
                    subject="Votre facture", body="Bonjour")  # fmt: skip
    envoi_expedier(envoi_id=Envoi.objects.get().pk)
    message = mail.outbox[-1]
    assert message.from_email == '"Dupont, \\"fils\\" & Cie" <no-reply@encaisse.example>'
    assert message.reply_to == []
