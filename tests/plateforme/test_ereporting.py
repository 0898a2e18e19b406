"""E-reporting: what is not e-invoiced (private and foreign customers) aggregated per period
and sent through the same platform, once; and the connection's settings page."""

from datetime import date, timedelta
from decimal import Decimal as D

from django.urls import reverse
from django.utils import timezone

from encaissement.services import Allocation, paiement_enregistrer
from facturation.models import ConnexionPlateforme, Flux
from facturation.plateforme.ereporting import Periode, periode_precedente
from facturation.plateforme.models import EtatFlux, TypeFlux
from facturation.plateforme.tasks import transmit_ereporting
from pgi.permissions import Role
from tests import factories
from tests.conftest import login
from tests.plateforme.conftest import API_KEY, flows


def test_the_period_follows_the_vat_regime(company):
    assert periode_precedente(company, date(2026, 11, 30)) == Periode(
        date(2026, 10, 1), date(2026, 10, 31)
    )
    company.vat_regime = "franchise"
    assert periode_precedente(company, date(2026, 11, 30)) == Periode(
        date(2026, 9, 1), date(2026, 10, 31)
    )
    assert periode_precedente(company, date(2027, 1, 5)) == Periode(
        date(2026, 11, 1), date(2026, 12, 31)
    )


def test_private_sales_and_payments_are_reported_once_per_period(
    company, customer, fake_pa, django_capture_on_commit_callbacks, monkeypatch
):
    private = factories.client(company, name="Jeanne Martin", kind="particulier",
                               billing_line1="1 rue", billing_postal_code="75001",
                               billing_city="Paris")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        b2c = factories.issued(company, private, lines=[factories.line(unit_price="100")])
        factories.issued(company, customer)  # e-invoiced: not reported
        paiement_enregistrer(company=company, user=None, client=private, day=b2c.issue_date,
                             amount=D("60"), method="carte",
                             allocations=[Allocation(b2c.pk, D("60"))])  # fmt: skip
    today = timezone.localdate()
    # Run on the first day of next month: this month is the period to report.
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a: next_month)
    with django_capture_on_commit_callbacks(execute=True):
        assert transmit_ereporting.apply(throw=True).get() == 2
    transactions = Flux.objects.get(kind=TypeFlux.EREPORTING, key__contains="transactions")
    assert transactions.payload["rows"] == [
        {"category": "b2c", "rate": "20", "base": "100.00", "vat": "20.00", "count": 1}
    ]
    paiements = Flux.objects.get(kind=TypeFlux.EREPORTING, key__contains="paiements")
    assert paiements.payload["rows"] == [{"rate": "20", "amount": "60.00"}]
    assert {transactions.state, paiements.state} == {EtatFlux.SUBMITTED}
    with django_capture_on_commit_callbacks(execute=True):
        transmit_ereporting.apply(throw=True)
    assert Flux.objects.filter(kind=TypeFlux.EREPORTING).count() == 2
    types = sorted(f["flowType"] for f in flows(fake_pa) if "Report" in f["flowType"])
    assert types == ["AggregatedCustomerPaymentReport", "AggregatedCustomerTransactionReport"]


def test_the_secrets_are_stored_encrypted_and_never_shown_back(company, client):
    login(client, factories.member(company, Role.OWNER))
    page = client.get(reverse("plateforme:connexion")).content.decode()
    connexion = ConnexionPlateforme.objects.get(company=company)
    assert API_KEY not in page and API_KEY not in connexion.api_key_encrypted
    assert str(connexion.webhook_token) in page
    response = client.post(reverse("plateforme:connexion"), {
        "active": "on", "name": "Autre", "base_url": connexion.base_url, "api_key": "",
        "webhook_secret": "",
    })  # fmt: skip
    assert response.status_code == 302
    connexion.refresh_from_db()
    assert connexion.name == "Autre" and connexion.api_key_encrypted  # kept


def test_staff_cannot_change_the_connection(company, client):
    login(client, factories.member(company, Role.STAFF))
    response = client.post(reverse("plateforme:connexion"), {"active": "", "base_url": ""})
    assert response.status_code == 403


def test_the_routing_code_is_entered_on_the_customer_page(company, customer, client):
    from facturation.models import RoutageClient

    login(client, factories.member(company, Role.OWNER))
    page = client.get(customer.get_absolute_url()).content.decode()
    assert 'data-testid="client-plateforme"' in page
    url = reverse("plateforme:routage", args=[customer.pk])
    assert client.post(url, {"routing_code": " ACHATS-75 "}).status_code == 302
    assert RoutageClient.objects.get(client=customer).routing_code == "ACHATS-75"
    stranger = factories.business_client(factories.company("Autre SAS"), name="Autre client")
    assert client.post(reverse("plateforme:routage", args=[stranger.pk]),
                       {"routing_code": "X"}).status_code == 404  # fmt: skip


def test_the_accountant_reads_but_neither_decides_nor_sends(company, client):
    login(client, factories.member(company, Role.ACCOUNTANT))
    assert client.get(reverse("plateforme:flux_list")).status_code == 200
    assert client.get(reverse("plateforme:recue_list")).status_code == 200
    assert client.post(reverse("plateforme:ereporting_transmettre")).status_code == 403
    assert client.post(reverse("plateforme:recue_approuver", args=[1])).status_code == 403
    assert not Flux.objects.exists()


def test_the_secrets_may_live_in_the_environment(db, fake_pa, settings):
    from facturation.plateforme.client import plateforme_for
    from facturation.plateforme.services import connexion_enregistrer

    settings.EINVOICING_API_KEY, settings.EINVOICING_WEBHOOK_SECRET = API_KEY, "whsec_env"
    company = factories.issuing_company()
    connexion = connexion_enregistrer(company=company, active=True, base_url=fake_pa.url)
    assert connexion.api_key_encrypted == ""
    plateforme = plateforme_for(connexion)
    assert (plateforme.api_key, plateforme.webhook_secret) == (API_KEY, "whsec_env")
    assert plateforme.lookup("552081317") == "0225:552081317"  # the fake takes the key
