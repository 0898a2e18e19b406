"""Paying an invoice online from the customer's page (issue #16; LEGAL.md §4 and §7): the
checkout through the provider (fake Stripe on loopback), the signed webhook acted on once and
in any order, a SEPA debit not "paid" while it is processing, reversed if it fails."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from encaissement.models import (
    ComptePrestataire,
    Consultation,
    EvenementPrestataire,
    Paiement,
    SessionPaiement,
    SessionStatus,
)
from encaissement.services import Allocation, paiement_enregistrer
from facturation.public import public_token
from facturation.selectors import EtatPaiement, etat_paiement, facture_lire, facture_timeline
from pgi.models import Enregistrement, RecordKind
from pgi.permissions import Role
from tests import factories
from tests.conftest import login
from tests.encaissement.online import SECRET_KEY, WEBHOOK_SECRET, event, post_event, stripe_account

D = Decimal
COMPLETED = "checkout.session.completed"
SUCCEEDED = "checkout.session.async_payment_succeeded"
FAILED = "checkout.session.async_payment_failed"


@pytest.fixture
def stripe_api(settings, fake_stripe):
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.SITE_URL = "http://testserver"
    return fake_stripe


@pytest.fixture
def company(db):
    return factories.issuing_company("Boutique en Ligne SAS")


@pytest.fixture
def compte(company):
    return stripe_account(company)


@pytest.fixture
def facture(company):
    customer = factories.business_client(company, email="compta@client.example")
    return factories.issued(company, customer)  # 120.00 incl. VAT


def _state(facture):
    fresh = facture_lire(company=facture.company, pk=facture.pk)
    return fresh.amount_due, etat_paiement(fresh, today=timezone.localdate())


def _checkout(client, facture, method="carte") -> SessionPaiement:
    """The customer presses "pay" on the page: sent to the provider's hosted checkout."""
    token = public_token(facture)
    response = client.post(reverse(f"paiement_public:{method}", args=[token]))
    session = SessionPaiement.objects.get(facture=facture)
    assert response.status_code == 302
    assert response["Location"] == session.url and session.provider_id in session.url
    assert session.status == SessionStatus.OPEN and session.amount == D("120.00")
    return session


def test_a_card_payment_is_recorded_once_whatever_the_replays(client, stripe_api, compte, facture):
    """Checkout created through the `stripe` library (fake on loopback), then the signed
    "completed, paid" event records one sealed payment allocated to the invoice; the same
    event again, or another one saying the same, changes nothing."""
    session = _checkout(client, facture)
    paid = event(COMPLETED, session.provider_id, amount_cents=12000, paid=True)
    response = post_event(client, compte, paid)
    assert response.status_code == 200 and response.content == b"paye"
    assert _state(facture) == (D("0.00"), EtatPaiement.PAID)
    paiement = Paiement.objects.get()
    assert (paiement.method, paiement.amount) == ("carte", D("120.00"))
    assert paiement.client_id == facture.client_id
    assert paiement.reference == "pi_" + session.provider_id[-8:]
    assert Enregistrement.objects.filter(
        kind=RecordKind.PAYMENT, reference=paiement.number
    ).exists()

    assert post_event(client, compte, paid).content == b"rejeu"
    again = event(COMPLETED, session.provider_id, amount_cents=12000, paid=True)
    assert post_event(client, compte, again).content == b"sans_effet"
    late = event(SUCCEEDED, session.provider_id, amount_cents=12000, paid=True)
    assert post_event(client, compte, late).content == b"sans_effet"
    assert Paiement.objects.count() == 1
    assert EvenementPrestataire.objects.count() == 3
    assert _state(facture) == (D("0.00"), EtatPaiement.PAID)


def test_a_sepa_debit_processing_is_not_paid_until_it_succeeds(client, stripe_api, compte, facture):
    """LEGAL.md §7: never "paid" while a debit is processing. Completed but unpaid: nothing
    recorded, the amount due unchanged, the page says it is processing; paid on success."""
    session = _checkout(client, facture, "prelevement")
    processing = event(COMPLETED, session.provider_id, amount_cents=12000, paid=False)
    assert post_event(client, compte, processing).content == b"traitement"
    assert _state(facture) == (D("120.00"), EtatPaiement.UNPAID)
    assert not Paiement.objects.exists()
    page = client.get(reverse("facture_public", args=[public_token(facture)]))
    assert "en cours de traitement" in page.content.decode()
    # Paying again while the debit is processing is refused politely.
    again = client.post(reverse("paiement_public:carte", args=[public_token(facture)]), follow=True)
    assert "déjà en cours de traitement" in again.content.decode()
    assert SessionPaiement.objects.count() == 1

    succeeded = event(SUCCEEDED, session.provider_id, amount_cents=12000, paid=True)
    assert post_event(client, compte, succeeded).content == b"paye"
    assert _state(facture) == (D("0.00"), EtatPaiement.PAID)
    assert Paiement.objects.get().method == "prelevement"


def test_out_of_order_events_change_nothing_wrong(client, stripe_api, compte, facture):
    """Stripe does not promise the order of events: "succeeded" before "completed (unpaid)"
    is paid and stays paid; "failed" before "completed (unpaid)" is failed and stays so."""
    session = _checkout(client, facture, "prelevement")
    for type_, paid in ((SUCCEEDED, True), (COMPLETED, False)):
        post_event(client, compte, event(type_, session.provider_id, amount_cents=12000, paid=paid))
    session.refresh_from_db()
    assert session.status == SessionStatus.PAID and Paiement.objects.count() == 1
    assert _state(facture) == (D("0.00"), EtatPaiement.PAID)

    other = factories.issued(facture.company, facture.client)
    second = _checkout(client, other, "prelevement")
    for type_ in (FAILED, COMPLETED):
        post_event(client, compte, event(type_, second.provider_id, amount_cents=12000, paid=False))
    second.refresh_from_db()
    assert second.status == SessionStatus.FAILED
    assert Paiement.objects.count() == 1
    assert _state(other) == (D("120.00"), EtatPaiement.UNPAID)


def test_a_failed_debit_is_never_paid_and_one_recorded_as_paid_is_reversed(
    client, stripe_api, compte, facture
):
    """A debit that fails while processing records nothing; one that had been recorded as paid
    is reversed by a new sealed record (paiement_annuler), the invoice owed again, and the
    register still verifies."""
    session = _checkout(client, facture, "prelevement")
    post_event(
        client, compte, event(COMPLETED, session.provider_id, amount_cents=12000, paid=False)
    )
    assert post_event(client, compte, event(FAILED, session.provider_id, amount_cents=12000,
                                            paid=False)).content == b"echec"  # fmt: skip
    assert not Paiement.objects.exists()
    assert _state(facture) == (D("120.00"), EtatPaiement.UNPAID)

    other = factories.issued(facture.company, facture.client)
    second = _checkout(client, other, "prelevement")
    post_event(client, compte, event(SUCCEEDED, second.provider_id, amount_cents=12000, paid=True))
    assert _state(other) == (D("0.00"), EtatPaiement.PAID)
    response = post_event(
        client, compte, event(FAILED, second.provider_id, amount_cents=12000, paid=False)
    )
    assert response.content == b"annule"
    paiement = Paiement.objects.get(kind=RecordKind.PAYMENT)
    assert paiement.reversal.amount == D("-120.00")
    assert _state(other) == (D("120.00"), EtatPaiement.UNPAID)
    history = " ".join(e.get("text", "") for e in facture_timeline(other))
    assert "rejeté" in history
    out = StringIO()
    call_command("verify_registre", "--company", other.company.siren, stdout=out)
    assert f"{other.company.display_name} : intègre" in out.getvalue()


def test_a_webhook_without_a_valid_signature_changes_nothing(client, stripe_api, compte, facture):
    """Anyone can post to the webhook's URL: only Stripe's signature with the endpoint's
    secret counts."""
    session = _checkout(client, facture)
    paid = event(COMPLETED, session.provider_id, amount_cents=12000, paid=True)
    assert post_event(client, compte, paid, secret="whsec_forged").status_code == 400
    url = reverse("paiement_webhooks:webhook", args=[compte.webhook_token])
    assert client.post(url, data=b"{}", content_type="application/json").status_code == 400
    assert not Paiement.objects.exists() and not EvenementPrestataire.objects.exists()


def test_an_invoice_already_paid_is_not_paid_again(client, stripe_api, compte, facture):
    """The page says it is paid and offers nothing to pay; a POST anyway is refused politely,
    no checkout created."""
    paiement_enregistrer(
        company=facture.company, user=None, client=facture.client, day=timezone.localdate(),
        amount=D("120.00"), method="virement", allocations=[Allocation(facture.pk, D("120.00"))],
    )  # fmt: skip
    token = public_token(facture)
    page = client.get(reverse("facture_public", args=[token])).content.decode()
    assert "Cette facture est réglée" in page and "pay-card" not in page
    response = client.post(reverse("paiement_public:carte", args=[token]), follow=True)
    assert response.status_code == 200
    assert "déjà réglée" in response.content.decode()
    assert not SessionPaiement.objects.exists()


def test_opening_the_page_is_marked_viewed_once_a_day_by_a_post_not_the_get(
    client, company, facture
):
    """The GET writes nothing (a mail scanner fetching the link is not the customer); the
    page's htmx call on load marks it viewed on the invoice's history, once a day; a member
    of the company looking at it is not the customer."""
    token = public_token(facture)
    page = client.get(reverse("facture_public", args=[token])).content.decode()
    assert reverse("paiement_public:consultation", args=[token]) in page
    assert not Consultation.objects.exists()
    assert client.post(reverse("paiement_public:consultation", args=[token])).status_code == 204
    client.post(reverse("paiement_public:consultation", args=[token]))
    assert Consultation.objects.filter(facture=facture).count() == 1
    assert "Consultée par le client" in [e.get("text") for e in facture_timeline(facture)]

    other = factories.issued(company, facture.client)
    login(client, factories.member(company, Role.OWNER))
    client.post(reverse("paiement_public:consultation", args=[public_token(other)]))
    assert not Consultation.objects.filter(facture=other).exists()


def test_the_provider_secrets_are_stored_encrypted(company):
    """The secret key and the webhook secret are never in the database in clear."""
    compte = stripe_account(company)
    stored = ComptePrestataire.objects.filter(pk=compte.pk).values().get()
    dump = repr(stored)
    assert SECRET_KEY not in dump and WEBHOOK_SECRET not in dump
    assert stored["secret_key_encrypted"] and stored["webhook_secret_encrypted"]


def test_the_payment_page_speaks_english_when_the_browser_asks(client, compte, facture):
    """French by default, English for a browser that asks for it (Accept-Language)."""
    url = reverse("facture_public", args=[public_token(facture)])
    french = client.get(url).content.decode()
    assert "Payer cette facture" in french and "Référence à indiquer" in french
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert "Pay this invoice" in english and "Reference to give" in english
    assert "by card" in english and "par carte" not in english


def test_pressing_pay_in_a_loop_is_stopped(client, settings, stripe_api, compte, facture):
    """Each press opens a checkout at the provider: past the rate per address, the page
    says so and nothing more is asked of Stripe."""
    settings.CHECKOUT_RATE_PER_IP = "2/d"  # a day: no window ends between the three presses
    url = reverse("paiement_public:carte", args=[public_token(facture)])
    for _ in range(2):
        assert client.post(url).status_code == 302
    refused = client.post(url, follow=True)
    assert "Trop de tentatives de paiement" in refused.content.decode()
    assert SessionPaiement.objects.count() == 2


def test_a_company_webhook_cannot_touch_another_company_session(
    client, stripe_api, compte, facture
):
    """Each company's endpoint has its own secret and only knows its own sessions: an event
    signed for company B that names company A's session records nothing."""
    session = _checkout(client, facture)
    other = stripe_account(factories.issuing_company("Autre Boutique SAS"))
    paid = event(COMPLETED, session.provider_id, amount_cents=12000, paid=True)
    response = post_event(client, other, paid)
    assert response.status_code == 200 and response.content == b"ignore"
    assert not Paiement.objects.exists()
    assert _state(facture) == (D("120.00"), EtatPaiement.UNPAID)


def test_a_payment_the_provider_reports_after_its_month_was_closed(
    client, stripe_api, compte, facture
):
    """Paid on the last day of a month that was closed before the webhook arrived: nothing
    is dated in a closed period, so it is recorded today, its note saying when it was paid
    (it answered 500 before)."""
    from datetime import datetime, time, timedelta

    from comptabilite.services import cloture_effectuer

    today = timezone.localdate()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    cloture_effectuer(
        company=facture.company, kind="mensuelle", period_start=last_month_end.replace(day=1),
        user=None,
    )  # fmt: skip
    session = _checkout(client, facture)
    paid = event(COMPLETED, session.provider_id, amount_cents=12000, paid=True)
    noon = datetime.combine(last_month_end, time(12), tzinfo=timezone.get_current_timezone())
    paid["created"] = int(noon.timestamp())
    response = post_event(client, compte, paid)
    assert response.status_code == 200 and response.content == b"paye"
    paiement = Paiement.objects.get()
    assert paiement.date == today
    assert last_month_end.strftime("%d/%m/%Y") in paiement.notes
    assert _state(facture) == (D("0.00"), EtatPaiement.PAID)


def test_a_lost_webhook_is_made_up_for_by_asking_the_provider(
    client, stripe_api, compte, facture, settings
):
    """The customer paid but no webhook came (endpoint down, event lost): the beat sweeper
    asks Stripe about checkouts still open after 15 minutes and records the payment once;
    the webhook arriving after that, or a second sweep, changes nothing."""
    import requests

    from encaissement.online import sessions_a_verifier
    from encaissement.tasks import sweep_online_sessions

    session = _checkout(client, facture)
    assert sessions_a_verifier(now=timezone.now()) == []  # just opened: the webhook may come
    paid = requests.post(f"{stripe_api.url}/checkout/{session.provider_id}/pay",
                         data={"email": "a@b.example", "name": "Payeur"}, allow_redirects=False,
                         timeout=5)  # fmt: skip
    assert paid.status_code == 303
    SessionPaiement.objects.filter(pk=session.pk).update(
        updated_at=timezone.now() - timedelta(minutes=20)
    )
    assert sweep_online_sessions.delay().get() == 1
    assert _state(facture) == (D("0.00"), EtatPaiement.PAID)
    paiement = Paiement.objects.get()
    assert paiement.amount == D("120.00") and paiement.payer == "Payeur"
    assert sweep_online_sessions.delay().get() == 0
    late = event(COMPLETED, session.provider_id, amount_cents=12000, paid=True)
    assert post_event(client, compte, late).content == b"sans_effet"
    assert Paiement.objects.count() == 1


def test_an_abandoned_checkout_found_expired_by_the_sweeper(client, stripe_api, compte, facture):
    import requests

    from encaissement.online import session_verifier

    session = _checkout(client, facture)
    assert session_verifier(session_id=session.pk) is None  # still open: nothing to do
    requests.post(f"{stripe_api.url}/v1/checkout/sessions/{session.provider_id}/expire",
                  auth=(SECRET_KEY, ""), timeout=5)  # fmt: skip
    assert session_verifier(session_id=session.pk) == "expiree"
    assert SessionPaiement.objects.get().status == SessionStatus.EXPIRED
