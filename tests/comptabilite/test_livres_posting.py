"""One seal, one entry: issuing, crediting, paying and reversing post balanced entries in the
journaux comptables VT and BQ, in the same transaction; the database refuses the rest."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from comptabilite.livres.models import Ecriture, Journal, Lettrage, LigneEcriture, Role
from comptabilite.livres.selectors import lettrage_etat
from encaissement.services import Allocation, paiement_annuler, paiement_enregistrer
from facturation.services import avoir_creer, facture_emettre
from pgi.models import VatRegime
from tests import factories

D = Decimal
DAY = date(2026, 3, 10)


@pytest.fixture
def company(db):
    return factories.issuing_company()


def issue(company, lines, client=None, day=DAY):
    return facture_emettre(
        facture=factories.draft(company, client, lines=lines), user=None, today=day
    )


def lines_of(facture_or_number, company):
    number = getattr(facture_or_number, "number", facture_or_number)
    entry = Ecriture.objects.get(company=company, piece_ref=number)
    return entry, {
        (line.account, line.aux): (line.debit, line.credit) for line in entry.lignes.all()
    }


def pay(company, facture, amount, day=DAY):
    return paiement_enregistrer(
        company=company, user=None, client=facture.client, day=day, amount=D(amount),
        method="virement", allocations=[Allocation(facture.pk, D(amount))],
    )  # fmt: skip


def balance(company, **filters):
    rows = LigneEcriture.objects.filter(company=company, **filters)
    return sum((line.debit - line.credit for line in rows), D(0))


def test_an_invoice_posts_its_balanced_sales_entry(company):
    """Services at 20 % (VAT due when cashed: 44574) and goods at 5.5 % (due on invoicing)."""
    facture = issue(
        company,
        [
            factories.line("Conseil", unit_price="1000", vat_rate="20"),
            factories.line("Livre", quantity="2", unit_price="50", vat_rate="5.5", nature="bien"),
        ],
    )
    entry, lines = lines_of(facture, company)
    aux = f"C{facture.client_id:06d}"
    assert (entry.journal, entry.number, entry.date) == (Journal.SALES, 1, DAY)
    assert lines == {
        ("411000", aux): (D("1305.50"), D("0")),
        ("706200", ""): (D("0"), D("1000.00")),
        ("707055", ""): (D("0"), D("100.00")),
        ("44574200", ""): (D("0"), D("200.00")),
        ("44571055", ""): (D("0"), D("5.50")),
    }


def test_a_credit_note_reverses_and_a_payment_moves_the_vat_on_services(company):
    facture = issue(company, [factories.line("Conseil", unit_price="1000", vat_rate="20")])
    avoir = avoir_creer(facture=facture, user=None, amount_excl_vat=D("100"), vat_rate=D("20"))
    avoir = facture_emettre(facture=avoir, user=None, today=DAY)
    _entry, lines = lines_of(avoir, company)
    aux = f"C{facture.client_id:06d}"
    assert lines == {
        ("411000", aux): (D("0"), D("120.00")),
        ("706200", ""): (D("100.00"), D("0")),
        ("44574200", ""): (D("20.00"), D("0")),
    }
    assert lettrage_etat(company=company, facture=facture) == "partiel"

    first = pay(company, facture, "540.00")
    entry, lines = lines_of(first, company)
    assert (entry.journal, entry.number) == (Journal.BANK, 1)
    assert lines[("512000", "")] == (D("540.00"), D("0"))
    assert lines[("411000", aux)] == (D("0"), D("540.00"))
    # Half of what is due, so half of the VAT waiting: 90.00 of 180.00.
    assert lines[("44574200", "")] == (D("90.00"), D("0"))
    assert lines[("44571200", "")] == (D("0"), D("90.00"))
    assert not Lettrage.objects.filter(facture=facture).exists()

    pay(company, facture, "540.00")
    assert balance(company, account="44574200") == D("0")
    assert balance(company, account="44571200") == D("-180.00")
    lettrage = Lettrage.objects.get(facture=facture)
    assert lettrage.letter == "AAA"
    assert lettrage_etat(company=company, facture=facture) == "AAA"


def test_a_reversal_writes_the_opposite_and_unletters(company):
    facture = issue(company, [factories.line(unit_price="100", vat_rate="20")])
    paiement = pay(company, facture, "120.00")
    assert Lettrage.objects.filter(facture=facture).exists()
    reversal = paiement_annuler(paiement=paiement, user=None, day=DAY)
    _entry, lines = lines_of(reversal, company)
    assert lines[("512000", "")] == (D("0"), D("120.00"))
    assert lines[("411000", f"C{facture.client_id:06d}")] == (D("120.00"), D("0"))
    assert balance(company, account="44574200") == D("-20.00")
    assert not Lettrage.objects.filter(facture=facture).exists()
    assert Ecriture.objects.filter(company=company, journal=Journal.BANK).count() == 2


def test_debits_option_and_reverse_charge(company):
    company.vat_regime = VatRegime.DEBITS
    company.save()
    facture = issue(company, [factories.line(unit_price="100", vat_rate="20")])
    assert lines_of(facture, company)[1][("44571200", "")] == (D("0"), D("20.00"))
    german = factories.business_client(
        company, name="GmbH", billing_country="DE", siren="", vat_number="DE123456788"
    )
    intra = issue(
        company,
        [factories.line(unit_price="300", vat_rate="0", vat_exemption_reason="Autoliquidation")],
        client=german,
    )
    entry, lines = lines_of(intra, company)
    assert entry.vat_case == "reverse_charge"
    assert lines[("706300", "")] == (D("0"), D("300.00"))


def test_unsettled_payment_stays_on_the_customer_account(company):
    facture = issue(company, [factories.line(unit_price="100", vat_rate="20")])
    paiement = paiement_enregistrer(
        company=company, user=None, client=facture.client, day=DAY, amount=D("200"),
        method="cheque", allocations=[Allocation(facture.pk, D("120"))],
    )  # fmt: skip
    _entry, lines = lines_of(paiement, company)
    assert balance(company, role=Role.CUSTOMER, aux=f"C{facture.client_id:06d}") == D("-80.00")
    assert lines[("512000", "")] == (D("200.00"), D("0"))


def test_the_database_refuses_an_unbalanced_or_changed_entry(company):
    facture = issue(company, [factories.line(unit_price="100", vat_rate="20")])
    entry = Ecriture.objects.get(company=company, piece_ref=facture.number)
    with pytest.raises(IntegrityError), transaction.atomic():
        LigneEcriture.objects.create(
            company=company, ecriture=entry, position=99, role=Role.BANK, account="512000",
            account_label="Banque", label="x", debit=D("1"),
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError), transaction.atomic():
        LigneEcriture.objects.filter(ecriture=entry).update(label="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()


def test_a_credit_allocated_later_moves_to_the_invoice_and_its_vat(company):
    """Money received before its invoice is chosen: the OD entry moves it from the
    customer's credit to the invoice, with the VAT of the services it pays."""
    from encaissement.services import paiement_affecter

    first = issue(company, [factories.line(unit_price="100", vat_rate="20")])
    second = issue(company, [factories.line(unit_price="50", vat_rate="20")], first.client)
    paiement = paiement_enregistrer(
        company=company, user=None, client=first.client, day=DAY, amount=D("180"),
        method="virement", allocations=[Allocation(first.pk, D("120"))],
    )  # fmt: skip
    assert balance(company, account="44574200") == D("-10.00")  # second's VAT still waits
    paiement_affecter(paiement=paiement, user=None, allocations=[Allocation(second.pk, D("60"))])
    entry = Ecriture.objects.get(company=company, journal=Journal.MISC)
    assert entry.number == 1 and entry.piece_ref == paiement.number
    assert balance(company, account="44574200") == D("0")
    assert balance(company, account="44571200") == D("-30.00")
    assert Lettrage.objects.filter(facture__in=[first, second]).count() == 2
    assert balance(company, role=Role.CUSTOMER) == D("0")
    # Reversing the payment un-allocates both invoices, in the books too.
    paiement_annuler(paiement=paiement, user=None, day=DAY)
    assert not Lettrage.objects.filter(facture__in=[first, second]).exists()
    assert balance(company, role=Role.CUSTOMER) == D("180.00")


def test_a_credit_note_set_against_another_invoice(company):
    from encaissement.services import avoir_imputer

    first = issue(company, [factories.line(unit_price="100", vat_rate="20")])
    second = issue(company, [factories.line(unit_price="100", vat_rate="20")], first.client)
    pay(company, first, "120.00")
    avoir = avoir_creer(facture=first, user=None, amount_excl_vat=D("50"), vat_rate=D("20"))
    avoir = facture_emettre(facture=avoir, user=None, today=DAY)
    assert not Lettrage.objects.filter(facture=first).exists()  # over-credited
    avoir_imputer(avoir=avoir, facture=second, amount=D("60"), user=None)
    assert Lettrage.objects.filter(facture=first).exists()
    pay(company, second, "60.00")
    assert Lettrage.objects.filter(facture=second).exists()
    assert balance(company, role=Role.CUSTOMER) == D("0")


def test_a_deposit_goes_to_4191_and_its_final_invoice_takes_it_back(company):
    from facturation.services import acompte_creer, facture_deduire_acomptes

    final = factories.draft(company, lines=[factories.line("Chantier", unit_price="1000")])
    deposit = acompte_creer(
        company=company, client=final.client, user=None, facture=final, percent=D("30")
    )
    deposit = facture_emettre(facture=deposit, user=None, today=DAY)
    _entry, lines = lines_of(deposit, company)
    aux = f"C{final.client_id:06d}"
    assert lines[("411000", aux)] == (D("360.00"), D("0"))
    assert lines[("419100", "")] == (D("0"), D("300.00"))
    facture_deduire_acomptes(facture=final, deposits=[deposit])
    final = facture_emettre(facture=final, user=None, today=DAY)
    _entry, lines = lines_of(final, company)
    assert lines[("411000", aux)] == (D("840.00"), D("0"))
    assert lines[("419100", "")] == (D("300.00"), D("0"))
    assert lines[("706200", "")] == (D("0"), D("1000.00"))
    assert balance(company, account="419100") == D("0")
