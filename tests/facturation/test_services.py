from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from facturation.exceptions import FactureError
from facturation.models import Facture, LigneFacture, Status
from facturation.services import (
    avoir_creer,
    facture_emettre,
    facture_lignes_enregistrer,
    facture_modifier,
    facture_supprimer,
)
from pgi.models import Enregistrement
from pgi.registre import verify_chain
from tests import factories


@pytest.fixture
def seller(db):
    return factories.issuing_company()


def test_issuing_numbers_freezes_and_seals(seller):
    facture = factories.draft(
        seller,
        lines=[factories.line("A", "2", "50"), factories.line("B", "1", "10", "5.5")],
    )
    issued = facture_emettre(facture=facture, user=None, today=date(2026, 3, 15))
    assert issued.status == Status.ISSUED
    assert issued.number == "F-2026-00001"
    assert issued.due_date == date(2026, 4, 14)  # 30 days by default
    assert (issued.total_excl_vat, issued.total_vat, issued.total_incl_vat) == (
        Decimal("110.00"), Decimal("20.55"), Decimal("130.55"),
    )  # fmt: skip
    assert issued.seller["siren"] == seller.siren
    record = Enregistrement.objects.get(company=seller, kind="facture")
    assert record.reference == "F-2026-00001"
    report = verify_chain(seller)
    assert (report.records, report.findings) == (1, [])


def test_numbers_are_consecutive_and_a_deleted_draft_leaves_no_gap(seller):
    first = factories.issued(seller)
    deleted = factories.draft(seller)
    facture_supprimer(facture=deleted)
    second = factories.issued(seller)
    assert [first.number[-5:], second.number[-5:]] == ["00001", "00002"]


def test_every_missing_mention_is_listed_at_once(db):
    company = factories.company("Incomplète SARL", legal_form="SARL")
    client = factories.client(company, name="Sans Adresse")
    facture = factories.draft(company, client, lines=[factories.line(vat_rate="0")])
    with pytest.raises(FactureError) as exc:
        facture_emettre(facture=facture, user=None)
    text = " ".join(exc.value.problems)
    for expected in (
        "adresse complète", "capital social", "ville du greffe", "TVA intracommunautaire",
        "adresse de facturation", "SIREN manquant", "motif d'exonération",
    ):  # fmt: skip
        assert expected in text
    facture.refresh_from_db()
    assert facture.status == Status.DRAFT and facture.number == ""
    assert not Enregistrement.objects.exists()


def test_an_issued_invoice_cannot_be_edited_through_the_services(seller):
    issued = factories.issued(seller)
    with pytest.raises(FactureError, match="ne peut plus être modifiée"):
        facture_modifier(facture=issued, fields={"notes": "changé"})
    with pytest.raises(FactureError):
        facture_lignes_enregistrer(facture=issued, lines=[factories.line()])
    with pytest.raises(FactureError):
        facture_supprimer(facture=issued)


# The messages of the triggers facture_issued_frozen (pgtrigger.Protect) and
# ligne_issued_frozen (LINE_FROZEN_SQL): any other database error fails these tests.
FACTURE_FROZEN = "pgtrigger: Cannot update or delete rows from facturation_facture table"
LINES_FROZEN = "facturation: the lines of an issued document cannot change"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE facturation_facture SET total_incl_vat = 1 WHERE id = %s", FACTURE_FROZEN),
        ("DELETE FROM facturation_facture WHERE id = %s", FACTURE_FROZEN),
        ("UPDATE facturation_lignefacture SET unit_price = 1 WHERE facture_id = %s", LINES_FROZEN),
        ("DELETE FROM facturation_lignefacture WHERE facture_id = %s", LINES_FROZEN),
        (
            "INSERT INTO facturation_lignefacture (company_id, facture_id, position, designation, "
            "description, quantity, unit, unit_price, discount_rate, vat_rate, "
            "vat_exemption_reason, nature) SELECT company_id, id, 9, 'x', '', 1, 'unité', 1, 0, "
            "20, '', 'service' FROM facturation_facture WHERE id = %s",
            LINES_FROZEN,
        ),
    ],
)
def test_raw_sql_cannot_change_an_issued_invoice(seller, sql, message):
    issued = factories.issued(seller)
    with (
        pytest.raises(DatabaseError, match=message),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [issued.pk])


# The message of the trigger enregistrement_append_only (pgtrigger.Protect).
REGISTRE_APPEND_ONLY = (
    "pgtrigger: Cannot update or delete rows from comptabilite_enregistrement table"
)


def test_raw_sql_cannot_change_or_delete_a_registre_record(seller):
    factories.issued(seller)
    for sql in (
        "UPDATE comptabilite_enregistrement SET reference = 'X'",
        "DELETE FROM comptabilite_enregistrement",
    ):
        with (
            pytest.raises(DatabaseError, match=REGISTRE_APPEND_ONLY),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)


def test_drafts_stay_editable(seller):
    facture = factories.draft(seller)
    facture_lignes_enregistrer(facture=facture, lines=[factories.line("X", "3", "7")])
    assert list(facture.lines.values_list("designation", flat=True)) == ["X"]


def test_partial_credit_note_references_the_invoice_and_has_its_own_series(seller):
    invoice = factories.issued(
        seller, lines=[factories.line("A", "4", "25"), factories.line("B", "1", "50")]
    )
    line_a = invoice.lines.get(designation="A")
    avoir = avoir_creer(facture=invoice, user=None, quantities={line_a.pk: Decimal("1")})
    avoir = facture_emettre(facture=avoir, user=None)
    assert avoir.number.startswith("AV-") and avoir.number.endswith("00001")
    assert avoir.origin == invoice
    assert avoir.total_incl_vat == Decimal("30.00")
    record = Enregistrement.objects.get(kind="avoir")
    assert b'"origin":{"issue_date"' in bytes(record.payload)


def test_credit_notes_cannot_exceed_the_invoice(seller):
    invoice = factories.issued(seller, lines=[factories.line("A", "1", "100")])
    facture_emettre(facture=avoir_creer(facture=invoice, user=None), user=None)
    with pytest.raises(FactureError, match="dépasse le reste"):
        avoir_creer(
            facture=invoice, user=None, amount_excl_vat=Decimal("1"), vat_rate=Decimal("20")
        )


def test_companies_have_separate_series(seller):
    other = factories.issuing_company("Autre SAS")
    assert factories.issued(seller).number == factories.issued(other).number
    assert LigneFacture.objects.count() == 2
    assert Facture.objects.filter(number="").count() == 0


def test_deposit_then_final_invoice_deducts_it_per_vat_rate(seller):
    from facturation.services import acompte_creer, acomptes_a_deduire, facture_deduire_acomptes

    client = factories.business_client(seller)
    lines = [factories.line("Pose", "1", "1000", "20"), factories.line("Livres", "1", "200", "5.5")]
    final = factories.draft(seller, client, lines=lines)
    deposit = acompte_creer(
        company=seller, client=client, user=None, facture=final, percent=Decimal("30")
    )
    deposit = facture_emettre(facture=deposit, user=None)
    assert deposit.number.startswith("AC-")
    assert deposit.total_excl_vat == Decimal("360.00")  # 30 % of 1000 + 30 % of 200
    assert deposit.total_vat == Decimal("63.30")  # 60.00 at 20 % + 3.30 at 5.5 %

    assert list(acomptes_a_deduire(facture=final)) == [deposit]
    facture_deduire_acomptes(facture=final, deposits=[deposit])
    final = facture_emettre(facture=final, user=None)
    assert final.total_excl_vat == Decimal("840.00")
    assert final.total_vat == Decimal("140.00") + Decimal("7.70")
    assert final.lines.filter(quantity=-1).count() == 2
    assert final.lines.filter(designation__startswith=f"Acompte n° {deposit.number} du ").exists()
    assert list(acomptes_a_deduire(facture=factories.draft(seller, client))) == []
    assert verify_chain(seller).ok


def test_a_negative_quantity_is_refused_on_an_ordinary_line(seller):
    with pytest.raises(FactureError, match="quantité doit être positive"):
        factories.draft(seller, lines=[factories.line("X", "-1", "10")])


def test_a_custom_number_format_is_used_and_bad_formats_are_refused(seller):
    from pgi.exceptions import NumerotationError
    from pgi.numbering import numerotation_modifier

    numerotation_modifier(company=seller, series="facture", pattern="FA{annee}{mois}-{numero:04d}",
                          user=None)  # fmt: skip
    issued = factories.issued(seller)
    assert issued.number == f"FA{issued.issue_date:%Y%m}-0001"
    with pytest.raises(NumerotationError, match="doit contenir"):
        numerotation_modifier(company=seller, series="facture", pattern="F-{annee}", user=None)
    with pytest.raises(NumerotationError, match="Format invalide"):
        numerotation_modifier(
            company=seller, series="facture", pattern="F-{client}-{numero}", user=None
        )


def test_no_document_can_be_dated_in_a_closed_month(seller):
    from comptabilite.services import cloture_effectuer
    from pgi.models import NumberingSeries

    facture_emettre(facture=factories.draft(seller), user=None, today=date(2026, 1, 15))
    cloture_effectuer(company=seller, kind="mensuelle", period_start=date(2026, 1, 1), user=None)
    late = factories.draft(seller)
    with pytest.raises(FactureError, match="clôturée"):
        facture_emettre(facture=late, user=None, today=date(2026, 1, 31))
    late.refresh_from_db()
    assert late.status == Status.DRAFT
    # the refused issue gave its number back: the next one has no gap
    assert NumberingSeries.objects.get(company=seller, series="facture").next_number == 2
    assert facture_emettre(facture=late, user=None, today=date(2026, 2, 2)).number.endswith("00002")


def test_saving_a_credit_note_draft_keeps_its_links_and_per_line_limits(seller):
    from facturation.services import avoir_creer, facture_lignes_enregistrer

    invoice = factories.issued(
        seller, lines=[factories.line("A", "2", "10"), factories.line("B", "1", "100")]
    )
    line_a = invoice.lines.get(designation="A")
    first = facture_emettre(
        facture=avoir_creer(facture=invoice, user=None, quantities={line_a.pk: Decimal("1")}),
        user=None,
    )
    assert first.lines.get().origin_line == line_a
    second = avoir_creer(facture=invoice, user=None, quantities={line_a.pk: Decimal("1")})
    # The editor sends the lines back with their link; a raised quantity is caught at issue.
    data = [{"designation": "A", "quantity": Decimal("2"), "unit_price": Decimal("10"),
             "vat_rate": Decimal("20"), "origin_line": line_a}]  # fmt: skip
    facture_lignes_enregistrer(facture=second, lines=data)
    with pytest.raises(FactureError, match="1 au plus restent à créditer"):
        facture_emettre(facture=second, user=None)


def test_a_line_cannot_deduct_another_customers_deposit(seller):
    from facturation.services import acompte_creer, facture_lignes_enregistrer

    deposit = facture_emettre(
        facture=acompte_creer(
            company=seller, client=factories.business_client(seller), user=None,
            amount_excl_vat=Decimal("100"),
        ),
        user=None,
    )  # fmt: skip
    other = factories.draft(seller)  # another customer
    with pytest.raises(FactureError, match="acompte non déductible"):
        facture_lignes_enregistrer(
            facture=other,
            lines=[{"designation": "x", "quantity": Decimal("-1"), "unit_price": Decimal("100"),
                    "vat_rate": Decimal("20"), "deposit": deposit}],
        )  # fmt: skip
