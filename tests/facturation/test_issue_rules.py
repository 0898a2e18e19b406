"""What `facture_emettre` refuses, one rule at a time, each with its French message.

Every case starts from a seller and a customer that carry every mention (the invoice issues),
breaks one thing, and expects exactly that thing's message, the draft left unnumbered.
"""

from decimal import Decimal

import pytest

from facturation.exceptions import FactureError
from facturation.models import Facture, LigneFacture, Status
from facturation.services import (
    facture_creer,
    facture_emettre,
    facture_lignes_enregistrer,
    facture_modifier,
)
from pgi.models import Company, Enregistrement
from pgi.services import company_update
from tests import factories

SELLER = "Paramètres de la société"
TERMS_61 = (
    "Délai de paiement de 61 jours : 60 jours au plus après la date de facture (C. com. L441-10)."
)


@pytest.fixture
def seller(db):
    return factories.issuing_company()


def refusal(facture: Facture) -> list[str]:
    """The problems `facture_emettre` gives; the draft keeps no number and nothing is sealed."""
    with pytest.raises(FactureError) as exc:
        facture_emettre(facture=facture, user=None)
    facture.refresh_from_db()
    assert (facture.status, facture.number) == (Status.DRAFT, "")
    assert not Enregistrement.objects.filter(company_id=facture.company_id).exists()
    return exc.value.problems


def issues(facture: Facture) -> bool:
    return facture_emettre(facture=facture, user=None).status == Status.ISSUED


def german_business(company, **fields):
    """A business customer in another EU country: reverse charge (CGI art. 283-2)."""
    data = {"siren": "", "vat_number": "DE136695976", "billing_country": "DE",
            "billing_postal_code": "10115", "billing_city": "Berlin"}  # fmt: skip
    return factories.business_client(company, name="Kunde GmbH", **(data | fields))


def american_business(company):
    """A business customer outside the EU: export (CGI art. 262 I, 259-1)."""
    return factories.business_client(
        company, name="Customer Inc", siren="", vat_number="", billing_country="US",
        billing_postal_code="10001", billing_city="New York",
    )  # fmt: skip


# VAT cases (CGI art. 293 B, 283-2, 262 ter I, 262 I)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("franchise", "Ligne 1 : TVA à 0 % obligatoire en franchise en base (art. 293 B du CGI)."),
        ("reverse_charge", "Ligne 1 : TVA à 0 % obligatoire (autoliquidation ou exportation)."),
        ("export", "Ligne 1 : TVA à 0 % obligatoire (autoliquidation ou exportation)."),
    ],
)
def test_a_line_at_20_percent_is_refused_where_no_french_vat_is_charged(db, case, message):
    """CGI art. 293 B (franchise), art. 283-2 (reverse charge), art. 262 I and 259-1 (export):
    no French VAT on the invoice, so a line at 20 % is refused; at 0 %, the case's mention
    stands for the exemption reason and the invoice issues."""
    if case == "franchise":
        company = factories.issuing_company(vat_regime="franchise")
        customer = factories.business_client(company)
    else:
        company = factories.issuing_company()
        customer = (german_business if case == "reverse_charge" else american_business)(company)
    facture = factories.draft(company, customer, lines=[factories.line("Conseil", vat_rate="20")])
    assert refusal(facture) == [message]
    facture_lignes_enregistrer(facture=facture, lines=[factories.line("Conseil", vat_rate="0")])
    assert issues(facture)


def test_reverse_charge_needs_the_customers_vat_number(seller):
    """CGI art. 242 nonies A-I-4°, art. 283-2: the customer owes the VAT, its intra-EU VAT
    number must be on the invoice."""
    customer = german_business(seller, vat_number="")
    facture = factories.draft(seller, customer, lines=[factories.line(vat_rate="0")])
    assert refusal(facture) == [
        "Client « Kunde GmbH » : numéro de TVA intracommunautaire obligatoire pour "
        "l'autoliquidation."
    ]


# Payment terms (C. com. L441-10)


def test_payment_terms_of_61_days_are_refused_at_save_and_60_accepted(seller):
    """C. com. L441-10: 60 days at most after the invoice date; the limit binds the invoice's
    own terms, not only the customer's, and the draft is refused as soon as it is saved."""
    customer = factories.business_client(seller)
    with pytest.raises(FactureError) as exc:
        facture_creer(company=seller, client=customer, user=None, fields={"payment_terms_days": 61})
    assert (exc.value.problems, exc.value.field_errors) == (
        [TERMS_61],
        {"payment_terms_days": [TERMS_61]},
    )
    assert not Facture.objects.exists()
    facture = factories.draft(seller, customer, payment_terms_days=60)
    with pytest.raises(FactureError) as exc:
        facture_modifier(facture=facture, fields={"payment_terms_days": 61})
    assert exc.value.problems == [TERMS_61]
    facture.refresh_from_db()
    assert facture.payment_terms_days == 60
    issued = facture_emettre(facture=facture, user=None)
    assert (issued.due_date - issued.issue_date).days == 60


def test_payment_terms_of_61_days_are_refused_at_issue(seller):
    """C. com. L441-10: a draft saved before the limit was checked at save still cannot be
    issued with 61 days."""
    facture = factories.draft(seller)
    Facture.objects.filter(pk=facture.pk).update(payment_terms_days=61)
    assert refusal(facture) == [TERMS_61]


def test_a_credit_note_has_no_payment_terms_limit(seller):
    """A credit note has no due date (C. com. L441-10 binds what is owed by the customer)."""
    from facturation.services import avoir_creer

    avoir = avoir_creer(facture=factories.issued(seller), user=None)
    facture_modifier(facture=avoir, fields={"payment_terms_days": 90})
    assert issues(avoir)


# The seller's legal identity (CGI art. 242 nonies A, C. com. R123-237 and R123-238)


@pytest.mark.parametrize("form", ["SAS", "SASU", "EURL", "SA", "SARL"])
def test_a_company_form_must_show_its_share_capital(db, form):
    """C. com. R123-238: a SARL, EURL, SAS, SASU or SA shows its share capital."""
    company = factories.issuing_company(legal_form=form, share_capital=None)
    assert refusal(factories.draft(company)) == [f"{SELLER} : capital social manquant."]
    company_update(company=company, fields={"share_capital": Decimal("1000")})
    assert issues(factories.draft(company))


@pytest.mark.parametrize("form", ["EI", "ASSO"])
def test_other_forms_issue_without_a_share_capital(db, form):
    """A sole trader or an association has no share capital to show."""
    company = factories.issuing_company(legal_form=form, share_capital=None)
    assert issues(factories.draft(company))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("legal_name", "", "dénomination sociale manquante."),
        ("legal_name", "   ", "dénomination sociale manquante."),
        ("siren", "", "SIREN manquant."),
        ("address_line1", "", "adresse complète manquante."),
        ("postal_code", "", "adresse complète manquante."),
        ("city", "", "adresse complète manquante."),
        ("city", "  ", "adresse complète manquante."),
    ],
)
def test_the_seller_identity_must_be_complete(seller, field, value, message):
    """CGI art. 242 nonies A-I-1° to 3°: the seller's name, SIREN and full address; a value
    of spaces is no value."""
    facture = factories.draft(seller)
    Company.objects.filter(pk=seller.pk).update(**{field: value})  # as the admin could
    assert refusal(facture) == [f"{SELLER} : {message}"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("billing_line1", ""),
        ("billing_postal_code", ""),
        ("billing_city", ""),
        ("billing_city", "   "),
    ],
)
def test_the_customer_billing_address_must_be_complete(seller, field, value):
    """CGI art. 242 nonies A-I-1°: the customer's full billing address."""
    customer = factories.business_client(seller, name="Client Pro SARL", **{field: value})
    assert refusal(factories.draft(seller, customer)) == [
        "Client « Client Pro SARL » : adresse de facturation incomplète."
    ]


# Lines (CGI art. 242 nonies A-I-5°)


def test_an_invoice_without_lines_is_refused(seller):
    """CGI art. 242 nonies A-I-5°: an invoice lists what is sold."""
    assert refusal(factories.draft(seller, lines=[])) == ["La facture n'a aucune ligne."]


def test_a_designation_of_spaces_is_refused(seller):
    """CGI art. 242 nonies A-I-5°: each line names what is sold; spaces name nothing."""
    facture = factories.draft(seller, lines=[factories.line("Conseil"), factories.line("   ")])
    assert refusal(facture) == ["Ligne 2 : désignation manquante."]


@pytest.mark.parametrize("quantity", ["0", "-2"])
def test_a_line_of_no_quantity_is_refused_at_issue_even_behind_the_services(seller, quantity):
    """CGI art. 242 nonies A-I-5°: each line states the quantity sold. Saving a draft already
    refuses a quantity of zero or less; the issuing check refuses it again when a line got it
    behind the services (as the admin could), with the line's number. Only a deposit
    deduction line (quantity -1, linked to its deposit) may be negative: the deposit test of
    tests/facturation/test_services.py issues one."""
    facture = factories.draft(seller, lines=[factories.line("Conseil"), factories.line("Audit")])
    LigneFacture.objects.filter(facture=facture, designation="Audit").update(
        quantity=Decimal(quantity)
    )
    assert refusal(facture) == ["Ligne 2 : la quantité doit être positive."]
