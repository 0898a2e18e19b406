"""The issuing check (facturation/mentions.py): what the mutation run of tests/README.md found
undefended. Each test names its rule."""

import pytest

from facturation.exceptions import FactureError
from facturation.services import facture_emettre
from tests import factories


def test_each_missing_mention_says_where_to_fix_it(db):
    """CGI art. 242 nonies A, C. com. L441-9: every missing mention is listed at once, in
    French, each one saying where to fix it (the company settings, the customer by name, the
    line by number), seller first, then customer, then lines."""
    company = factories.company("Incomplète SARL", legal_form="SARL")
    client = factories.client(company, name="Sans Adresse")
    facture = factories.draft(company, client, lines=[factories.line(vat_rate="0")])
    with pytest.raises(FactureError) as exc:
        facture_emettre(facture=facture, user=None)
    assert exc.value.problems == [
        "Paramètres de la société : adresse complète manquante.",
        "Paramètres de la société : capital social manquant.",
        "Paramètres de la société : ville du greffe (RCS) manquante.",
        "Paramètres de la société : numéro de TVA intracommunautaire manquant.",
        "Client « Sans Adresse » : adresse de facturation incomplète.",
        "Client « Sans Adresse » : SIREN manquant (obligatoire entre professionnels).",
        "Ligne 1 : motif d'exonération obligatoire à 0 %.",
    ]


@pytest.mark.parametrize(
    "missing", [{"address_line1": ""}, {"postal_code": ""}, {"city": ""}, {"name": ""}]
)
def test_a_seller_without_its_name_or_full_address_cannot_issue(db, missing):
    """C. com. L441-9: the seller's name and full address (street, postal code and city) are on
    every invoice; any one missing is refused at issue with its own message."""
    facture = factories.draft(factories.issuing_company(**missing))
    with pytest.raises(FactureError) as exc:
        facture_emettre(facture=facture, user=None)
    what = "dénomination sociale" if "name" in missing else "adresse complète"
    assert exc.value.problems == [f"Paramètres de la société : {what} manquante."]
