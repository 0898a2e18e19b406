"""Quotes in the customer's activity feed (issues #18 and #20): every change of state of a
quote writes its line, linking to the quote's page, in the transaction of the change."""

from datetime import date

import pytest
from django.urls import reverse

from devis import services
from devis.models import Devis
from devis.public import public_token
from encaissement.services import Allocation, paiement_enregistrer
from facturation.services import facture_emettre
from pgi.models import FilActivite
from tests import factories
from tests.conftest import login
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db


def _story(company, customer, title="Cuisine"):
    """A deal, its quote sent, viewed, accepted, invoiced, and the invoice paid."""
    opp = factories.opportunite(company, customer, title=title, etape="Proposition")
    devis = quotes.accepted(company, customer, opportunite=opp)
    facture = services.devis_facturer_solde(devis=devis, user=None)
    facture = facture_emettre(facture=facture, user=None)
    paiement_enregistrer(
        company=company, user=None, client=customer, day=facture.issue_date, amount="100",
        method="virement", allocations=[Allocation(facture.pk, "100")],
    )  # fmt: skip
    devis.refresh_from_db()
    return opp, devis, facture


def test_the_feed_shows_the_deal_its_quote_the_invoice_and_the_payment_in_order(client):
    company = factories.issuing_company("Atelier Fil")
    login(client, factories.member(company))
    customer = factories.business_client(company, name="Menuiserie Bois", email="c@bois.example")
    opp, devis, facture = _story(company, customer)

    response = client.get(customer.get_absolute_url())
    lines = list(reversed(response.context["fil"]))  # oldest first
    seen = [(line.famille, line.url) for line in lines]
    quote, deal, invoice = (
        devis.get_absolute_url(),
        opp.get_absolute_url(),
        facture.get_absolute_url(),
    )
    assert seen[0] == ("opportunite", deal)
    assert ("devis", quote) in seen
    devis_lines = [line for line in lines if line.famille == "devis"]
    assert [line.icon for line in devis_lines] == ["send", "check2-circle", "receipt"]
    assert devis_lines[0].text.startswith(f"Devis {devis.reference} envoyé")
    assert all(line.reference == devis.reference for line in devis_lines)
    assert "facturé" in devis_lines[-1].text and facture.number in devis_lines[-1].text
    order = [f for f, _url in seen]
    # the deal, the quote sent and accepted, the deal won, the invoice issued, the payment
    assert order.index("devis") < order.index("facture") < order.index("paiement")
    assert [u for f, u in seen if f == "opportunite"] == [deal, deal]
    assert invoice in [u for _f, u in seen]
    html = response.content.decode()
    assert f'href="{quote}"' in html


def test_viewed_refused_expired_and_cancelled_quotes_write_their_line(client):
    company = factories.issuing_company("Atelier Fil")
    customer = factories.business_client(company, email="c@example.com")
    seen = quotes.sent(company, customer)
    client.post(f"/q/{public_token(seen)}/vu/")
    services.devis_refuser(devis=seen, reason="Trop cher")
    late = quotes.sent(company, customer, today=date(2026, 1, 5))
    services.devis_expirer(devis=late, today=date(2026, 12, 31))
    withdrawn = quotes.sent(company, customer)
    services.devis_annuler(devis=withdrawn, user=None)

    def texts(devis: Devis) -> list[str]:
        rows = FilActivite.objects.filter(objet_type="devis.devis", objet_id=devis.pk)
        return [row.summary % row.params for row in rows.order_by("at", "pk")]

    assert texts(seen) == [
        f"Devis {seen.reference} envoyé (890,00\xa0€ HT)",
        f"Devis {seen.reference} consulté par le client",
        f"Devis {seen.reference} refusé : Trop cher",
    ]
    assert texts(late)[-1] == f"Devis {late.reference} expiré"
    assert texts(withdrawn)[-1] == f"Devis {withdrawn.reference} annulé"


def test_the_feed_with_quotes_is_one_query_whatever_their_number(client, django_assert_num_queries):
    company = factories.issuing_company("Atelier Fil")
    login(client, factories.member(company))
    customer = factories.business_client(company, email="c@bois.example")
    url = reverse("crm:client_fil", args=[customer.pk])
    _story(company, customer)
    with django_assert_num_queries(5) as few:  # session, user, membership, feed (+ savepoint)
        client.get(url, headers={"HX-Request": "true"})
    for i in range(3):
        _story(company, customer, title=f"Projet {i}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url, headers={"HX-Request": "true"})
    assert sum(line.famille == "devis" for line in response.context["fil"]) == 12
