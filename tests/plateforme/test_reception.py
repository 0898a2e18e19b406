"""Supplier invoices received through the platform: read from their Factur-X, listed, checked
for duplicates, approved or refused (the refusal goes back through the platform)."""

import requests
from django.urls import reverse

from facturation.models import ConnexionPlateforme, FactureRecue, Flux
from facturation.plateforme.models import EtatFactureRecue, EtatFlux
from facturation.plateforme.reception import recues_interroger
from facturation.services import facture_pdf_generer
from pgi.permissions import Role
from tests import factories
from tests.conftest import login
from tests.plateforme.conftest import deliver, events, flows


def supplier_pdf(buyer_company, number_hint: str = "") -> tuple[bytes, str]:
    """A real Factur-X of another company of ours, addressed to `buyer_company`."""
    supplier = factories.issuing_company("Fournisseur Bureautique SAS")
    as_customer = factories.business_client(supplier, name=buyer_company.legal_name,
                                            siren=buyer_company.siren)  # fmt: skip
    facture = factories.issued(supplier, as_customer, lines=[factories.line("Papier", "10", "5")])
    with facture_pdf_generer(facture_id=facture.pk).file.open("rb") as handle:
        return handle.read(), facture.number


def arrive(fake, data: bytes, name: str = "facture.pdf") -> dict:
    files = {"file": (name, data, "application/pdf")}
    response = requests.post(fake.url + "/_fake/received", files=files, timeout=10)
    response.raise_for_status()
    return response.json()


def test_a_received_invoice_is_read_listed_and_refused_with_a_reason(
    company, fake_pa, client, django_capture_on_commit_callbacks
):
    data, number = supplier_pdf(company)
    arrive(fake_pa, data)
    connexion = ConnexionPlateforme.objects.get(company=company)
    (event,) = events(fake_pa)
    assert deliver(client, connexion, event).status_code == 200
    assert deliver(client, connexion, event).status_code == 200  # a replay
    recue = FactureRecue.objects.get(company=company)
    assert (recue.supplier_name, recue.number) == ("Fournisseur Bureautique SAS", number)
    assert (recue.total_excl_vat, recue.total_vat, recue.total_incl_vat) == (50, 10, 60)
    assert recue.issue_date is not None and recue.due_date is not None
    assert recue.file and "CrossIndustryInvoice" in recue.xml

    login(client, factories.member(company, Role.OWNER))
    page = client.get(reverse("plateforme:recue_list")).content.decode()
    assert number in page and "Fournisseur Bureautique SAS" in page
    response = client.post(reverse("plateforme:recue_refuser", args=[recue.pk]), {"reason": ""})
    recue.refresh_from_db()
    assert recue.state == EtatFactureRecue.RECEIVED  # a reason is required
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("plateforme:recue_refuser", args=[recue.pk]),
                               {"reason": "Jamais commandé"})  # fmt: skip
    assert response.status_code == 302
    recue.refresh_from_db()
    assert (recue.state, recue.refusal_reason) == (EtatFactureRecue.REFUSED, "Jamais commandé")
    flux = Flux.objects.get(facture_recue=recue)
    assert (flux.status_code, flux.state) == ("210", EtatFlux.SUBMITTED)
    (sent,) = [f for f in flows(fake_pa) if f["flowType"] == "SupplierInvoiceLC"]
    assert sent["flowId"] == flux.flow_id
    assert client.get(reverse("plateforme:recue_pdf", args=[recue.pk])).status_code == 200


def test_a_second_copy_of_an_invoice_is_flagged_as_a_duplicate(company, fake_pa):
    data, _number = supplier_pdf(company)
    arrive(fake_pa, data)
    arrive(fake_pa, data, "copie.pdf")
    connexion = ConnexionPlateforme.objects.get(company=company)
    assert recues_interroger(connexion=connexion) == 2  # polling, without webhooks
    first, second = FactureRecue.objects.order_by("pk")
    assert first.duplicate_of is None and second.duplicate_of == first
    assert recues_interroger(connexion=connexion) == 0


def test_an_approved_invoice_is_marked_paid(company, fake_pa, client):
    from facturation.plateforme.reception import recue_approuver, recue_payer

    data, _number = supplier_pdf(company)
    arrive(fake_pa, data)
    recues_interroger(connexion=ConnexionPlateforme.objects.get(company=company))
    recue = recue_approuver(recue=FactureRecue.objects.get(), user=None)
    recue = recue_payer(recue=recue, user=None, day=recue.issue_date)
    assert recue.paid_on == recue.issue_date
    assert sorted(s.code for s in recue.statuts.all()) == ["205", "211"]


def test_another_company_cannot_see_a_received_invoice(company, fake_pa, client):
    data, _number = supplier_pdf(company)
    arrive(fake_pa, data)
    recues_interroger(connexion=ConnexionPlateforme.objects.get(company=company))
    recue = FactureRecue.objects.get()
    other = factories.company("Autre SAS")
    login(client, factories.member(other, Role.OWNER))
    assert client.get(recue.get_absolute_url()).status_code == 404
    assert client.post(reverse("plateforme:recue_approuver", args=[recue.pk])).status_code == 404


def test_the_platform_pages_read_in_a_fixed_number_of_queries(
    company, fake_pa, client, django_assert_max_num_queries
):
    from facturation.plateforme.reception import recue_enregistrer, recue_refuser

    data, _number = supplier_pdf(company)
    for index in range(5):
        recue = recue_enregistrer(company_id=company.pk, flow_id=f"flow-{index}", data=data)
        recue_refuser(recue=recue, user=None, reason="Doublon")
    login(client, factories.member(company, Role.OWNER))
    # The session, the membership, the company, the page's rows: never one per row.
    with django_assert_max_num_queries(12):
        page = client.get(reverse("plateforme:recue_list")).content.decode()
    assert page.count("Doublon ?") == 4
    with django_assert_max_num_queries(12):
        page = client.get(reverse("plateforme:flux_list")).content.decode()
    assert page.count("Fournisseur Bureautique SAS") == 5
