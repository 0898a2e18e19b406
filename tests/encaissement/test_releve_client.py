"""A customer's statement (relevé de compte, issue #17): every open invoice with what is
still owed, every payment not allocated yet, the balance; as a PDF on request, and emailed
to the customer once, after commit."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from encaissement.models import EnvoiReleve, EtatRelance
from encaissement.relances.releve_client import releve_content, releve_expedier
from encaissement.services import Allocation, paiement_enregistrer
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []


@pytest.fixture
def seller():
    return factories.issuing_company("Atelier Durand", email="compta@atelier.example")


@pytest.fixture
def customer(seller):
    return factories.business_client(seller, name="Boulangerie Martin", email="martin@exemple.fr")


def _issued(company, customer, days_ago: int, amount: str):
    draft = factories.draft(company, customer, lines=[factories.line(unit_price=amount)])
    today = timezone.localdate()
    return facture_emettre(facture=draft, user=None, today=today - timedelta(days=days_ago))


def _pay(company, customer, amount: str, allocations=()):
    return paiement_enregistrer(
        company=company, user=None, client=customer, day=timezone.localdate(),
        amount=Decimal(amount), method="virement", allocations=list(allocations),
    )  # fmt: skip


def test_the_statement_lists_what_is_owed_and_what_was_paid_unallocated(seller, customer):
    late = _issued(seller, customer, 45, "100")  # 120,00 TTC, due 15 days ago
    partly = _issued(seller, customer, 5, "200")  # 240,00 TTC, not due yet
    paid = _issued(seller, customer, 5, "50")  # 60,00 TTC, fully paid: not listed
    _pay(seller, customer, "60", [Allocation(paid.pk, Decimal("60"))])
    _pay(seller, customer, "100", [Allocation(partly.pk, Decimal("40"))])  # 60,00 left over
    other = factories.business_client(seller, name="Autre client")
    _issued(seller, other, 45, "999")  # another customer's: never on this statement
    content = releve_content(customer, today=timezone.localdate())
    assert [(i["number"], i["amount_due"], i["days_late"]) for i in content["invoices"]] == [
        (late.number, Decimal("120.00"), 15), (partly.number, Decimal("200.00"), 0),
    ]  # fmt: skip
    assert [p["available"] for p in content["payments"]] == [Decimal("60.00")]
    assert (content["owed"], content["overdue"], content["credit"], content["balance"]) == (
        Decimal("320.00"), Decimal("120.00"), Decimal("60.00"), Decimal("260.00"),
    )  # fmt: skip


def test_the_owner_downloads_it_and_emails_it_once(client, seller, customer,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    late = _issued(seller, customer, 45, "100")
    owner = login(client, factories.member(seller, Role.OWNER))
    response = owner.get(f"/creances/client/{customer.pk}/releve.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Relevé de compte" in text and late.number in text
    assert "Solde à régler" in text and "120,00" in text
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(f"/creances/client/{customer.pk}/releve/envoyer/", {"to": ""})
    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.to == ["martin@exemple.fr"] and "Atelier Durand" in sent.subject
    assert "120,00" in sent.body
    (name, pdf, kind) = sent.attachments[0]
    assert (
        kind == "application/pdf"
        and late.number in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    )
    envoi = EnvoiReleve.objects.get()
    assert (envoi.state, envoi.balance) == (EtatRelance.ENVOYEE, Decimal("120.00"))
    assert releve_expedier(envoi_id=envoi.pk) is None  # a second delivery sends nothing
    assert len(mail.outbox) == 1
    assert "martin@exemple.fr" in owner.get(customer.get_absolute_url()).content.decode()


def test_a_customer_without_email_needs_an_address(client, seller):
    nobody = factories.business_client(seller, name="Sans courriel", email="")
    owner = login(client, factories.member(seller, Role.OWNER))
    response = owner.post(f"/creances/client/{nobody.pk}/releve/envoyer/", {"to": ""}, follow=True)
    assert "adresse e-mail : indiquez-en une" in response.content.decode()
    assert not EnvoiReleve.objects.exists()


def test_scoped_to_the_company_and_the_role(client, seller, customer):
    foreign = factories.business_client(factories.issuing_company("Autre SAS"), name="X")
    accountant = login(client, factories.member(seller, Role.ACCOUNTANT))
    assert accountant.get(f"/creances/client/{foreign.pk}/releve.pdf").status_code == 404
    assert accountant.get(f"/creances/client/{customer.pk}/releve.pdf").status_code == 200
    assert accountant.post(f"/creances/client/{customer.pk}/releve/envoyer/").status_code == 403
    assert not EnvoiReleve.objects.exists()
