"""The quote number format, changed on the numbering settings page, is checked against the
quote numbers already given, as the invoice formats are against the issued invoices
(`pgi.numbering`): quotes are not sealed in the register under their series, so the series
gives its numbers itself (`devis.selectors.numeros_donnes`)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from devis import services
from pgi.exceptions import NumerotationError
from pgi.numbering import numerotation_format, numerotation_modifier
from pgi.permissions import Role
from tests import factories
from tests.conftest import login
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db

PAGE = reverse("facturation:numerotation")


@pytest.fixture
def seller():
    return factories.issuing_company("Couverture Morel SARL", email="contact@morel.fr")


def test_a_quote_format_that_would_give_a_number_again_is_refused_on_the_page(client, seller):
    login(client, factories.member(seller, Role.OWNER))
    today = timezone.localdate()
    client.post(PAGE, {"devis": "D{annee}{mois}{numero:03d}"})
    first = quotes.sent(seller).number
    assert first == f"D{today:%Y%m}001"
    # yearly, the same digits: its 11th... number would be the one already given
    response = client.post(PAGE, {"devis": "D{annee}{numero:05d}"})
    assert f"la série redonnerait le numéro {first}, déjà émis" in response.content.decode()
    assert numerotation_format(company=seller, series="devis") == "D{annee}{mois}{numero:03d}"
    # one that keeps a distinguishing part is accepted
    response = client.post(PAGE, {"devis": "DV{annee}-{numero:05d}"}, follow=True)
    assert "Numérotation enregistrée." in response.content.decode()
    assert quotes.sent(seller).number == f"DV{today:%Y}-00001"


def test_a_revision_keeps_its_number_and_drafts_have_none_to_check(seller):
    today = timezone.localdate()
    numerotation_modifier(
        company=seller, series="devis", pattern="D{annee}{mois}{numero:03d}", user=None
    )
    services.devis_reviser(devis=quotes.sent(seller), user=None)  # a draft of the same number
    quotes.draft(seller)
    with pytest.raises(NumerotationError, match=f"D{today:%Y%m}001"):
        numerotation_modifier(company=seller, series="devis", pattern="D{annee}{numero:05d}",
                              user=None)  # fmt: skip
    # Another company's quotes are none of this one's business.
    other = factories.issuing_company("Autre SAS")
    numerotation_modifier(company=other, series="devis", pattern="D{annee}{numero:05d}", user=None)
