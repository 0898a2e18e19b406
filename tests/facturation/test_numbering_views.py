"""The numbering settings page: continuing a series from another tool, formats refused when
saved (never at the next issue), and the next number shown (CGI art. 242 nonies A)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from pgi.models import Evenement, EventKind, NumberingSeries
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db

PAGE = reverse("facturation:numerotation")
REPRISE = reverse("facturation:numerotation_reprendre")


@pytest.fixture
def seller():
    return factories.issuing_company()


@pytest.fixture
def as_owner(client, seller):
    return login(client, factories.member(seller, Role.OWNER))


def year() -> int:
    return timezone.localdate().year


def test_the_owner_continues_the_invoice_series_of_another_tool_once(as_owner, seller):
    """A business moving here mid-year continues its series: the owner sets the next number
    once, before the first issue; the page shows it, the event log records it, the next
    invoices take it and the one after, and a second setting is refused in French."""
    body = as_owner.get(PAGE).content.decode()
    assert f'<code data-testid="next-facture">F-{year()}-00001</code>' in body
    assert "Continuer la numérotation d'un autre outil" in body

    response = as_owner.post(REPRISE, {"series": "facture", "next_number": "143", "confirm": "on"})
    assert response.status_code == 302
    body = as_owner.get(PAGE).content.decode()
    assert f"Numérotation reprise : le prochain numéro sera F-{year()}-00143." in body
    assert f'<code data-testid="next-facture">F-{year()}-00143</code>' in body
    event = Evenement.objects.get(kind=EventKind.IDENTITY)
    assert event.summary == f"Numérotation facture reprise au n° 143 (F-{year()}-00143)"
    assert event.user is not None

    assert factories.issued(seller).number == f"F-{year()}-00143"
    assert factories.issued(seller).number == f"F-{year()}-00144"

    again = as_owner.post(REPRISE, {"series": "facture", "next_number": "500", "confirm": "on"})
    assert again.status_code == 200
    assert "Cette série a déjà commencé sur cette période" in again.content.decode()
    assert factories.issued(seller).number == f"F-{year()}-00145"
    assert Evenement.objects.filter(kind=EventKind.IDENTITY).count() == 1


def test_the_next_number_cannot_be_set_once_a_number_was_issued(as_owner, seller):
    """Once an invoice is issued in the period, moving the counter would leave a gap: the
    setting is refused with its reason and the series goes on at its next number."""
    assert factories.issued(seller).number == f"F-{year()}-00001"
    response = as_owner.post(REPRISE, {"series": "facture", "next_number": "143", "confirm": "on"})
    assert response.status_code == 200
    assert "ne peut plus être changé" in response.content.decode()
    assert factories.issued(seller).number == f"F-{year()}-00002"
    assert not Evenement.objects.filter(kind=EventKind.IDENTITY).exists()


def test_setting_the_next_number_needs_a_positive_number_and_a_confirmation(as_owner, seller):
    """The choice is final: without the confirmation box, or with a number that is not a
    positive whole number, nothing is set and each field says why in French."""
    cases = [
        ({"series": "facture", "next_number": "143"}, "Cochez la case pour confirmer"),
        ({"series": "facture", "next_number": "0", "confirm": "on"}, "supérieure ou égale à 1"),
        ({"series": "facture", "next_number": "12,5", "confirm": "on"}, "nombre entier"),
    ]
    for data, message in cases:
        response = as_owner.post(REPRISE, data)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not NumberingSeries.objects.filter(company=seller).exists()


def test_a_staff_member_cannot_set_the_next_number(client, seller):
    """Numbering is the owner's setting (Perm.SETTINGS_MANAGE): a collaborator gets 403."""
    as_staff = login(client, factories.member(seller, Role.STAFF))
    response = as_staff.post(REPRISE, {"series": "facture", "next_number": "9", "confirm": "on"})
    assert response.status_code == 403
    assert not NumberingSeries.objects.filter(company=seller).exists()


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("F-{numero[0]}", "Format invalide"),
        ("F-{numero.real}", "Format invalide"),
        ("F-{numero!r}", "Format invalide"),
        ("F-{annee:x}-{numero}", "Format invalide"),
        ("F-{numero", "Format invalide"),
        ("F-{annee}-{numero:060d}", "Ce format donne des numéros trop longs"),
        ("FACTURE-DE-LA-SOCIETE-ALPHA-{annee}-{mois}-{numero:09d}", "trop longs"),
        ("F-2026-{numero:05d}", "L&#x27;année est écrite en chiffres"),
        ("F{mois}-{numero}", "Avec {mois}, le format doit aussi contenir {annee}"),
    ],
)
def test_a_format_that_cannot_serve_is_refused_when_saved(as_owner, seller, pattern, message):
    """A format that cannot render, that gives numbers longer than the invoice number column
    (40 characters), that hard-codes the year (next year's numbers would still say this one)
    or restarts monthly without the year (March's numbers back next March) is refused on the
    settings page, not at the next issue; the series keeps its format and issues."""
    response = as_owner.post(PAGE, {"facture": pattern})
    assert message in response.content.decode()
    assert not Evenement.objects.filter(kind=EventKind.IDENTITY).exists()
    assert factories.issued(seller).number == f"F-{year()}-00001"


def test_a_format_that_would_give_an_issued_number_again_is_refused(as_owner, seller):
    """Going from a monthly format to a yearly one that reads the same digits would give, at
    number 11001 or so, a number already issued: refused when saved, naming that number."""
    month = timezone.localdate().month
    as_owner.post(PAGE, {"facture": "F{annee}{mois}{numero:03d}"})
    first = factories.issued(seller).number
    assert first == f"F{year()}{month:02d}001"
    response = as_owner.post(PAGE, {"facture": "F{annee}{numero:05d}"})
    body = response.content.decode()
    assert f"la série redonnerait le numéro {first}, déjà émis" in body
    # A format that keeps a distinguishing part is accepted.
    response = as_owner.post(PAGE, {"facture": "FA{annee}-{numero:05d}"}, follow=True)
    assert "Numérotation enregistrée." in response.content.decode()
    assert factories.issued(seller).number == f"FA{year()}-00001"


def test_the_database_accepts_a_starting_number_only_when_the_counter_is_created(seller):
    """Outside the service, the counter's trigger still refuses a counter born past 1 with a
    number already taken, and any later change of its first number."""
    NumberingSeries.objects.create(
        company=seller, series="facture", period="2031", first_number=50, next_number=50
    )
    counter = NumberingSeries.objects.get(period="2031")
    for sql, params in (
        (
            "INSERT INTO facturation_numberingseries (company_id, kind, period, next_number, "
            "first_number) VALUES (%s, 'facture', '2032', 51, 50)",
            [seller.pk],
        ),
        (
            "INSERT INTO facturation_numberingseries (company_id, kind, period, next_number, "
            "first_number) VALUES (%s, 'facture', '2033', 0, 0)",
            [seller.pk],
        ),
        ("UPDATE facturation_numberingseries SET first_number = 10 WHERE id = %s", [counter.pk]),
    ):
        with pytest.raises(IntegrityError, match="a counter only moves to its next number"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
