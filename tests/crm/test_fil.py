"""The customer's activity feed (issue #20): one chronological feed of what happened, written
by each app in the transaction of its action, read by one indexed query."""

from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from crm import services as crm_services
from encaissement.models import Relance
from encaissement.services import Allocation, paiement_enregistrer
from facturation.services import facture_emettre
from pgi.activite import activite_ecrire
from pgi.models import FilActivite
from tests import factories
from tests.encaissement.conftest import ensure_rates

ISSUED = date(2026, 1, 5)


@pytest.fixture
def locmem(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    return mail.outbox


def _story(company):
    ensure_rates()  # the dunning needs the ECB rates a transactional test may have flushed
    customer = factories.business_client(company, name="Menuiserie Bois", email="c@bois.example")
    opp = factories.opportunite(company, customer, title="Cuisine", etape="Qualifié")
    crm_services.opportunite_gagner(opportunite=opp)
    draft = factories.draft(company, customer, lines=[factories.line(unit_price="1000")])
    facture = facture_emettre(facture=draft, user=None, today=ISSUED)
    paiement_enregistrer(
        company=company, user=None, client=customer, day=ISSUED, amount="200", method="virement",
        allocations=[Allocation(facture.pk, "200")],
    )  # fmt: skip
    out = call_command("run_dunning", "--company", company.siren, "--date", "2026-02-11")
    assert out is None and Relance.objects.filter(facture=facture).exists()
    return customer, opp, facture


@pytest.mark.django_db
def test_the_feed_shows_deal_invoice_payment_and_reminder_in_order_with_links(
    as_owner_a, company_a, locmem
):
    company = factories.issuing_company("Atelier Fil")
    owner = factories.member(company)
    as_owner_a.force_login(owner.user)
    session = as_owner_a.session
    session["company_id"] = company.pk
    session.save()
    customer, opp, facture = _story(company)

    response = as_owner_a.get(customer.get_absolute_url())
    lines = list(reversed(response.context["fil"]))  # oldest first
    kinds = [line.famille for line in lines]
    assert kinds == ["opportunite", "opportunite", "facture", "paiement", "relance"]
    assert [line.url for line in lines] == [opp.get_absolute_url()] * 2 + [
        facture.get_absolute_url()
    ] * 3
    assert "Cuisine" in lines[1].text and "gagnée" in lines[1].text
    assert lines[3].text.startswith("Paiement de 200,00")
    assert lines[4].reference == facture.number
    html = response.content.decode()
    assert f'href="{facture.get_absolute_url()}">{facture.number}</a>' in html

    only = as_owner_a.get(reverse("crm:client_fil", args=[customer.pk]) + "?type=paiement",
                          headers={"HX-Request": "true"})  # fmt: skip
    assert [line.famille for line in only.context["fil"]] == ["paiement"]
    # The invoice page's history is the same rows.
    history = as_owner_a.get(facture.get_absolute_url()).content.decode()
    assert "Paiement de 200,00" in history and "Émise et scellée dans le registre" in history


@pytest.mark.django_db
def test_the_feed_is_one_query_whatever_its_length(
    as_owner_a, company_a, django_assert_num_queries
):
    customer = factories.client(company_a)
    url = reverse("crm:client_fil", args=[customer.pk])

    def add(n):
        for i in range(n):
            activite_ecrire(company=company_a, client_id=customer.pk, famille="activite",
                            summary="Note : %(s)s", params={"s": str(i)})  # fmt: skip

    add(5)
    with django_assert_num_queries(5) as few:  # session, user, membership, feed (+ savepoint)
        as_owner_a.get(url, headers={"HX-Request": "true"})
    add(300)
    with django_assert_num_queries(len(few.captured_queries)):
        response = as_owner_a.get(url, headers={"HX-Request": "true"})
    assert len(response.context["fil"]) == 50 and response.context["fil_next"]
    after = as_owner_a.get(url + "?avant=" + response.context["fil_next"],
                           headers={"HX-Request": "true"})  # fmt: skip
    assert len(after.context["fil"]) == 50
    assert after.context["fil"][0].at <= response.context["fil"][-1].at


@pytest.mark.django_db
def test_another_companys_feed_is_out_of_reach(as_owner_a, company_b):
    theirs = factories.client(company_b)
    activite_ecrire(company=company_b, client_id=theirs.pk, famille="activite", summary="Secret")
    response = as_owner_a.get(reverse("crm:client_fil", args=[theirs.pk]),
                              headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_rolled_back_action_leaves_no_line(company_a):
    opp = factories.opportunite(company_a)
    before = FilActivite.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - any refusal
        crm_services.opportunite_deplacer(
            opportunite=opp, etape=factories.etape(company_a, "Perdu")
        )
    assert FilActivite.objects.count() == before


@pytest.mark.django_db
def test_the_migration_writes_the_feed_of_what_happened_before_it(company_a, locmem):
    """encaissement 0011 rebuilds, from the rows the history used to read, the lines the
    services now write: an invoice's history reads the same after the upgrade."""
    import importlib

    from django.apps import apps

    from facturation.selectors import facture_timeline

    company = factories.issuing_company("Atelier Avant")
    _customer, _opp, facture = _story(company)
    before = [(e["icon"], e["text"]) for e in facture_timeline(facture)]
    FilActivite.objects.all().delete()
    importlib.import_module("encaissement.migrations.0011_fil_activite").backfill(apps, None)
    assert [(e["icon"], e["text"]) for e in facture_timeline(facture)] == before
