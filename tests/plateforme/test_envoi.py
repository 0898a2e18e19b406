"""Issuing to a French business sends its Factur-X through the platform, once; statuses come
back by webhook (in or out of order) or polling; "encaissée" (212) is sent per payment."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from encaissement.models import Litige, PromessePaiement
from encaissement.services import Allocation, avoir_imputer, paiement_affecter, paiement_enregistrer
from facturation.models import ConnexionPlateforme, Flux, StatutFacture
from facturation.plateforme import client as pa_client
from facturation.plateforme import selectors
from facturation.plateforme.client import PlateformeError
from facturation.plateforme.models import EtatFlux, TypeFlux
from facturation.plateforme.services import flux_soumettre
from facturation.plateforme.tasks import submit_flux, sweep_plateforme
from facturation.services import avoir_creer, facture_emettre
from tests import factories
from tests.conftest import login
from tests.plateforme.conftest import control, deliver, event_of, events, flows


def _issue(company, customer, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        facture = factories.issued(company, customer, **kwargs)
    return facture


def _invoice_flux(facture) -> Flux:
    return Flux.objects.get(facture=facture, kind=TypeFlux.INVOICE)


def test_an_invoice_to_a_french_business_is_submitted_once_after_commit(
    company, customer, fake_pa, django_capture_on_commit_callbacks
):
    facture = _issue(company, customer, django_capture_on_commit_callbacks)
    flux = _invoice_flux(facture)
    assert flux.state == EtatFlux.SUBMITTED and flux.flow_id
    submitted = flows(fake_pa)
    assert len(submitted) == 1
    assert submitted[0]["trackingId"] == str(flux.tracking_id)
    assert submitted[0]["flowType"] == "CustomerInvoice"
    assert submitted[0]["addressing"] == f"0225:{customer.siren}"
    # The task again (a redelivered message, the sweeper): nothing more is submitted.
    submit_flux.apply(args=[flux.pk], throw=True)
    flux_soumettre(flux_id=flux.pk)
    assert len(flows(fake_pa)) == 1


def test_the_routing_code_of_a_customer_addresses_its_invoices(
    company, customer, fake_pa, django_capture_on_commit_callbacks
):
    from facturation.plateforme.services import routage_modifier

    routage_modifier(client=customer, routing_code="SERVICE-ACHATS")
    _issue(company, customer, django_capture_on_commit_callbacks)
    assert flows(fake_pa)[0]["addressing"] == f"0225:{customer.siren}_SERVICE-ACHATS"


def test_private_and_foreign_customers_are_not_sent(
    company, fake_pa, django_capture_on_commit_callbacks
):
    private = factories.client(company, name="Jeanne Martin", kind="particulier",
                               billing_line1="1 rue", billing_postal_code="75001",
                               billing_city="Paris")  # fmt: skip
    foreign = factories.business_client(company, name="Suisse SA", billing_country="CH", siren="",
                                        vat_number="")  # fmt: skip
    _issue(company, private, django_capture_on_commit_callbacks)
    _issue(company, foreign, django_capture_on_commit_callbacks,
           lines=[factories.line(vat_rate="0")])  # fmt: skip
    assert not Flux.objects.exists()
    assert flows(fake_pa) == []


def test_a_retry_after_a_timeout_does_not_submit_twice(
    company, customer, fake_pa, monkeypatch, no_work_after_commit
):
    facture = factories.issued(company, customer)
    flux = _invoice_flux(facture)
    control(fake_pa, "/_fake/slow", seconds="2.5")
    monkeypatch.setattr(pa_client, "TIMEOUT", 1)
    with pytest.raises(PlateformeError):
        flux_soumettre(flux_id=flux.pk)  # the platform got it, its answer came too late
    flux.refresh_from_db()
    assert (flux.state, flux.attempts, flux.claimed_at) == (EtatFlux.PENDING, 1, None)
    assert len(flows(fake_pa)) == 1
    flux = flux_soumettre(flux_id=flux.pk)  # the retry finds it by its tracking id
    assert flux.state == EtatFlux.SUBMITTED
    assert len(flows(fake_pa)) == 1
    assert flux.flow_id == flows(fake_pa)[0]["flowId"]


def test_a_customer_missing_from_the_directory_is_shown_and_sent_again(
    company, customer, fake_pa, django_capture_on_commit_callbacks, client, owner_factory
):
    control(fake_pa, "/_fake/unknown", siren=customer.siren)
    facture = _issue(company, customer, django_capture_on_commit_callbacks)
    flux = _invoice_flux(facture)
    assert flux.state == EtatFlux.FAILED and "annuaire" in flux.error
    login(client, owner_factory(company))
    page = client.get(facture.get_absolute_url()).content.decode()
    assert "introuvable dans l" in page
    fake_pa.state.unknown.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("plateforme:flux_relancer", args=[flux.pk]))
    flux.refresh_from_db()
    assert flux.state == EtatFlux.SUBMITTED and len(flows(fake_pa)) == 1


@pytest.fixture
def owner_factory():
    from pgi.permissions import Role

    return lambda company: factories.member(company, Role.OWNER)


def test_statuses_arrive_by_webhook_in_and_out_of_order_and_once(
    company, customer, fake_pa, django_capture_on_commit_callbacks, client
):
    facture = _issue(company, customer, django_capture_on_commit_callbacks)
    flow_id = _invoice_flux(facture).flow_id
    connexion = ConnexionPlateforme.objects.get(company=company)
    control(fake_pa, f"/_fake/flows/{flow_id}/status", code="205")
    deposee, approuvee = event_of(fake_pa, "200"), event_of(fake_pa, "205")
    # "Approuvée" overtakes "déposée": the current status is still the latest by date.
    assert deliver(client, connexion, approuvee).status_code == 200
    assert deliver(client, connexion, deposee).status_code == 200
    assert deliver(client, connexion, approuvee).status_code == 200  # a replay
    assert [s.code for s in selectors.statuts(facture)] == ["200", "205"]
    assert selectors.statut_courant(facture).code == "205"
    # A forged or stale request is refused and records nothing.
    forged = dict(approuvee, signature="t=1,v1=00")
    assert deliver(client, connexion, forged).status_code == 400
    assert StatutFacture.objects.filter(facture=facture).count() == 2


def test_a_rejection_and_a_refusal_are_shown_with_what_to_do(
    company, customer, fake_pa, django_capture_on_commit_callbacks, client, owner_factory
):
    login(client, owner_factory(company))
    connexion = ConnexionPlateforme.objects.get(company=company)
    rejected = _issue(company, customer, django_capture_on_commit_callbacks)
    refused = _issue(company, customer, django_capture_on_commit_callbacks)
    control(fake_pa, f"/_fake/flows/{_invoice_flux(rejected).flow_id}/status", code="213",
            reason="BR-FR-05 : note PMT manquante")  # fmt: skip
    control(fake_pa, f"/_fake/flows/{_invoice_flux(refused).flow_id}/status", code="210",
            reason="Commande inconnue")  # fmt: skip
    for event in events(fake_pa):
        deliver(client, connexion, event)
    page = client.get(rejected.get_absolute_url()).content.decode()
    assert 'data-testid="pa-rejected"' in page and "BR-FR-05 : note PMT manquante" in page
    page = client.get(refused.get_absolute_url()).content.decode()
    assert 'data-testid="pa-refused"' in page and "Commande inconnue" in page
    assert reverse("facturation:avoir_create", args=[refused.pk]) in page
    # The customer's history shows them too.
    page = client.get(customer.get_absolute_url()).content.decode()
    assert "Commande inconnue" in page and "Rejetée" in page


def test_a_dispute_pauses_dunning_and_a_payment_sent_holds_it(
    company, customer, fake_pa, django_capture_on_commit_callbacks, client
):
    from django.utils import timezone

    from encaissement.relances.planning import Pause, factures_ouvertes, pause

    connexion = ConnexionPlateforme.objects.get(company=company)
    disputed = _issue(company, customer, django_capture_on_commit_callbacks)
    paying = _issue(company, customer, django_capture_on_commit_callbacks)
    control(fake_pa, f"/_fake/flows/{_invoice_flux(disputed).flow_id}/status", code="207",
            reason="Quantité contestée")  # fmt: skip
    control(fake_pa, f"/_fake/flows/{_invoice_flux(paying).flow_id}/status", code="211")
    for event in events(fake_pa) * 2:  # every event delivered twice
        deliver(client, connexion, event)
    litige = Litige.objects.get(facture=disputed)
    assert litige.resolved_at is None and "Quantité contestée" in litige.reason
    promesse = PromessePaiement.objects.get(facture=paying)
    assert (promesse.date - timezone.localdate()).days == 5
    today = timezone.localdate()
    by_pk = {f.pk: f for f in factures_ouvertes(company=company, today=today)}
    assert pause(by_pk[disputed.pk]) == Pause.DISPUTED
    assert pause(by_pk[paying.pk]) == Pause.PROMISED


def test_polling_finds_the_statuses_a_lost_webhook_carried(
    company, customer, fake_pa, django_capture_on_commit_callbacks
):
    facture = _issue(company, customer, django_capture_on_commit_callbacks)
    control(fake_pa, f"/_fake/flows/{_invoice_flux(facture).flow_id}/status", code="205")
    result = sweep_plateforme.apply(throw=True).get()
    assert result["statuses"] == 2
    assert selectors.statut_courant(facture).code == "205"
    assert sweep_plateforme.apply(throw=True).get()["statuses"] == 0


# "Encaissée" (212) ---------------------------------------------------------------------------

TWO_RATES = [
    factories.line("Conseil", unit_price="100", vat_rate="20"),
    factories.line("Formation", unit_price="100", vat_rate="10"),
]


def _pay(company, customer, amount, facture, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return paiement_enregistrer(
            company=company, user=None, client=customer, day=facture.issue_date,
            amount=D(amount), method="virement",
            allocations=[Allocation(facture.pk, D(amount))],
        )  # fmt: skip


def _encaissees(facture) -> list[Flux]:
    return list(Flux.objects.filter(facture=facture, status_code="212").order_by("pk"))


def test_each_payment_of_a_services_invoice_sends_one_212_with_its_amount_per_rate(
    company, customer, fake_pa, django_capture_on_commit_callbacks
):
    facture = _issue(company, customer, django_capture_on_commit_callbacks, lines=TWO_RATES)
    assert facture.total_incl_vat == D("230.00")
    _pay(company, customer, "115", facture, django_capture_on_commit_callbacks)
    (first,) = _encaissees(facture)
    assert first.state == EtatFlux.SUBMITTED
    assert first.payload["amount"] == "115.00"
    per_rate = {r["rate"]: D(r["amount"]) for r in first.payload["per_rate"]}
    assert per_rate == {"20": D("60.00"), "10": D("55.00")}
    assert sum(per_rate.values()) == D("115.00")
    _pay(company, customer, "115", facture, django_capture_on_commit_callbacks)
    assert len(_encaissees(facture)) == 2
    sent = [f for f in flows(fake_pa) if f["flowType"] == "CustomerInvoiceLC"]
    assert len(sent) == 2  # one per payment, never again on a retry
    for flux in _encaissees(facture):
        flux_soumettre(flux_id=flux.pk)
    assert len([f for f in flows(fake_pa) if f["flowType"] == "CustomerInvoiceLC"]) == 2
    assert [s.code for s in selectors.statuts(facture)].count("212") == 2


def test_a_credit_on_account_allocated_later_sends_its_212(
    company, customer, fake_pa, django_capture_on_commit_callbacks
):
    facture = _issue(company, customer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        paiement = paiement_enregistrer(company=company, user=None, client=customer,
                                        day=facture.issue_date, amount=D("50"),
                                        method="virement")  # fmt: skip
    assert _encaissees(facture) == []
    with django_capture_on_commit_callbacks(execute=True):
        paiement_affecter(
            paiement=paiement, user=None, allocations=[Allocation(facture.pk, D("50"))]
        )
    (flux,) = _encaissees(facture)
    assert flux.payload["per_rate"][0] == {"rate": "20", "amount": "50.00", "base": "41.67",
                                           "vat": "8.33"}  # fmt: skip


def test_no_212_for_goods_debits_or_a_credit_note_offset(
    company, customer, fake_pa, django_capture_on_commit_callbacks
):
    goods = _issue(company, customer, django_capture_on_commit_callbacks,
                   lines=[factories.line("Chaise", nature="bien")])  # fmt: skip
    _pay(company, customer, "120", goods, django_capture_on_commit_callbacks)
    assert _encaissees(goods) == []
    # A credit note set against another invoice is no cashing.
    paid = _issue(company, customer, django_capture_on_commit_callbacks)
    _pay(company, customer, "120", paid, django_capture_on_commit_callbacks)
    avoir = facture_emettre(facture=avoir_creer(facture=paid, user=None,
                            amount_excl_vat=D("20"), vat_rate=D("20")), user=None)  # fmt: skip
    other = _issue(company, customer, django_capture_on_commit_callbacks)
    avoir_imputer(avoir=avoir, facture=other, amount=D("24"), user=None)
    assert _encaissees(other) == []
    # Under the debits option, VAT is due on the invoice: no 212.
    company.vat_regime = "debits"
    company.save()
    debits = _issue(company, customer, django_capture_on_commit_callbacks)
    _pay(company, customer, "120", debits, django_capture_on_commit_callbacks)
    assert _encaissees(debits) == []


def test_the_acknowledgement_of_a_212_is_kept_on_its_flow_not_on_the_invoice(
    company, customer, fake_pa, django_capture_on_commit_callbacks, client
):
    facture = _issue(company, customer, django_capture_on_commit_callbacks)
    _pay(company, customer, "120", facture, django_capture_on_commit_callbacks)
    (encaissee,) = _encaissees(facture)
    control(fake_pa, f"/_fake/flows/{encaissee.flow_id}/status", code="200")
    connexion = ConnexionPlateforme.objects.get(company=company)
    for event in events(fake_pa):
        deliver(client, connexion, event)
    assert [s.code for s in selectors.statuts(facture)] == ["200", "212"]
    encaissee.refresh_from_db()
    assert encaissee.answer["status"] == "200"
    unknown = reverse("plateforme_webhooks:webhook", args=["00000000-0000-0000-0000-000000000000"])
    assert client.post(unknown, data=b"{}", content_type="application/json").status_code == 404


def test_the_sweeper_sends_what_the_queue_lost(company, customer, fake_pa, no_work_after_commit):
    from datetime import timedelta

    from django.utils import timezone

    facture = factories.issued(company, customer)  # committed, its message lost
    flux = _invoice_flux(facture)
    assert sweep_plateforme.apply(throw=True).get()["pending"] == 0  # the messenger's head start
    Flux.objects.filter(pk=flux.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    assert sweep_plateforme.apply(throw=True).get()["pending"] == 1
    flux_soumettre(flux_id=flux.pk)  # what the published task does
    flux.refresh_from_db()
    assert flux.state == EtatFlux.SUBMITTED and len(flows(fake_pa)) == 1
    assert sweep_plateforme.apply(throw=True).get()["pending"] == 0


def test_a_webhook_that_overtakes_a_lost_answer_completes_the_flow(
    company, customer, fake_pa, monkeypatch, no_work_after_commit, client
):
    facture = factories.issued(company, customer)
    flux = _invoice_flux(facture)
    control(fake_pa, "/_fake/slow", seconds="2.5")
    monkeypatch.setattr(pa_client, "TIMEOUT", 1)
    with pytest.raises(PlateformeError):
        flux_soumettre(flux_id=flux.pk)
    # "Déposée" comes by webhook, naming our tracking id: the flow is known to be submitted.
    deliver(client, ConnexionPlateforme.objects.get(company=company), event_of(fake_pa, "200"))
    flux.refresh_from_db()
    assert flux.state == EtatFlux.SUBMITTED and flux.flow_id == flows(fake_pa)[0]["flowId"]
    assert selectors.statut_courant(facture).code == "200"
    assert flux_soumettre(flux_id=flux.pk) is None  # the retry has nothing left to do
    assert len(flows(fake_pa)) == 1


def test_a_flow_sent_to_the_platform_is_never_deleted(company, customer, no_work_after_commit):
    from django.db import DatabaseError, transaction

    flux = _invoice_flux(factories.issued(company, customer))
    with pytest.raises(DatabaseError), transaction.atomic():
        Flux.objects.filter(pk=flux.pk).delete()
    assert Flux.objects.filter(pk=flux.pk).exists()


def test_the_platform_page_lists_what_needs_the_owner(
    company, customer, fake_pa, django_capture_on_commit_callbacks, client, owner_factory
):
    connexion = ConnexionPlateforme.objects.get(company=company)
    rejected = _issue(company, customer, django_capture_on_commit_callbacks)
    approved = _issue(company, customer, django_capture_on_commit_callbacks)
    control(fake_pa, f"/_fake/flows/{_invoice_flux(rejected).flow_id}/status", code="213",
            reason="Schéma invalide")  # fmt: skip
    control(fake_pa, f"/_fake/flows/{_invoice_flux(approved).flow_id}/status", code="205")
    for event in events(fake_pa):
        deliver(client, connexion, event)
    login(client, owner_factory(company))
    box = (
        client.get(reverse("plateforme:flux_list"))
        .content.decode()
        .split('data-testid="a-traiter"')[1]
    )
    box = box.split("</ul>")[0]
    assert rejected.number in box and approved.number not in box
    # Corrected by a credit note: nothing left to do.
    facture_emettre(facture=avoir_creer(facture=rejected, user=None), user=None)
    page = client.get(reverse("plateforme:flux_list")).content.decode()
    assert 'data-testid="a-traiter"' not in page


def test_the_platform_pages_read_in_english(
    company, customer, fake_pa, django_capture_on_commit_callbacks, client, owner_factory
):
    facture = _issue(company, customer, django_capture_on_commit_callbacks)
    swept = sweep_plateforme.apply(throw=True).get()
    assert swept["statuses"] == 1  # "déposée", polled
    login(client, owner_factory(company))
    client.cookies["django_language"] = "en"
    page = client.get(facture.get_absolute_url()).content.decode()
    assert "E-invoicing" in page and "Deposited (200)" in page
    page = client.get(reverse("plateforme:flux_list")).content.decode()
    assert "Flows sent" in page and "Send the period" in page
    assert client.get(reverse("plateforme:connexion")).status_code == 200
    assert client.get(reverse("plateforme:recue_list")).status_code == 200
