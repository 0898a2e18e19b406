"""The kernel's numbering service, on a series that only these tests declare."""

from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from pgi import numbering
from pgi.events import events_verify
from pgi.exceptions import NumerotationError
from pgi.models import Evenement, EventKind, NumberingSeries
from pgi.numbering import numero_attribuer, numerotation_modifier, register_series

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 14)


@pytest.fixture(autouse=True)
def essai(monkeypatch):
    """A series declared by the test only; the registry is restored after each test."""
    monkeypatch.setattr(numbering, "_registry", dict(numbering._registry))
    return register_series("essai", label="Essai", default_pattern="E-{annee}-{numero:03d}")


def test_a_registered_series_numbers_without_gap_per_company_and_per_year(company_a, company_b):
    numbers = [numero_attribuer(company=company_a, series="essai", day=DAY) for _ in range(3)]
    assert numbers == ["E-2026-001", "E-2026-002", "E-2026-003"]
    assert numero_attribuer(company=company_b, series="essai", day=DAY) == "E-2026-001"
    assert numero_attribuer(company=company_a, series="essai", day=date(2027, 1, 2)) == (
        "E-2027-001"
    )
    assert numero_attribuer(company=company_a, series="essai", day=DAY) == "E-2026-004"


def test_a_monthly_format_restarts_every_month_and_one_without_a_date_never(company_a):
    numerotation_modifier(
        company=company_a, series="essai", pattern="E{annee}{mois}-{numero}", user=None
    )
    assert numero_attribuer(company=company_a, series="essai", day=DAY) == "E202603-1"
    assert numero_attribuer(company=company_a, series="essai", day=DAY) == "E202603-2"
    assert numero_attribuer(company=company_a, series="essai", day=date(2026, 4, 1)) == (
        "E202604-1"
    )
    numerotation_modifier(company=company_a, series="essai", pattern="E{numero:04d}", user=None)
    assert numero_attribuer(company=company_a, series="essai", day=DAY) == "E0001"
    assert numero_attribuer(company=company_a, series="essai", day=date(2031, 1, 1)) == "E0002"
    assert set(
        NumberingSeries.objects.filter(company=company_a).values_list("period", "next_number")
    ) == {("202603", 3), ("202604", 2), ("", 3)}


def test_the_series_of_the_apps_keep_their_default_formats(company_a):
    assert [(s.key, s.default_pattern) for s in numbering.registered_series()] == [
        ("facture", "F-{annee}-{numero:05d}"),
        ("avoir", "AV-{annee}-{numero:05d}"),
        ("acompte", "AC-{annee}-{numero:05d}"),
        ("encaissement", "ENC-{annee}-{numero:05d}"),
        ("devis", "D-{annee}-{numero:04d}"),
        ("essai", "E-{annee}-{numero:03d}"),
    ]
    assert numero_attribuer(company=company_a, series="avoir", day=DAY) == "AV-2026-00001"


def test_an_unknown_series_is_refused_and_nothing_is_counted(company_a):
    with pytest.raises(NumerotationError, match="Type de document inconnu"):
        numero_attribuer(company=company_a, series="inconnu", day=DAY)
    with pytest.raises(NumerotationError, match="Type de document inconnu"):
        numerotation_modifier(company=company_a, series="inconnu", pattern="X{numero}", user=None)
    assert not NumberingSeries.objects.filter(company=company_a).exists()
    assert not Evenement.objects.exists()


def test_a_rollback_gives_the_number_back(company_a):
    assert numero_attribuer(company=company_a, series="essai", day=DAY) == "E-2026-001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert numero_attribuer(company=company_a, series="essai", day=DAY) == "E-2026-002"
        raise RuntimeError("the document was refused after its number was taken")
    assert numero_attribuer(company=company_a, series="essai", day=DAY) == "E-2026-002"


def test_a_format_change_is_logged_once_and_bad_formats_are_refused(company_a, owner_a):
    numerotation_modifier(
        company=company_a, series="essai", pattern=" ES-{numero} ", user=owner_a.user
    )
    numerotation_modifier(company=company_a, series="essai", pattern="ES-{numero}", user=None)
    event = Evenement.objects.get()
    assert event.kind == EventKind.IDENTITY and event.user == owner_a.user
    assert event.summary == "Numérotation essai : E-{annee}-{numero:03d} → ES-{numero}"
    assert b'"details":{"from":"E-{annee}-{numero:03d}","kind":"essai","to":"ES-{numero}"}' in (
        bytes(event.payload)
    )
    assert events_verify(company_a).findings == []
    with pytest.raises(NumerotationError, match="doit contenir"):
        numerotation_modifier(company=company_a, series="essai", pattern="ES-{annee}", user=None)
    with pytest.raises(NumerotationError, match="Format invalide"):
        numerotation_modifier(
            company=company_a, series="essai", pattern="{client}-{numero}", user=None
        )
    assert numero_attribuer(company=company_a, series="essai", day=DAY) == "ES-1"


def test_a_series_is_declared_once_with_a_short_key_and_a_usable_format():
    register_series("essai", label="Essai", default_pattern="E-{annee}-{numero:03d}")  # same: ok
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        register_series("essai", label="Autre", default_pattern="E-{annee}-{numero:03d}")
    with pytest.raises(ImproperlyConfigured, match="1 to 20 characters"):
        register_series(
            "mise_en_demeure_finale", label="Mise en demeure", default_pattern="{numero}"
        )
    with pytest.raises(ImproperlyConfigured, match="doit contenir"):
        register_series("devis", label="Devis", default_pattern="D-{annee}")
    assert [s.key for s in numbering.registered_series()][-1] == "essai"
