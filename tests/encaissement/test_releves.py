"""Bank statements: import in four formats, never twice, all or nothing; matching suggestions
and their confirmation as sealed payments (issue #16, LEGAL.md §4 and §6)."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from encaissement.models import Paiement
from encaissement.releves import matching, services
from encaissement.releves.demo import camt053
from encaissement.releves.exceptions import ReleveError
from encaissement.releves.models import LigneReleve, Releve, Suggestion
from encaissement.services import paiement_annuler
from facturation.selectors import facture_lire
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"
D = Decimal
TODAY = timezone.localdate()
OWN_IBAN = "FR7630006000011234567890189"  # factories.issuing_company's


@pytest.fixture
def company(db):
    return factories.issuing_company()


def _command(company, path, *extra) -> list[str]:
    out = StringIO()
    call_command("import_bank_statement", "--company", company.siren, *extra, str(path), stdout=out)
    return out.getvalue().strip().splitlines()


def _import(company, content: bytes, name="releve", mapping=None, compte=None) -> Releve:
    releve = services.releve_deposer(
        company=company, user=None, filename=name, content=content, compte=compte
    )
    return services.releve_importer(releve=releve, user=None, mapping=mapping)


@pytest.mark.parametrize(
    ("name", "count"),
    [("releve.camt053.xml", 3), ("releve.ofx", 3), ("releve.cfonb120", 3), ("releve.csv", 4)],
)
def test_each_format_imports_and_a_second_import_adds_nothing(company, name, count):
    """CAMT.053, OFX, CFONB 120 and CSV each import every movement once; the same file again
    gives only duplicates (one key per line and account)."""
    lines = _command(company, FIXTURES / name)
    assert lines[-1] == f"importées : {count} · doublons : 0 · rapprochées : 0"
    assert LigneReleve.objects.filter(company=company).count() == count
    lines = _command(company, FIXTURES / name)
    assert lines[-1] == f"importées : 0 · doublons : {count} · rapprochées : 0"
    assert LigneReleve.objects.filter(company=company).count() == count


def test_amounts_signs_dates_and_parties_are_read_as_the_bank_wrote_them(company):
    """CFONB amounts carry their sign in the last character; CAMT debits are negative; the
    payer's name and IBAN are kept for matching."""
    _command(company, FIXTURES / "releve.cfonb120")
    _command(company, FIXTURES / "releve.camt053.xml")
    cfonb = {line.amount for line in LigneReleve.objects.filter(releve__format="cfonb120")}
    assert cfonb == {D("540.00"), D("-12.50"), D("99.99")}
    credit = LigneReleve.objects.get(amount=D("240.00"))
    assert credit.counterparty == "BOULANGERIE MARTIN"
    assert credit.counterparty_iban == "FR1420041010050500013M02606"
    assert str(credit.booking_date) == "2026-11-20"
    assert LigneReleve.objects.filter(releve__format="camt053", amount__lt=0).count() == 2


def test_overlapping_statements_add_only_new_lines_and_keep_identical_twins(company):
    """Two identical transfers the same day are two lines; a second statement covering the
    same days again adds only the day it has more."""
    head = "Date;Libellé;Montant\n"
    first = head + "01/11/2026;VIR DUPONT;100,00\n02/11/2026;VIR X;50,00\n02/11/2026;VIR X;50,00\n"
    second = head + "02/11/2026;VIR X;50,00\n02/11/2026;VIR X;50,00\n03/11/2026;VIR Z;1 234,56\n"
    mapping = {"delimiter": ";", "header": True, "date": 0, "label": 1, "amount": 2}
    r1 = _import(company, first.encode(), mapping=mapping)
    r2 = _import(company, second.encode(), mapping=mapping)
    assert (r1.imported, r1.duplicates, r2.imported, r2.duplicates) == (3, 0, 1, 2)
    assert LigneReleve.objects.filter(company=company, amount=D("50.00")).count() == 2
    assert LigneReleve.objects.filter(company=company, amount=D("1234.56")).exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "Date;Libellé;Montant\n01/11/2026;A;10,00\n31/02/2026;B;10,00\n",
            "Ligne 3 : la date « 31/02/2026 » n'est pas une date",
        ),
        (
            "Date;Libellé;Montant\n01/11/2026;A;10,00\n02/11/2026;B;dix euros\n",
            "Ligne 3 : « dix euros » n'est pas un montant",
        ),
    ],
)
def test_a_bad_csv_line_is_named_and_nothing_is_imported(company, content, expected):
    """A bad line refuses the whole file, in French, naming the line: nothing half-imported."""
    mapping = {"delimiter": ";", "header": True, "date": 0, "label": 1, "amount": 2}
    with pytest.raises(ReleveError) as error:
        _import(company, content.encode(), mapping=mapping)
    assert expected in " ".join(error.value.problems)
    assert not LigneReleve.objects.filter(company=company).exists()


def test_a_bad_cfonb_record_is_named_and_nothing_is_imported(company):
    """A record of the wrong length (line 4) refuses the file; the lines before it are not
    imported either."""
    rows = (FIXTURES / "releve.cfonb120").read_text().splitlines()
    rows[3] = rows[3][:100]
    with pytest.raises(CommandError, match="Ligne 4 : un enregistrement CFONB compte 120"):
        _command_bytes(company, "\r\n".join(rows).encode(), "bad.cfonb120")
    assert not LigneReleve.objects.filter(company=company).exists()


def test_a_camt_file_off_the_schema_is_refused_with_its_line(company):
    """CAMT.053 is checked against the ISO 20022 schema: an entry without its bank
    transaction code (mandatory) is refused, naming the line."""
    text = (FIXTURES / "releve.camt053.xml").read_text()
    start = text.index("<BkTxCd>")
    end = text.index("</BkTxCd>") + len("</BkTxCd>")
    line = text.count("\n", 0, start) + 1
    with pytest.raises(ReleveError) as error:
        _import(company, (text[:start] + text[end:]).encode())
    message = " ".join(error.value.problems)
    assert "ne respecte pas le schéma ISO 20022" in message
    assert f"Ligne {line}" in message or f"Ligne {line + 1}" in message
    assert not LigneReleve.objects.filter(company=company).exists()


def test_a_bad_ofx_movement_is_named(company):
    """An OFX movement ofxtools refuses (an amount that is not one) is named by its line."""
    text = (FIXTURES / "releve.ofx").read_text().replace("<TRNAMT>-45.90", "<TRNAMT>abc")
    with pytest.raises(ReleveError) as error:
        _import(company, text.encode())
    assert "Ligne 45 : mouvement OFX invalide, montant « abc » illisible" in " ".join(
        error.value.problems
    )
    assert not LigneReleve.objects.filter(company=company).exists()


def _command_bytes(company, content: bytes, name: str, *extra):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        return _command(company, path, *extra)


def test_a_statement_of_another_account_is_refused(company):
    """A statement whose account is not one of the company's is refused, saying which."""
    text = (FIXTURES / "releve.camt053.xml").read_text()
    text = text.replace(OWN_IBAN, "DE89370400440532013000")
    with pytest.raises(CommandError, match="DE89370400440532013000, qui n'est pas un compte"):
        _command_bytes(company, text.encode(), "autre.xml")
    with pytest.raises(CommandError, match="n'est pas un compte bancaire"):
        _command(company, FIXTURES / "releve.ofx", "--account", "DE89370400440532013000")
    assert not LigneReleve.objects.filter(company=company).exists()


def test_bank_accounts_are_checked_and_unique(company):
    """IBANs are checked by schwifty; the same account twice is refused."""
    with pytest.raises(ReleveError, match="IBAN"):
        services.compte_bancaire_creer(
            company=company, name="X", iban="FR7630006000011234567890188"
        )
    services.compte_initial(company)
    with pytest.raises(ReleveError, match="déjà enregistré"):
        services.compte_bancaire_creer(company=company, name="Y", iban=OWN_IBAN.lower())


# Matching


def _camt(entries: list[dict]) -> bytes:
    """A valid CAMT.053.001.02 statement of the company's account with these credits."""
    return camt053(iban=OWN_IBAN, day=TODAY, entries=entries)


@pytest.fixture
def prepared(company):
    """Four customers, an invoice each; the fourth and a fifth invoice share an amount."""
    names = ["Boulangerie Martin", "Garage Bernard", "Cabinet Leroy", "Atelier Petit"]
    customers = [factories.business_client(company, name=n) for n in names]
    prices = ["100", "250", "80", "50"]
    invoices = [
        factories.issued(company, c, lines=[factories.line(unit_price=p)])
        for c, p in zip(customers, prices, strict=True)
    ]
    other = factories.issued(
        company,
        factories.business_client(company, name="Divers"),
        [factories.line(unit_price="50")],
    )
    lines = [
        {"amount": "120.00", "label": f"VIR SEPA REGLT {invoices[0].number.replace('-', ' ')}",
         "payer": "M MARTIN"},
        {"amount": "300.00", "ref": matching.reference_structuree(invoices[1].number),
         "payer": "SARL GB"},
        {"amount": "96.00", "label": "HONORAIRES NOVEMBRE", "payer": "CABINET LEROY"},
        {"amount": "60.00", "label": "VIREMENT", "payer": "X"},
    ]  # fmt: skip
    return invoices, other, _camt(lines)


def test_three_lines_of_four_are_matched_automatically_to_the_right_invoices(company, prepared):
    """With auto-confirm on, the number in the label, the structured reference and the
    customer's name with the exact amount each settle their invoice; an amount shared by two
    invoices is left for a person to choose (never a guess)."""
    invoices, other, content = prepared
    services.reglages_enregistrer(company=company, auto_confirm=True)
    releve = _import(company, content)
    assert (releve.imported, releve.matched) == (4, 3)
    for facture in invoices[:3]:
        assert facture_lire(company=company, pk=facture.pk).amount_due == 0
    for facture in (invoices[3], other):
        assert facture_lire(company=company, pk=facture.pk).amount_due == D("60.00")
    matched = LigneReleve.objects.filter(status=LigneReleve.Status.MATCHED).select_related(
        "paiement"
    )
    assert matched.count() == 3
    for line in matched:
        assert line.paiement.method == "virement"
        assert line.paiement.date == TODAY
        assert line.paiement.amount == line.amount
    open_line = LigneReleve.objects.get(status=LigneReleve.Status.OPEN)
    assert set(open_line.suggestions.values_list("facture", flat=True)) == {
        invoices[3].pk,
        other.pk,
    }
    by_number = matched.get(amount=D("120.00"))
    assert by_number.paiement.reference == by_number.label  # the bank's label, for the books


def test_without_auto_confirm_suggestions_wait_and_are_ranked(company, prepared):
    """Auto-confirm is the owner's choice: off, nothing is paid, each line gets its ranked
    suggestions with their reasons; confirming one records the transfer and links the line."""
    invoices, _other, content = prepared
    releve = _import(company, content)
    assert releve.matched == 0
    assert not Paiement.objects.filter(company=company).exists()
    line = LigneReleve.objects.get(amount=D("300.00"))
    best = line.suggestions.first()
    assert best.facture_id == invoices[1].pk
    assert set(best.reasons) == {"reference", "montant"}
    assert best.exact
    services.suggestion_confirmer(suggestion=best, user=None)
    line.refresh_from_db()
    assert line.status == LigneReleve.Status.MATCHED
    assert line.paiement.reference == matching.reference_structuree(invoices[1].number)
    assert facture_lire(company=company, pk=invoices[1].pk).amount_due == 0
    assert not Suggestion.objects.filter(ligne=line).exists()
    with pytest.raises(ReleveError, match="déjà (réglée|traitée)"):
        services.suggestion_confirmer(suggestion=best, user=None)


def test_a_line_is_allocated_by_hand_or_dismissed(company, prepared):
    """An unmatched line is allocated by hand to a customer's invoice (the surplus stays as
    credit), or dismissed with a reason; a dismissed line can be reopened."""
    invoices, other, content = prepared
    _import(company, content)
    line = LigneReleve.objects.get(amount=D("60.00"))
    services.ligne_rapprocher(
        ligne=line, user=None, client=other.client,
        allocations=[services.Allocation(other.pk, D("40.00"))],
    )  # fmt: skip
    assert facture_lire(company=company, pk=other.pk).amount_due == D("20.00")
    fee = LigneReleve.objects.get(amount=D("96.00"))
    with pytest.raises(ReleveError, match="motif"):
        services.ligne_ecarter(ligne=fee, user=None, reason=" ")
    services.ligne_ecarter(ligne=fee, user=None, reason="Virement interne")
    fee.refresh_from_db()
    assert (fee.status, fee.paiement) == (LigneReleve.Status.DISMISSED, None)
    services.ligne_rouvrir(ligne=fee, user=None)
    fee.refresh_from_db()
    assert fee.status == LigneReleve.Status.OPEN
    assert fee.suggestions.filter(facture=invoices[2]).exists()


def test_a_debit_line_is_never_matched(company, prepared):
    """Only money received is a customer's payment: debits get no suggestion."""
    _command(company, FIXTURES / "releve.camt053.xml")
    debit = LigneReleve.objects.filter(amount__lt=0).first()
    assert not debit.suggestions.exists()
    with pytest.raises(ReleveError, match="créditrice"):
        services.ligne_rapprocher(ligne=debit, user=None, client=prepared[1].client, allocations=[])


def test_invoice_numbers_match_whatever_the_separators():
    """`FA-2026-00012`, `FA 2026 00012` and `fa202600012` are the same number in a label; a
    longer number containing it is not."""
    index = matching.Index()
    invoice = matching.OpenInvoice(1, "FA-2026-00012", 7, D("10.00"))
    index.add_invoice(invoice)
    for label in ("VIR FA-2026-00012", "REGLT FA 2026 00012 MERCI", "fa202600012"):
        assert [c.invoice.pk for c in matching.suggest(index, amount=D("5"), label=label)] == [1]
    assert matching.suggest(index, amount=D("5"), label="FA-2026-000123") == []


def test_a_line_whose_payment_is_reversed_can_pay_another_invoice(company, prepared):
    """A confirmed line stays matched while its payment stands; once the payment is reversed
    (a new sealed record, never an edit), the line can be reopened and matched again."""
    invoices, _other, content = prepared
    _import(company, content)
    line = LigneReleve.objects.get(amount=D("300.00"))
    services.suggestion_confirmer(suggestion=line.suggestions.first(), user=None)
    line.refresh_from_db()
    with pytest.raises(ReleveError, match="rouverte"):
        services.ligne_rouvrir(ligne=line, user=None)
    paiement_annuler(paiement=line.paiement, user=None, reason="Erreur de rapprochement")
    services.ligne_rouvrir(ligne=line, user=None)
    line.refresh_from_db()
    assert (line.status, line.paiement) == (LigneReleve.Status.OPEN, None)
    assert facture_lire(company=company, pk=invoices[1].pk).amount_due == D("300.00")
    assert line.suggestions.filter(facture=invoices[1]).exists()


def test_one_transfer_paying_several_invoices_of_a_customer(company):
    """A transfer whose label numbers two invoices and whose amount is what both still owe is
    one exact suggestion for both; confirmed (here automatically), one payment settles them.
    Without numbers, the customer named with exactly the total of its open invoices too."""
    martin = factories.business_client(company, name="Boulangerie Martin")
    first, second = (
        factories.issued(company, martin, lines=[factories.line(unit_price=p)])
        for p in ("100", "50")
    )
    leroy = factories.business_client(company, name="Cabinet Leroy")
    a, b, c = (
        factories.issued(company, leroy, lines=[factories.line(unit_price=p)])
        for p in ("10", "20", "30")
    )
    lines = [
        {"amount": "180.00", "label": f"REGLT FACT {first.number} ET {second.number}",
         "payer": "M MARTIN"},
        {"amount": "72.00", "label": "HONORAIRES", "payer": "CABINET LEROY"},
    ]  # fmt: skip
    services.reglages_enregistrer(company=company, auto_confirm=True)
    releve = _import(company, _camt(lines))
    assert (releve.imported, releve.matched) == (2, 2)
    for facture in (first, second, a, b, c):
        assert facture_lire(company=company, pk=facture.pk).amount_due == 0
    paiement = Paiement.objects.get(amount=D("180.00"))
    assert sorted(paiement.affectations.values_list("facture_id", "amount")) == [
        (first.pk, D("120.00")), (second.pk, D("60.00")),
    ]  # fmt: skip
    assert Paiement.objects.get(amount=D("72.00")).affectations.count() == 3


def test_several_numbers_that_do_not_add_up_are_left_to_a_person(company):
    martin = factories.business_client(company, name="Boulangerie Martin")
    first, second = (
        factories.issued(company, martin, lines=[factories.line(unit_price=p)])
        for p in ("100", "50")
    )
    services.reglages_enregistrer(company=company, auto_confirm=True)
    releve = _import(company, _camt([
        {"amount": "150.00", "label": f"FACT {first.number} {second.number}", "payer": "X"},
    ]))  # fmt: skip
    assert releve.matched == 0
    suggestions = Suggestion.objects.all()
    assert {s.facture_id for s in suggestions} == {first.pk, second.pk}
    assert not any(s.autres_factures for s in suggestions)
