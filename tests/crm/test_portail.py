"""The customer portal (issue #20): a magic link per customer, signed, expiring, revocable,
emailed on request, to the customer's own documents and nothing else."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm.models import AccesPortail
from crm.portail import portail_lien_envoyer, portail_token
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company("Atelier Portail")


def _link(client, captured) -> str:
    with captured(execute=True):
        acces = portail_lien_envoyer(client=client, user=None)
    assert mail.outbox[-1].to == [client.email]
    url = re.search(r"https?://\S+?(/portail/\S+/)", mail.outbox[-1].body).group(1)
    # The link read back from the email (it signs its time: one made now may differ).
    assert portail_token(acces).split(":")[0] in url
    return url


def test_the_owner_sends_the_link_and_the_customer_sees_its_invoices(
    client, as_owner_a, company_a, seller, django_capture_on_commit_callbacks
):
    mine = factories.business_client(seller, name="Client Portail", email="c@portail.example")
    other = factories.business_client(seller, name="Autre Client", email="x@autre.example")
    facture = factories.issued(seller, mine, lines=[factories.line(unit_price="500")])
    hidden = factories.issued(seller, other, lines=[factories.line(unit_price="700")])
    url = _link(mine, django_capture_on_commit_callbacks)

    html = client.get(url).content.decode()
    assert facture.number in html and "600,00" in html and "Voir et payer" in html
    assert hidden.number not in html and "Autre Client" not in html
    public = re.search(r'href="(/d/[^"/]+/)"', html).group(1)
    assert client.get(public).status_code == 200  # the existing payment page


def test_the_owner_sends_it_from_the_customer_page(
    as_owner_a, company_a, django_capture_on_commit_callbacks
):
    customer = factories.client(company_a, email="client@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        as_owner_a.post(reverse("crm:portail_envoyer", args=[customer.pk]))
    assert mail.outbox[-1].to == ["client@exemple.fr"]
    assert AccesPortail.objects.get(client=customer).sent_at is not None
    as_owner_a.post(reverse("crm:portail_revoquer", args=[customer.pk]))
    assert AccesPortail.objects.get(client=customer).revoked_at is not None


def test_another_companys_customer_cannot_be_sent_a_link(as_owner_a, company_b):
    theirs = factories.client(company_b, email="b@exemple.fr")
    assert as_owner_a.post(reverse("crm:portail_envoyer", args=[theirs.pk])).status_code == 404
    assert not AccesPortail.objects.exists()


def test_an_expired_link_answers_a_clear_page_and_sends_a_new_one_on_request(
    client, seller, django_capture_on_commit_callbacks
):
    customer = factories.business_client(seller, email="c@portail.example")
    url = _link(customer, django_capture_on_commit_callbacks)
    AccesPortail.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(url)
    assert response.status_code == 410 and "Lien expiré" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "nouveau-lien/")
    assert "Un nouveau lien vient d'être envoyé" in response.content.decode()
    assert len(mail.outbox) == 2 and mail.outbox[-1].to == ["c@portail.example"]
    assert AccesPortail.objects.count() == 2


def test_a_revoked_link_answers_a_clear_page(client, seller, django_capture_on_commit_callbacks):
    customer = factories.business_client(seller, email="c@portail.example")
    url = _link(customer, django_capture_on_commit_callbacks)
    AccesPortail.objects.update(revoked_at=timezone.now())
    response = client.get(url)
    assert response.status_code == 410 and "Lien révoqué" in response.content.decode()
    response = client.post(url + "nouveau-lien/")
    assert response.status_code == 410 and len(mail.outbox) == 1  # no new link from it


def test_a_forged_or_tampered_link_is_not_found(client, seller, django_capture_on_commit_callbacks):
    customer = factories.business_client(seller, email="c@portail.example")
    url = _link(customer, django_capture_on_commit_callbacks)
    token = url.strip("/").split("/")[-1]
    assert client.get(reverse("portail", args=[token[:-2] + "xx"])).status_code == 404
    assert client.get(reverse("portail", args=["abc"])).status_code == 404
