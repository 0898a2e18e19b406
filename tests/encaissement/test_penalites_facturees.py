"""Late penalties invoiced in one click (issue #17): a draft of the penalties counted to the
day and, once, the 40 € recovery indemnity, outside the scope of VAT; a later one asks only
what accrued since; issued like any invoice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from encaissement.models import PenalitesFacturees
from encaissement.relances import services
from encaissement.relances.contenu import penalites_facture
from facturation.models import Status
from facturation.services import facture_emettre, facture_supprimer
from pgi.exceptions import DomainError
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company("Atelier Durand")


def _late(company, days_late: int, amount="1000"):
    customer = factories.business_client(company, email="client@exemple.fr")
    draft = factories.draft(company, customer, lines=[factories.line(unit_price=amount)])
    today = timezone.localdate()
    return facture_emettre(facture=draft, user=None, today=today - timedelta(days=30 + days_late))


def test_a_draft_of_the_penalties_and_the_indemnity_once(seller):
    facture = _late(seller, 45)  # 1 200,00 TTC, 45 days late
    today = timezone.localdate()
    expected = penalites_facture(facture, today=today, mode="bce")
    assert expected.interest > 0 and expected.indemnity == Decimal("40.00")
    draft = services.penalites_facturer(facture=facture, user=None, today=today)
    assert draft.status == Status.DRAFT and draft.client_id == facture.client_id
    interest, indemnity = draft.lines.order_by("position")
    assert (interest.unit_price, indemnity.unit_price) == (expected.interest, Decimal("40.00"))
    assert {interest.vat_rate, indemnity.vat_rate} == {Decimal("0")}
    assert "Hors champ" in interest.vat_exemption_reason
    assert facture.number in interest.designation and "45 jours" in interest.description
    with pytest.raises(DomainError, match="Aucune pénalité"):
        services.penalites_facturer(facture=facture, user=None, today=today)
    issued = facture_emettre(facture=draft, user=None, today=today)
    assert issued.total_incl_vat == expected.interest + Decimal("40.00")
    # Ten days later: only the interest accrued since, no second indemnity.
    later = today + timedelta(days=10)
    again = services.penalites_facturer(facture=facture, user=None, today=later)
    (line,) = again.lines.all()
    total = penalites_facture(facture, today=later, mode="bce").interest
    assert line.unit_price == total - expected.interest
    assert sum(p.total for p in PenalitesFacturees.objects.all()) == total + Decimal("40.00")


def test_deleting_the_draft_frees_the_penalties(seller):
    facture = _late(seller, 20)
    today = timezone.localdate()
    draft = services.penalites_facturer(facture=facture, user=None, today=today)
    facture_supprimer(facture=draft)
    assert not PenalitesFacturees.objects.exists()
    assert services.penalites_facturer(facture=facture, user=None, today=today).lines.count() == 2


def test_nothing_before_the_due_date(seller):
    customer = factories.business_client(seller)
    draft = factories.draft(seller, customer, lines=[factories.line(unit_price="100")])
    facture = facture_emettre(facture=draft, user=None, today=timezone.localdate())
    with pytest.raises(DomainError, match="Aucune pénalité"):
        services.penalites_facturer(facture=facture, user=None, today=timezone.localdate())


def test_one_click_from_the_invoice_page(client, seller):
    facture = _late(seller, 45)
    owner = login(client, factories.member(seller, Role.OWNER))
    page = owner.get(facture.get_absolute_url()).content.decode()
    assert 'data-testid="invoice-penalties"' in page
    response = owner.post(f"/creances/facture/{facture.pk}/penalites/")
    draft = PenalitesFacturees.objects.get().facture
    assert response.status_code == 302 and response["Location"] == f"/factures/{draft.pk}/modifier/"
    assert "Pénalités facturées" in owner.get(facture.get_absolute_url()).content.decode()


def test_the_accountant_and_other_companies_cannot(client, seller):
    facture = _late(seller, 45)
    other = _late(factories.issuing_company("Autre SAS"), 45)
    accountant = login(client, factories.member(seller, Role.ACCOUNTANT))
    assert accountant.post(f"/creances/facture/{facture.pk}/penalites/").status_code == 403
    owner = login(client, factories.member(seller, Role.OWNER, email="o@x.example"))
    assert owner.post(f"/creances/facture/{other.pk}/penalites/").status_code == 404
    assert not PenalitesFacturees.objects.exists()
