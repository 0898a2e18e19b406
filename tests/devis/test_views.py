"""The owner's quote pages and the customer's page, through HTTP."""

import pytest
from django.core import mail
from django.urls import reverse

from devis.models import Devis, Statut
from devis.public import public_token
from tests import factories
from tests.conftest import login
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company("Vendeur SAS", email="gerant@vendeur.fr")


@pytest.fixture
def owner(client, seller):
    membership = factories.member(seller)
    return login(client, membership)


def test_the_customer_link_of_quote_a_never_opens_quote_b_and_a_tampered_one_is_404(client, seller):
    a = quotes.sent(seller)
    b = quotes.sent(seller)
    page_a = client.get(f"/q/{public_token(a)}/")
    assert page_a.status_code == 200
    assert a.reference in page_a.text and b.reference not in page_a.text
    token = public_token(a)
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.get(f"/q/{tampered}/").status_code == 404
    assert client.get(f"/q/{tampered}/pdf/").status_code == 404
    assert client.post(f"/q/{tampered}/accepter/").status_code == 404
    # an invoice's token is not a quote's (another salt)
    from facturation.public import public_token as invoice_token

    invoice = factories.issued(seller)
    assert client.get(f"/q/{invoice_token(invoice)}/").status_code == 404
    # a draft has no customer page yet
    draft = quotes.draft(seller)
    assert client.get(f"/q/{public_token(draft)}/").status_code == 404


def test_the_page_is_viewed_by_a_post_on_load_never_by_the_get(client, seller):
    devis = quotes.sent(seller)
    url = f"/q/{public_token(devis)}/"
    client.get(url)
    devis.refresh_from_db()
    assert devis.status == Statut.SENT  # a GET writes no state
    assert client.post(url + "vu/").status_code == 204
    devis.refresh_from_db()
    assert devis.status == Statut.VIEWED and devis.viewed_at is not None


def test_the_customer_ticks_an_option_and_accepts(
    client, seller, django_capture_on_commit_callbacks
):
    devis = quotes.sent(seller)
    url = f"/q/{public_token(devis)}/"
    page = client.get(url)
    assert "Conditions générales de vente" in page.text
    # the terms come before the consent box
    assert page.text.index("public-cgv") < page.text.index('name="consent"')
    devis.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "accepter/", {
            "name": "Jeanne Client", "consent": "on", "options": ["4"],
            "pdf_sha256": devis.pdf_sha256,
        }, HTTP_USER_AGENT="Navigateur/1.0", REMOTE_ADDR="198.51.100.4")  # fmt: skip
    assert response.status_code == 302
    devis.refresh_from_db()
    assert devis.status == Statut.ACCEPTED
    assert devis.acceptation.ip == "198.51.100.4"
    assert devis.acceptation.user_agent == "Navigateur/1.0"
    assert client.get(url).text.count("Devis accepté par Jeanne Client") == 1
    pdf = client.get(url + "pdf/")
    assert pdf["Content-Disposition"].endswith('-signe.pdf"')
    assert {m.to[0] for m in mail.outbox} == {"client@example.com", "gerant@vendeur.fr"}


def test_acceptance_without_consent_is_refused_in_words(client, seller):
    devis = quotes.sent(seller)
    url = f"/q/{public_token(devis)}/"
    client.get(url)
    devis.refresh_from_db()
    response = client.post(url + "accepter/", {"name": "Jeanne", "pdf_sha256": devis.pdf_sha256})
    assert response.status_code == 422
    assert "Cochez la case d&#x27;acceptation." in response.text
    devis.refresh_from_db()
    assert devis.status == Statut.SENT


def test_the_customer_refuses_with_a_reason(client, seller):
    devis = quotes.sent(seller)
    url = f"/q/{public_token(devis)}/"
    assert client.post(url + "refuser/", {"reason": "Délai trop long"}).status_code == 302
    devis.refresh_from_db()
    assert devis.status == Statut.REFUSED and devis.refusal_reason == "Délai trop long"
    assert "Vous avez refusé ce devis." in client.get(url).text


def test_the_owner_edits_sends_and_sees_the_missing_items(owner, seller):
    client_ = factories.business_client(seller, email="achat@client.fr")
    response = owner.post(
        reverse("devis:devis_create"), {"client": client_.pk, "subject": "Cuisine"}
    )
    devis = Devis.objects.get(company=seller)
    assert response.url == reverse("devis:devis_edit", args=[devis.pk])
    page = owner.get(response.url)
    assert page.status_code == 200 and 'name="lignes-0-optional"' in page.text
    data = {
        "client": client_.pk, "subject": "Cuisine", "validity_days": "30",
        "lignes-TOTAL_FORMS": "1", "lignes-INITIAL_FORMS": "0",
        "lignes-0-designation": "Meuble", "lignes-0-quantity": "2", "lignes-0-unit": "unité",
        "lignes-0-unit_price": "1 234,50", "lignes-0-vat_rate": "20.00",
        "lignes-0-nature": "bien", "lignes-0-category": "fourniture", "send": "1",
    }  # fmt: skip
    response = owner.post(reverse("devis:devis_edit", args=[devis.pk]), data)
    assert response.url == reverse("devis:devis_send", args=[devis.pk])
    assert devis.lines.get().unit_price == 1234.5
    send = owner.post(response.url, {"recipients": "achat@client.fr", "subject": "Devis",
                                     "body": "Bonjour"})  # fmt: skip
    assert send.url == reverse("devis:devis_edit", args=[devis.pk])
    page = owner.get(send.url)
    assert "« date de début des travaux ou de la prestation » à compléter" in page.text
    assert "« conditions de paiement » à compléter" in page.text


def test_the_list_filters_by_state_and_shows_the_month(owner, seller):
    quotes.accepted(seller)
    pending = quotes.sent(seller)
    page = owner.get(reverse("devis:devis_list"), {"statut": "envoye"})
    assert page.status_code == 200
    assert pending.reference in page.text
    assert "Signés ce mois-ci" in page.text


def test_an_accountant_reads_but_cannot_convert(client, seller):
    from pgi.permissions import Role

    devis = quotes.accepted(seller)
    login(client, factories.member(seller, Role.ACCOUNTANT))
    assert client.get(reverse("devis:devis_detail", args=[devis.pk])).status_code == 200
    response = client.post(reverse("devis:devis_solde", args=[devis.pk]))
    assert response.status_code == 403


def test_another_company_cannot_see_the_quote(client, seller, company_b, owner_b):
    devis = quotes.sent(seller)
    login(client, owner_b)
    assert client.get(reverse("devis:devis_detail", args=[devis.pk])).status_code == 404
    assert client.get(reverse("devis:devis_pdf", args=[devis.pk])).status_code == 404


def test_the_customer_page_lists_its_quotes(owner, seller):
    devis = quotes.sent(seller)
    page = owner.get(reverse("crm:client_detail", args=[devis.client_id]))
    assert devis.reference in page.text
    assert f"{reverse('devis:devis_create')}?client={devis.client_id}" in page.text


def test_the_list_and_the_api_list_run_a_flat_number_of_queries(owner, seller):
    from tests.test_query_counts import assert_flat, page

    def add(count: int) -> None:
        for _ in range(count):
            quotes.draft(seller)
            quotes.sent(seller)

    assert_flat(page(owner, "devis:devis_list"), add, bound=12)

    token = factories.token(factories.member(seller))
    assert_flat(
        lambda: owner.get("/api/v1/devis/", HTTP_AUTHORIZATION=f"Bearer {token}"), add, bound=8
    )


def test_revising_from_the_page_opens_the_new_version(owner, seller):
    devis = quotes.sent(seller)
    response = owner.post(reverse("devis:devis_reviser", args=[devis.pk]))
    revision = Devis.objects.get(origine=devis)
    assert response.url == reverse("devis:devis_detail", args=[revision.pk])
    assert owner.get(response.url).url == reverse("devis:devis_edit", args=[revision.pk])
    page = owner.get(reverse("devis:devis_edit", args=[revision.pk]))
    assert f"version 2 de {devis.number}" in page.text


def test_an_expired_quote_page_says_so_and_refuses_acceptance(client, seller):
    from datetime import timedelta

    from django.utils import timezone

    devis = quotes.sent(seller)
    Devis.objects.filter(pk=devis.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    url = f"/q/{public_token(devis)}/"
    page = client.get(url)
    assert "Ce devis a expiré" in page.text and 'name="consent"' not in page.text
    response = client.post(url + "accepter/", {"name": "Jeanne", "consent": "on",
                                               "pdf_sha256": "x"})  # fmt: skip
    assert response.status_code == 422
    devis.refresh_from_db()
    assert devis.status == Statut.SENT
