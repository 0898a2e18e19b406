"""Tampering behind the application's back is reported by `manage.py verify_registre`."""

import threading
from datetime import timedelta
from decimal import Decimal
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from facturation.models import DocumentPDF
from facturation.services import avoir_creer, facture_emettre
from pgi import registre
from pgi.chain import GENESIS, fingerprint
from pgi.models import Enregistrement
from pgi.registre import RENUMBERED, Finding, verify_chain
from tests import factories
from tests.db_owner import triggers_disabled

# The tampering below runs on the owner's connection, which sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

UNSEALED = "document émis absent du registre (enregistrement supprimé ?)"


def run_verify(company) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_registre", company=company.siren, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def books(db, no_work_after_commit):
    company = factories.issuing_company()
    invoices = [
        factories.issued(company, lines=[factories.line("A", "2", "50"), factories.line("B")])
        for _ in range(3)
    ]
    facture_emettre(facture=avoir_creer(facture=invoices[0], user=None), user=None)
    return company, invoices


def test_an_intact_registre_verifies(books):
    company, _invoices = books
    code, out = run_verify(company)
    assert code == 0, out
    assert "intègre (4 enregistrements" in out


def test_an_altered_record_is_reported(books):
    company, invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE comptabilite_enregistrement SET payload = "
            "convert_to(replace(convert_from(payload, 'UTF8'), '\"240.00\"', '\"24.00\"'), 'UTF8') "
            "WHERE company_id = %s AND sequence = 2",
            [company.pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert "#2 " in out and "contenu altéré" in out


def test_a_line_changed_behind_the_application_is_reported(books):
    company, invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_lignefacture SET unit_price = 5 "
            "WHERE facture_id = %s AND position = 1",
            [invoices[1].pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert invoices[1].number in out and "diffère de son enregistrement" in out


def test_deleting_the_last_records_is_reported(books):
    company, _invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence >= 3",
            [company.pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert "fin de chaîne tronquée" in out
    assert "absent du registre" in out


def test_deleting_the_tail_and_rewinding_the_head_is_still_reported(books):
    company, invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence = 4",
            [company.pk],
        )
        cursor.execute(
            "UPDATE comptabilite_registre SET last_sequence = 3, last_fingerprint = "
            "(SELECT fingerprint FROM comptabilite_enregistrement WHERE company_id = %s "
            "AND sequence = 3) WHERE company_id = %s",
            [company.pk, company.pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert "absent du registre" in out  # the credit note still exists without its record


def test_a_deleted_middle_record_is_one_gap_not_a_cascade(books):
    """CGI art. 286-I-3° bis: a deletion is detectable; one deleted record is reported once
    in the chain (the gap, not also the link it broke), once as a document left unsealed."""
    company, invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence = 2",
            [company.pk],
        )
    assert verify_chain(company, check_documents=False).findings == [
        Finding(3, invoices[2].number, "trou dans la séquence : #2 attendu")
    ]
    assert verify_chain(company).findings == [
        Finding(3, invoices[2].number, "trou dans la séquence : #2 attendu"),
        Finding(None, invoices[1].number, UNSEALED),
    ]
    code, out = run_verify(company)
    assert code == 1
    assert out.splitlines()[1:] == [
        f"  - #3 {invoices[2].number} : trou dans la séquence : #2 attendu",
        f"  - {invoices[1].number} : {UNSEALED}",
    ]


def test_a_replaced_pdf_is_reported(db):
    company = factories.issuing_company()
    invoice = factories.issued(company)  # commits: the PDF is rendered and sealed on commit
    pdf = DocumentPDF.objects.get(facture=invoice)
    assert verify_chain(company).ok
    with open(pdf.file.path, "ab") as handle:
        handle.write(b"%% tampered")
    code, out = run_verify(company)
    assert code == 1
    assert "le PDF diffère de l'empreinte scellée" in out


def test_other_companies_are_not_affected(books):
    company, _invoices = books
    other = factories.issuing_company("Voisine SAS")
    factories.issued(other)
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_facture SET total_incl_vat = %s WHERE company_id = %s",
            [Decimal("1"), company.pk],
        )
    assert run_verify(other)[0] == 0
    assert run_verify(company)[0] == 1


def record(company, sequence: int) -> Enregistrement:
    return Enregistrement.objects.get(company=company, sequence=sequence)


def test_re_pointing_a_record_past_a_deleted_one_breaks_its_fingerprint(books):
    """CGI art. 286-I-3° bis: each fingerprint covers the previous one. Delete #2, re-point
    #3 to #1, renumber #3 and #4, rewind the head: without the key, #3's fingerprint no
    longer matches (a fingerprint of the payload alone would let this pass), and #4, intact
    but renumbered, still carries the number it was sealed with."""
    company, invoices = books
    first, third = record(company, 1), record(company, 3)
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence = 2",
            [company.pk],
        )
        cursor.execute(
            "UPDATE comptabilite_enregistrement SET sequence = 2, previous = %s WHERE id = %s",
            [first.fingerprint, third.pk],
        )
        cursor.execute(
            "UPDATE comptabilite_enregistrement SET sequence = 3 "
            "WHERE company_id = %s AND sequence = 4",
            [company.pk],
        )
        cursor.execute(
            "UPDATE comptabilite_registre SET last_sequence = 3 WHERE company_id = %s",
            [company.pk],
        )
    credit_note = record(company, 3).reference
    assert verify_chain(company).findings == [
        Finding(2, invoices[2].number, "contenu altéré (empreinte invalide)"),
        Finding(3, credit_note, RENUMBERED),
        Finding(None, invoices[1].number, UNSEALED),
    ]


def forge(company, placed: dict[int, int]) -> None:
    """What someone holding the key could do: keep the records `placed` maps (sequence →
    new sequence), delete the others, re-link and re-fingerprint the chain, move the head."""
    rows = {row.sequence: row for row in Enregistrement.objects.filter(company=company)}
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s "
            "AND NOT sequence = ANY(%s)",
            [company.pk, list(placed)],
        )
        previous = GENESIS
        for sequence, new in sorted(placed.items(), key=lambda item: item[1]):
            stored = fingerprint(previous, bytes(rows[sequence].payload))
            cursor.execute(
                "UPDATE comptabilite_enregistrement SET sequence = %s, previous = %s, "
                "fingerprint = %s WHERE id = %s",
                [new, previous, stored, rows[sequence].pk],
            )
            previous = stored
        cursor.execute(
            "UPDATE comptabilite_registre SET last_sequence = %s, last_fingerprint = %s "
            "WHERE company_id = %s",
            [max(placed.values()), previous, company.pk],
        )


def test_renumbering_re_fingerprinted_with_the_key_is_caught_by_the_sealed_sequence(books):
    """CGI art. 286-I-3° bis: the sequence is inside the sealed payload. Delete #2, re-point
    #3 to #1, renumber, recompute every fingerprint and the head with the real key: the
    links hold, but the payloads still say #3 and #4, reported once where it starts."""
    company, invoices = books
    forge(company, {1: 1, 3: 2, 4: 3})
    assert verify_chain(company, check_documents=False).findings == [
        Finding(2, invoices[2].number, RENUMBERED)
    ]
    assert verify_chain(company).findings == [
        Finding(2, invoices[2].number, RENUMBERED),
        Finding(None, invoices[1].number, UNSEALED),
    ]


@pytest.mark.parametrize(
    ("placed", "expected"),
    [
        # two deletions, everything after them renumbered: each one reported once
        ({1: 1, 3: 2, 4: 3, 6: 4, 7: 5}, [(2, "P3", RENUMBERED), (4, "P6", RENUMBERED)]),
        # #3 moved into the hole #2 left: where the numbers agree again, only the gap shows
        ({1: 1, 3: 2, 4: 4, 5: 5},
         [(2, "P3", RENUMBERED), (4, "P4", "trou dans la séquence : #3 attendu")]),
    ],
)  # fmt: skip
def test_each_forged_renumbering_is_reported_once(db, placed, expected):
    """CGI art. 286-I-3° bis: a chain rewritten with the key still shows where its records
    left the numbers they were sealed with."""
    company = factories.issuing_company()
    seal_payments(company, max(placed))
    forge(company, placed)
    assert verify_chain(company).findings == [Finding(*finding) for finding in expected]


def set_head(company, *, sequence: int, of_record: int) -> None:
    """Writes the register head behind the application's back."""
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE comptabilite_registre SET last_sequence = %s, last_fingerprint = %s "
            "WHERE company_id = %s",
            [sequence, record(company, of_record).fingerprint, company.pk],
        )


@pytest.mark.parametrize(
    ("sequence", "of_record", "problem"),
    [
        # the head rewound: records past it (appended behind its back) are not vouched for
        (3, 3, "fin de chaîne tronquée ou altérée : la tête du registre indique #3, "
               "la chaîne s'arrête à #4"),
        # the head ahead: the tail was deleted
        (5, 4, "fin de chaîne tronquée ou altérée : la tête du registre indique #5, "
               "la chaîne s'arrête à #4"),
        # the same sequence, another fingerprint: the last record was replaced
        (4, 3, "fin de chaîne altérée : l'empreinte de la tête du registre n'est pas "
               "celle du #4"),
    ],
)  # fmt: skip
def test_the_chain_must_end_at_its_head(books, sequence, of_record, problem):
    """CGI art. 286-I-3° bis, BOI-TVA-DECLA-30-10-30: a truncated or replaced tail is detected
    against the head, kept apart from the records."""
    company, _invoices = books
    assert verify_chain(company).ok
    set_head(company, sequence=sequence, of_record=of_record)
    assert verify_chain(company).findings == [Finding(None, "registre", problem)]


def test_an_empty_register_verifies(db):
    """A company that has sealed nothing has no head, and nothing to report."""
    report = verify_chain(factories.issuing_company())
    assert (report.records, report.findings) == (0, [])


def test_sealed_documents_are_checked_in_batches(books, monkeypatch):
    """Every sealed document is compared with its live rows, `BATCH` at a time (memory stays
    flat on a long chain): a change in the first batch and one in the last are both found,
    each once."""
    company, invoices = books
    batches: list[list[str]] = []
    check = registre.DOCUMENT_CHECKS["facture"]

    def spy(company_, sealed):
        batches.append([document.reference for document in sealed])
        return check(company_, sealed)

    monkeypatch.setattr(registre, "BATCH", 2)
    monkeypatch.setitem(registre.DOCUMENT_CHECKS, "facture", spy)
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_lignefacture SET unit_price = 5 WHERE facture_id IN (%s, %s) "
            "AND position = 1",
            [invoices[0].pk, invoices[2].pk],
        )
    changed = (
        "le document diffère de son enregistrement "
        "(lines, total_excl_vat, total_incl_vat, total_vat, vat_breakdown)"
    )
    assert verify_chain(company).findings == [
        Finding(1, invoices[0].number, changed),
        Finding(3, invoices[2].number, changed),
    ]
    numbers = [invoice.number for invoice in invoices]
    assert batches == [numbers[:2], numbers[2:]]


def seal_payments(company, count: int) -> None:
    """Records of a kind no app checks (no live document behind them): only the chain is
    checked."""
    for n in range(1, count + 1):
        registre.seal(
            company=company, kind="essai", reference=f"P{n}", document={"n": n},
            at=timezone.now(),
        )  # fmt: skip


@pytest.mark.parametrize("chunk_size", [1, 3, 5000])
def test_the_chain_is_streamed_in_chunks_without_losing_a_record(db, monkeypatch, chunk_size):
    """The records arrive in chunks from a reader thread: none is lost or repeated at a chunk
    boundary, so the findings do not depend on the chunk size."""
    company = factories.issuing_company()
    seal_payments(company, 7)
    rows = list(registre._records(company, chunk_size=chunk_size))
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [bytes(row[3]) for row in rows] == [
        bytes(record(company, n).payload) for n in range(1, 8)
    ]
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence = 4",
            [company.pk],
        )
    monkeypatch.setattr(registre, "_records", partial(registre._records, chunk_size=chunk_size))
    report = verify_chain(company)
    assert report.records == 6
    assert report.findings == [Finding(5, "P5", "trou dans la séquence : #4 attendu")]


def test_a_stream_stopped_early_ends_its_reader(db):
    """A verification that stops early (an exception) leaves no reader thread blocked on a
    full queue, and the connection usable."""
    company = factories.issuing_company()
    seal_payments(company, 9)
    stream = registre._records(company, chunk_size=1)
    assert [next(stream)[2], next(stream)[2]] == ["P1", "P2"]
    stream.close()
    assert not any(thread.name == "registre-reader" for thread in threading.enumerate())
    assert Enregistrement.objects.filter(company=company).count() == 9


# Faults (issue #23): the check reports, it never crashes, and it misses nothing it can see.


def test_a_record_that_is_not_json_is_reported_and_the_rest_still_checked(books):
    company, invoices = books
    first = Enregistrement.objects.get(company=company, sequence=1)
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE comptabilite_enregistrement SET payload = %s WHERE id = %s",
            [b"{not json", first.pk],
        )
    report = verify_chain(company)
    assert report.findings == [
        Finding(1, first.reference, "contenu altéré (empreinte invalide)"),
        Finding(1, first.reference, registre.UNREADABLE),
    ]
    assert report.records == 4


def test_the_nightly_check_goes_on_after_a_company_whose_check_fails(books, monkeypatch):
    from django.core import mail

    from comptabilite import tasks
    from pgi.permissions import Role

    company, _invoices = books
    other = factories.issuing_company("Seconde SAS", siren="732829320")
    owner = factories.member(company, Role.OWNER)
    factories.issued(other)
    checked = []
    real = tasks.verify_chain

    def fragile(each, **options):
        checked.append(each.pk)
        if each.pk == company.pk:
            raise ValueError("payload illisible")
        return real(each, **options)

    monkeypatch.setattr(tasks, "verify_chain", fragile)
    assert tasks.verify_all_registres() == 1
    assert sorted(checked) == sorted([company.pk, other.pk])
    assert mail.outbox[0].to == [owner.user.email]
    assert "vérification impossible : payload illisible" in mail.outbox[0].body


def test_an_issued_document_left_without_its_pdf_is_a_finding(db, monkeypatch):
    from facturation import integrity

    company = factories.issuing_company()
    monkeypatch.setattr("pgi.queue.publish", lambda task, *args: False)  # the task is lost
    facture = factories.issued(company)
    assert verify_chain(company).ok  # within the grace period: the sweeper's business
    later = timezone.now() + integrity.PDF_GRACE + timedelta(minutes=1)
    monkeypatch.setattr(integrity.timezone, "now", lambda: later)
    assert verify_chain(company).findings == [Finding(None, facture.number, integrity.PDF_MISSING)]
