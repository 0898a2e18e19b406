"""The FEC of a fiscal year, parsed back and checked against every rule of LEGAL.md §5, and
the books agreeing with the register's closure, the customers' balances and the sales."""

import re
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from comptabilite.livres.fec import FIELDS
from comptabilite.livres.models import LigneEcriture, Role
from comptabilite.livres.selectors import solde_client_comptable
from comptabilite.livres.tva import franchise_thresholds, tva_due
from comptabilite.models import ClotureKind
from comptabilite.services import cloture_effectuer
from encaissement.selectors import reste_du_client, solde_client
from encaissement.services import Allocation, paiement_annuler, paiement_enregistrer
from facturation.models import Facture, Kind, Status
from facturation.services import avoir_creer, facture_emettre
from pgi.models import Evenement, EventKind, VatRegime
from tests import factories

D = Decimal
BLANK_ALLOWED = {"CompAuxNum", "CompAuxLib", "EcritureLet", "DateLet", "Montantdevise", "Idevise"}


def issue(company, client, lines, day):
    return facture_emettre(facture=factories.draft(company, client, lines=lines), user=None,
                           today=day)  # fmt: skip


def pay(company, facture, amount, day):
    return paiement_enregistrer(
        company=company, user=None, client=facture.client, day=day, amount=D(amount),
        method="virement", allocations=[Allocation(facture.pk, D(amount))],
    )  # fmt: skip


@pytest.fixture
def books(db):
    """A year of activity: services and goods, a credit note, payments, a reversal."""
    company = factories.issuing_company("Œuvres & Cie")
    alice = factories.business_client(company, name="Hélène Œstre SARL")
    bob = factories.business_client(company, name="Bob|Tab\tCo")
    f1 = issue(company, alice, [factories.line("Conseil", unit_price="1000")], date(2025, 1, 10))
    f2 = issue(
        company, bob,
        [factories.line("Audit", unit_price="500"),
         factories.line("Livre", unit_price="40", vat_rate="5.5", nature="bien")],
        date(2025, 2, 3),
    )  # fmt: skip
    f3 = issue(company, alice, [factories.line(unit_price="250", vat_rate="10")], date(2025, 3, 5))
    avoir = avoir_creer(facture=f3, user=None, amount_excl_vat=D("50"), vat_rate=D("10"))
    facture_emettre(facture=avoir, user=None, today=date(2025, 3, 20))
    pay(company, f1, "1200.00", date(2025, 2, 1))
    p2 = pay(company, f2, "300.00", date(2025, 3, 1))
    paiement_annuler(paiement=p2, user=None, day=date(2025, 3, 2))
    pay(company, f2, "642.20", date(2025, 3, 25))
    pay(company, f3, "100.00", date(2025, 3, 26))
    return company, [alice, bob]


def export(company, tmp_path, *extra) -> Path:
    out = StringIO()
    call_command(
        "export_fec", "--company", company.siren, "--year", "2025", "--output", str(tmp_path),
        *extra, stdout=out, stderr=StringIO(),
    )  # fmt: skip
    return Path(out.getvalue().strip())


def check_fec(path: Path, *, siren: str, year: int) -> list[list[str]]:
    """Every rule of LEGAL.md §5 that a file can show; returns the rows (header excluded)."""
    assert path.name == f"{siren}FEC{year}1231.txt"
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("iso8859_15")
    records = text.split("\r\n")
    assert records[-1] == ""  # every record ends with CR/LF
    assert "\n" not in "".join(records)
    header, *rows = [r.split("\t") for r in records[:-1]]
    assert tuple(header) == FIELDS
    assert rows and all(len(row) == 18 for row in rows)
    entries: dict[tuple[str, str], Decimal] = {}
    valid_dates = []
    for row in rows:
        fields = dict(zip(FIELDS, row, strict=True))
        for name in ("EcritureDate", "PieceDate", "ValidDate"):
            assert re.fullmatch(r"20\d{6}", fields[name]), fields
        assert fields["EcritureDate"].startswith(str(year))
        for name in ("Debit", "Credit"):
            assert re.fullmatch(r"\d+,\d{2}", fields[name]), fields
        assert re.match(r"^[1-8]\d{2}", fields["CompteNum"])
        for name, value in fields.items():
            if name not in BLANK_ALLOWED:
                assert value.strip(), (name, fields)
        assert fields["JournalCode"] in ("AN", "VT", "BQ", "OD")
        assert fields["Montantdevise"] == fields["Idevise"] == ""
        if fields["EcritureLet"]:
            assert re.fullmatch(r"20\d{6}", fields["DateLet"])
        key = (fields["JournalCode"], fields["EcritureNum"])
        amount = D(fields["Debit"].replace(",", ".")) - D(fields["Credit"].replace(",", "."))
        entries[key] = entries.get(key, D(0)) + amount
        valid_dates.append(fields["ValidDate"])
    assert all(total == 0 for total in entries.values())  # each entry balanced
    assert valid_dates == sorted(valid_dates)
    seen, previous = set(), None  # the lines of an entry follow each other
    for row in rows:
        key = (row[0], row[2])
        assert key == previous or key not in seen
        seen.add(key)
        previous = key
    assert (path.parent / path.name.replace(".txt", "_description.txt")).exists()
    return rows


def test_the_fec_follows_every_rule_of_lpf_a47_a1(books, tmp_path):
    company, _clients = books
    path = export(company, tmp_path)
    rows = check_fec(path, siren=company.siren, year=2025)
    assert "Œstre" in path.read_bytes().decode("iso8859_15")  # ISO 8859-15, not Latin-1
    # A tab typed in a customer's name never splits a field (nor a pipe, in the pipe form).
    assert any(row[7] == "Bob|Tab Co" for row in rows)
    # Lettrage: f1 settled by its payment; f2's lines and its three payments share a letter.
    lettered = {row[8]: row[13] for row in rows if row[13]}
    assert len(set(lettered.values())) == 2
    assert Evenement.objects.filter(company=company, kind=EventKind.EXPORT).exists()
    description = path.with_name(path.name.replace(".txt", "_description.txt")).read_text()
    assert "ISO-8859-15" in description and "tabulation" in description
    assert all(name in description for name in FIELDS)
    assert "exercice non clôturé" in description


def test_pipe_and_utf8_on_request(books, tmp_path):
    company, _clients = books
    path = export(company, tmp_path, "--separator", "pipe", "--encoding", "utf-8")
    text = path.read_bytes().decode("utf-8")
    assert text.split("\r\n")[0] == "|".join(FIELDS)
    assert all(line.count("|") == 17 for line in text.split("\r\n")[:-1])
    assert "|Bob Tab Co|" in text


def test_figures_agree(books):
    """VAT per rate with the closure; 411 per customer with its balance; 706/707 with sales."""
    company, clients = books
    march = cloture_effectuer(
        company=company, kind=ClotureKind.MONTHLY, period_start=date(2025, 1, 1), user=None
    )
    vat_lines = LigneEcriture.objects.filter(
        company=company, role__in=[Role.VAT, Role.VAT_PENDING], ecriture__journal="VT",
        ecriture__date__range=(date(2025, 1, 1), date(2025, 1, 31)),
    )  # fmt: skip
    by_rate: dict[str, Decimal] = {}
    for line in vat_lines:
        key = format(line.rate, "f")
        by_rate[key] = by_rate.get(key, D(0)) + line.credit - line.debit
    assert by_rate == {row["rate"]: D(row["vat"]) for row in march.totals["vat"]}

    for client in clients:
        expected = reste_du_client(client) - solde_client(client)
        assert solde_client_comptable(company=company, client_id=client.pk) == expected

    documents = Facture.objects.filter(company=company, status=Status.ISSUED)
    invoiced = sum(f.total_excl_vat for f in documents.filter(kind=Kind.INVOICE))
    credited = sum(f.total_excl_vat for f in documents.filter(kind=Kind.CREDIT_NOTE))
    sales = LigneEcriture.objects.filter(company=company, role=Role.SALES)
    assert sum(line.credit - line.debit for line in sales) == invoiced - credited


def test_vat_due_goods_on_invoicing_services_on_payment(books):
    company, _clients = books
    january = tva_due(company=company, start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert january.rates == []  # f1's services are paid in February
    february = tva_due(company=company, start=date(2025, 2, 1), end=date(2025, 2, 28))
    assert [(r.rate, r.base, r.vat) for r in february.rates] == [
        (D("20.00"), D("1000.00"), D("200.00")),  # f1 paid
        (D("5.50"), D("40.00"), D("2.20")),  # f2's goods, on invoicing
    ]
    quarter = tva_due(company=company, start=date(2025, 1, 1), end=date(2025, 3, 31))
    rates = {r.rate: (r.base, r.vat) for r in quarter.rates}
    assert rates[D("20.00")] == (D("1500.00"), D("300.00"))  # f1 and f2's services, paid
    # f3 (250 at 10 %, credited 50): 100.00 cashed on services at 10 % hold 9.09 of VAT.
    assert rates[D("10.00")] == (D("90.91"), D("9.09"))


def test_vat_due_fills_the_ca3_lines(db):
    """3310-CA3: bases and VAT per rate on 08 (20 %), 9B (10 %), 09 (5,5 %), T6 (2,1 % in
    mainland France); A1 their bases; F2 goods to an EU business; E1 exports; E2 services to
    an EU business (reverse charge) and exempt sales, on one line."""
    company = factories.issuing_company(vat_regime=VatRegime.DEBITS)
    client = factories.business_client(company)
    german = factories.business_client(
        company, name="GmbH", billing_country="DE", siren="", vat_number="DE123456788"
    )
    american = factories.business_client(
        company, name="Client Inc.", siren="", vat_number="", billing_country="US",
        billing_line1="1 Main Street", billing_postal_code="10001", billing_city="New York",
    )  # fmt: skip
    day = date(2025, 4, 2)
    issue(
        company, client,
        [factories.line(unit_price="100"), factories.line(unit_price="200", vat_rate="10"),
         factories.line(unit_price="300", vat_rate="5.5", nature="bien"),
         factories.line(unit_price="400", vat_rate="2.1", nature="bien")],
        day,
    )  # fmt: skip
    issue(
        company, german,
        [factories.line(unit_price="500", vat_rate="0", vat_exemption_reason="Autoliquidation"),
         factories.line(unit_price="600", vat_rate="0", nature="bien",
                        vat_exemption_reason="Exonération de TVA, art. 262 ter I du CGI")],
        day,
    )  # fmt: skip
    issue(company, american, [factories.line(unit_price="700", vat_rate="0", nature="bien")], day)
    issue(
        company, client,
        [factories.line(unit_price="80", vat_rate="0",
                        vat_exemption_reason="Exonération de TVA, art. 261 4 4° du CGI")],
        day,
    )  # fmt: skip
    due = tva_due(company=company, start=date(2025, 4, 1), end=date(2025, 4, 30))
    rows = {row["code"]: (row["base"], row["vat"]) for row in due.ca3_rows()}
    assert rows == {
        "A1": (D("1000.00"), None),
        "08": (D("100.00"), D("20.00")),
        "9B": (D("200.00"), D("20.00")),
        "09": (D("300.00"), D("16.50")),
        "T6": (D("400.00"), D("8.40")),
        "F2": (D("600.00"), None),
        "E1": (D("700.00"), None),
        "E2": (D("580.00"), None),
    }
    assert [row["code"] for row in due.ca3_rows()] == [
        "A1", "E1", "E2", "F2", "08", "9B", "09", "T6",
    ]  # fmt: skip
    assert (due.intra_eu_services, due.exempt) == (D("500.00"), D("80.00"))
    assert due.total_vat == D("64.90")


def test_franchise_thresholds_by_year():
    """CGI art. 293 B: 91,900/101,000 and 36,800/39,100 for 2023-2024; from 2025 (loi de
    finances 2025, the single 25,000 threshold repealed by loi n° 2025-1044) 85,000/93,500
    and 37,500/41,250."""
    assert franchise_thresholds(2024) == {
        "total": (D("91900"), D("101000")), "service": (D("36800"), D("39100")),
    }  # fmt: skip
    expected = {"total": (D("85000"), D("93500")), "service": (D("37500"), D("41250"))}
    assert franchise_thresholds(2025) == franchise_thresholds(2026) == expected
    assert franchise_thresholds(2019) == franchise_thresholds(2023)


def test_franchise_sees_turnover_against_thresholds(db):
    company = factories.issuing_company(vat_regime=VatRegime.FRANCHISE, vat_number="")
    client = factories.business_client(company)
    issue(
        company, client,
        [factories.line(unit_price="40000", vat_rate="0",
                        vat_exemption_reason="TVA non applicable, art. 293 B du CGI")],
        date(2025, 6, 1),
    )  # fmt: skip
    due = tva_due(company=company, start=date(2025, 6, 1), end=date(2025, 6, 30))
    assert due.rates == [] and due.franchise["service"]["turnover"] == D("40000.00")
    assert due.franchise["service"]["over"] and not due.franchise["service"]["over_upper"]
    assert due.franchise["total"]["threshold"] == D("85000")
    assert not due.franchise["total"]["over"]


def test_franchise_mixed_activity_counts_the_whole_turnover(db):
    """Goods and services together count against the 85,000 threshold: 60,000 of goods and
    30,000 of services are over it though each is below its own."""
    company = factories.issuing_company(vat_regime=VatRegime.FRANCHISE, vat_number="")
    client = factories.business_client(company)
    reason = "TVA non applicable, art. 293 B du CGI"
    issue(
        company, client,
        [factories.line(unit_price="60000", vat_rate="0", nature="bien",
                        vat_exemption_reason=reason),
         factories.line(unit_price="30000", vat_rate="0", vat_exemption_reason=reason)],
        date(2025, 9, 1),
    )  # fmt: skip
    suivi = tva_due(company=company, start=date(2025, 9, 1), end=date(2025, 9, 30)).franchise
    assert suivi["total"]["turnover"] == D("90000.00") and suivi["total"]["over"]
    assert not suivi["total"]["over_upper"]
    assert suivi["service"]["turnover"] == D("30000.00") and not suivi["service"]["over"]


def test_records_sealed_before_the_books_are_posted_once(db, monkeypatch):
    """`comptabiliser` posts the documents and payments sealed without an entry (before the
    books existed), in sealing order, and does nothing the second time."""
    from comptabilite.livres.models import Ecriture
    from pgi import registre

    company = factories.issuing_company()
    client = factories.business_client(company)
    with monkeypatch.context() as patch:
        patch.setattr(registre, "POSTING_RULES", {})
        facture = issue(company, client, [factories.line(unit_price="100")], date(2025, 5, 2))
        pay(company, facture, "120.00", date(2025, 5, 3))
    assert not Ecriture.objects.filter(company=company).exists()
    out = StringIO()
    call_command("comptabiliser", "--company", company.siren, stdout=out)
    assert "2 écriture(s)" in out.getvalue()
    assert [e.journal for e in Ecriture.objects.filter(company=company).order_by("sequence")] == [
        "VT",
        "BQ",
    ]
    assert solde_client_comptable(company=company, client_id=client.pk) == D("0")
    call_command("comptabiliser", stdout=(second := StringIO()))
    assert second.getvalue() == "" and Ecriture.objects.filter(company=company).count() == 2


def test_the_next_fiscal_year_opens_with_the_balances(books, tmp_path):
    """LEGAL.md §5: opening balances first: 411 per customer, 512, VAT accounts, and the
    previous result on 120 so that the opening entry balances."""
    company, clients = books
    out = StringIO()
    call_command(
        "export_fec", "--company", company.siren, "--year", "2026", "--output", str(tmp_path),
        stdout=out, stderr=StringIO(),
    )  # fmt: skip
    rows = check_fec(Path(out.getvalue().strip()), siren=company.siren, year=2026)
    assert {row[0] for row in rows} == {"AN"}
    assert {row[2] for row in rows} == {"AN000001"}
    opening = {(row[4], row[6]): D(row[11].replace(",", ".")) - D(row[12].replace(",", "."))
               for row in rows}  # fmt: skip
    for client in clients:
        expected = solde_client_comptable(company=company, client_id=client.pk)
        assert opening.get(("411000", f"C{client.pk:06d}"), D(0)) == expected
    sales = sum(
        (line.credit - line.debit for line in LigneEcriture.objects.filter(
            company=company, role=Role.SALES)),
        D(0),
    )  # fmt: skip
    assert opening[("120000", "")] == -sales  # a profit: no expenses in these books
