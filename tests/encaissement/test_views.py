"""Recording a payment in the browser's forms: French amounts, allocation, scoping, roles."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from encaissement.models import Paiement
from facturation.selectors import facture_lire
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

D = Decimal


@pytest.fixture
def seller(db):
    return factories.issuing_company()


@pytest.fixture
def owner(client, seller):
    return login(client, factories.member(seller, Role.OWNER))


@pytest.fixture
def facture(seller):
    return factories.issued(seller)  # 120.00 incl. VAT


def _form(**fields):
    data = {"date": timezone.localdate().isoformat(), "method": "virement", "auto": "on"}
    data.update(fields)
    return data


def test_the_invoice_page_offers_to_record_a_payment_and_the_form_proposes_the_amount_due(
    owner, facture
):
    page = owner.get(reverse("facturation:facture_detail", args=[facture.pk]))
    assert "Enregistrer un paiement" in page.content.decode()
    url = reverse("encaissement:paiement_create") + f"?facture={facture.pk}"
    form = owner.get(url).content.decode()
    assert 'value="120"' in form  # the amount due, French input format
    assert not Paiement.objects.exists()  # a GET never writes


def test_a_french_amount_is_read_right_and_settles_the_invoice(owner, facture):
    """ "1 234,50"-style input: "60,50" is 60.50, never 6050 (issue #15, #16)."""
    url = reverse("encaissement:paiement_create") + f"?facture={facture.pk}"
    response = owner.post(url, _form(amount="60,50", **{f"alloc_{facture.pk}": "60,50"}))
    assert response.status_code == 302
    paiement = Paiement.objects.get()
    assert paiement.amount == D("60.50")
    assert facture_lire(company=facture.company, pk=facture.pk).amount_due == D("59.50")
    page = owner.get(reverse("facturation:facture_detail", args=[facture.pk])).content.decode()
    assert paiement.number in page and "Paiement de 60,50" in page


def test_auto_allocation_settles_the_oldest_invoices_first(owner, seller):
    customer = factories.business_client(seller)
    first, second = factories.issued(seller, customer), factories.issued(seller, customer)
    url = reverse("encaissement:paiement_create") + f"?client={customer.pk}"
    assert owner.post(url, _form(amount="150")).status_code == 302
    assert facture_lire(company=seller, pk=first.pk).amount_due == D("0.00")
    assert facture_lire(company=seller, pk=second.pk).amount_due == D("90.00")


def test_bad_input_gets_french_errors_and_saves_nothing(owner, facture):
    url = reverse("encaissement:paiement_create") + f"?facture={facture.pk}"
    page = owner.post(url, _form(amount="abc")).content.decode()
    assert "Saisissez un nombre" in page
    page = owner.post(
        url, _form(amount="500", auto="", **{f"alloc_{facture.pk}": "200"})
    ).content.decode()
    assert "il ne reste que 120,00" in page
    page = owner.post(url, _form(amount="10", **{f"alloc_{facture.pk}": "dix"})).content.decode()
    assert "n&#x27;est pas un montant" in page
    assert not Paiement.objects.exists()


def test_reversing_from_the_payment_page(owner, facture):
    url = reverse("encaissement:paiement_create") + f"?facture={facture.pk}"
    owner.post(url, _form(amount="120", **{f"alloc_{facture.pk}": "120"}))
    paiement = Paiement.objects.get()
    response = owner.post(
        reverse("encaissement:paiement_annuler", args=[paiement.pk]),
        {"date": timezone.localdate().isoformat(), "reason": "Chèque impayé"},
    )
    reversal = Paiement.objects.get(reverses=paiement)
    assert response.url == reversal.get_absolute_url()
    assert facture_lire(company=facture.company, pk=facture.pk).amount_due == D("120.00")


def test_another_company_s_payment_is_not_found_and_the_accountant_cannot_record(
    client, seller, facture
):
    from encaissement.services import Allocation, paiement_enregistrer

    paiement = paiement_enregistrer(
        company=seller, user=None, client=facture.client, day=timezone.localdate(),
        amount=D("120"), method="virement", allocations=[Allocation(facture.pk, D("120"))],
    )  # fmt: skip
    other = factories.company("Autre SAS")
    login(client, factories.member(other, Role.OWNER))
    assert client.get(paiement.get_absolute_url()).status_code == 404
    assert (
        client.get(reverse("encaissement:paiement_create") + f"?facture={facture.pk}").status_code
        == 404
    )
    login(client, factories.member(seller, Role.ACCOUNTANT))
    assert client.get(paiement.get_absolute_url()).status_code == 200
    url = reverse("encaissement:paiement_create") + f"?facture={facture.pk}"
    assert client.post(url, _form(amount="1")).status_code == 403
    assert (
        client.post(reverse("encaissement:paiement_annuler", args=[paiement.pk])).status_code == 403
    )


def test_payments_between_two_dates_with_their_totals_per_method(owner, seller):
    """The totals of payments of any period, on demand (LEGAL.md §4), reversals negative."""
    from datetime import timedelta

    from encaissement.services import paiement_annuler, paiement_enregistrer

    customer = factories.business_client(seller)
    today = timezone.localdate()
    old = paiement_enregistrer(company=seller, user=None, client=customer, amount=D("999"),
                               day=today - timedelta(days=40), method="cheque")  # fmt: skip
    for amount, method in (("30", "especes"), ("70", "cheque"), ("12,5", "carte")):
        owner.post(
            reverse("encaissement:paiement_create") + f"?client={customer.pk}",
            _form(amount=amount, method=method),
        )
    paiement_annuler(paiement=Paiement.objects.get(method="especes"), user=None)
    start = (today - timedelta(days=7)).isoformat()
    page = owner.get(
        reverse("encaissement:paiement_list"), {"du": start, "au": today.isoformat()}
    ).content.decode()
    assert 'data-testid="period-total">82,50' in page
    assert "Chèque 70,00" in page and "4 enregistrements scellés" in page
    assert old.number not in page


def test_setting_a_credit_note_against_another_invoice_from_its_page(owner, seller):
    from facturation.services import avoir_creer, facture_emettre

    customer = factories.business_client(seller)
    paid, other = factories.issued(seller, customer), factories.issued(seller, customer)
    url = reverse("encaissement:paiement_create") + f"?facture={paid.pk}"
    owner.post(url, _form(amount="120", **{f"alloc_{paid.pk}": "120"}))
    avoir = facture_emettre(
        facture=avoir_creer(facture=paid, user=None, amount_excl_vat=D("20"), vat_rate=D("20")),
        user=None,
    )
    page = owner.get(avoir.get_absolute_url()).content.decode()
    assert "24,00\u00a0€ de cet avoir peuvent servir" in page and other.number in page
    response = owner.post(
        reverse("encaissement:avoir_imputer", args=[avoir.pk]),
        {"facture": other.pk, "amount": "24,00"},
    )
    assert response.status_code == 302
    assert facture_lire(company=seller, pk=other.pk).amount_due == D("96.00")
    page = owner.get(other.get_absolute_url()).content.decode()
    assert f"Avoir {avoir.number} imputé : 24,00" in page


def test_recording_a_payment_starts_by_finding_the_customer(owner, seller):
    customer = factories.business_client(seller, name="Boulangerie Martin")
    factories.business_client(factories.company("Autre SAS"), name="Boulangerie Martin Autre")
    page = owner.get(reverse("encaissement:paiement_create"), {"q": "boulangerie"}).content
    page = page.decode()
    assert f"?client={customer.pk}" in page and "Boulangerie Martin Autre" not in page
    assert (
        "Aucun client trouvé"
        in owner.get(reverse("encaissement:paiement_create"), {"q": "zzz"}).content.decode()
    )
