"""Rules of document numbering (pgi/numbering.py) that no test defended until the mutation run
of tests/README.md showed it: each test names its rule."""

from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from pgi import numbering
from pgi.exceptions import NumerotationError
from pgi.numbering import (
    numerotation_apercu,
    numerotation_format,
    numerotation_modifier,
    register_series,
)


def test_the_preview_of_a_format_shows_the_sample_number_42():
    """The settings page previews a format on the sample number 42, at the given date."""
    assert numerotation_apercu("F-{annee}-{numero:05d}", date(2026, 3, 14)) == "F-2026-00042"
    assert numerotation_apercu("F{annee}{mois}-{numero}", date(2026, 3, 14), 7) == "F202603-7"


def test_an_unusable_format_is_refused_with_its_french_reason():
    """A format without {numero} could give two documents one number (CGI art. 242 nonies A:
    a unique, continuous sequence); a format with an unknown variable cannot be applied.
    Each is refused with its own French message, which shows an example to copy."""
    with translation.override("fr"):
        with pytest.raises(NumerotationError) as missing:
            numerotation_apercu("F-{annee}")
        with pytest.raises(NumerotationError) as unknown:
            numerotation_apercu("F-{jour}-{numero}")
    assert missing.value.problems == [
        "Le format doit contenir {numero}, par exemple F-{annee}-{numero:05d}."
    ]
    assert unknown.value.problems == [
        "Format invalide : variables permises {annee}, {mois}, {numero} (ex. {numero:05d})."
    ]


def test_a_series_key_may_fill_its_column(monkeypatch):
    """A series key is stored in a 20-character column: 20 characters are accepted, 21
    refused at start-up."""
    monkeypatch.setattr(numbering, "_registry", dict(numbering._registry))
    assert register_series("k" * 20, label="Vingt", default_pattern="{numero}").key == "k" * 20
    with pytest.raises(ImproperlyConfigured, match="1 to 20 characters"):
        register_series("k" * 21, label="Vingt et un", default_pattern="{numero}")


@pytest.mark.django_db
def test_a_number_format_belongs_to_its_company_and_its_series(company_a, company_b):
    """Each company numbers its own documents: a format chosen by one company for one series
    changes neither another company's numbers nor its own other series; an unknown series is
    refused in French."""
    numerotation_modifier(company=company_b, series="facture", pattern="B-{numero}", user=None)
    numerotation_modifier(company=company_a, series="avoir", pattern="AV-{numero}", user=None)
    default = numbering._series("facture").default_pattern
    assert numerotation_format(company=company_a, series="facture") == default
    assert numerotation_format(company=company_b, series="facture") == "B-{numero}"
    with translation.override("fr"), pytest.raises(NumerotationError) as unknown:
        numerotation_format(company=company_a, series="inconnue")
    assert unknown.value.problems == ["Type de document inconnu."]
