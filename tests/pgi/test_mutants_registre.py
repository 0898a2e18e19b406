"""Rules of the register (pgi/registre.py) that no test defended until the mutation run of
tests/README.md showed it: each test names its rule."""

import json
from datetime import date

import psycopg
import pytest
from django.utils import translation

from facturation.services import avoir_creer, facture_emettre
from pgi import registre
from pgi.chain import GENESIS, canonical_json, fingerprint
from pgi.exceptions import PeriodeCloturee
from pgi.models import Company, Enregistrement, Registre
from pgi.registre import Finding, periode_cloturee, periode_verifier_ouverte, verify_chain
from tests import factories
from tests.db_owner import triggers_disabled


def test_a_finding_about_the_whole_register_reads_without_a_record_number():
    """A finding about a record starts with its number; one about the register as a whole (its
    head) has none, and reads "registre : …", never "#None registre : …"."""
    assert str(Finding(7, "F-2026-00007", "contenu altéré")) == "#7 F-2026-00007 : contenu altéré"
    assert str(Finding(None, "registre", "fin de chaîne")) == "registre : fin de chaîne"


def test_the_closed_period_refusal_names_the_closure_and_the_refused_day():
    """CGI art. 286-I-3° bis: nothing is dated in a closed period; the French message says up to
    which day the period is closed, by which closure, and which date was refused."""
    with translation.override("fr"):
        refusal = periode_cloturee(
            day=date(2026, 1, 15), closed_until=date(2026, 1, 31), reference="CLO-2026-01"
        )
    assert isinstance(refusal, PeriodeCloturee)
    assert refusal.problems == [
        "La période est clôturée jusqu'au 31/01/2026 (CLO-2026-01) : aucun document ne peut "
        "plus être daté du 15/01/2026."
    ]


@pytest.mark.django_db
def test_checking_that_a_day_is_open_reads_the_register_head_once(
    company_a, django_assert_num_queries
):
    """The last day of a closed period is closed, the next one open; the check sits on the
    issue path and reads the head's closing date and reference in one query."""
    Registre.objects.update_or_create(
        company=company_a,
        defaults={"closed_until": date(2026, 1, 31), "closure_reference": "CLO-2026-01"},
    )
    with django_assert_num_queries(1), pytest.raises(PeriodeCloturee, match=r"\(CLO-2026-01\)"):
        periode_verifier_ouverte(company=company_a, day=date(2026, 1, 31))
    with django_assert_num_queries(1):
        periode_verifier_ouverte(company=company_a, day=date(2026, 2, 1))


@pytest.mark.django_db
def test_a_failed_read_of_the_register_reaches_the_verifier():
    """The register is read by a thread; an error there (here a query PostgreSQL refuses) is
    raised to the verifier, never taken for the end of the chain."""
    with pytest.raises(psycopg.Error):
        list(registre._records(Company(pk="not a number")))


def test_the_apps_plug_their_checks_and_sources_into_the_register(monkeypatch):
    """The kernel imports no app: verification and closures call exactly what the apps
    registered, and merge what each source answers."""
    monkeypatch.setattr(registre, "DOCUMENT_CHECKS", {})
    monkeypatch.setattr(registre, "COVERAGE_CHECKS", [])
    monkeypatch.setattr(registre, "DOCUMENT_SOURCES", [])

    def check(company, batch):
        return []

    assert registre.register_document_check("facture", "avoir")(check) is check
    assert registre.DOCUMENT_CHECKS == {"facture": check, "avoir": check}
    assert registre.register_coverage_check(check) is check
    assert registre.COVERAGE_CHECKS == [check]

    def source(signs, issued, first_day, files):
        return registre.register_document_source(
            registre.DocumentSource(
                signs=signs,
                issued=lambda company, start, end: issued,
                first_day=lambda company: first_day,
                files=lambda company, references: {r: files[r] for r in references if r in files},
            )
        )

    invoices = source({"facture": 1}, [("facture", "F-1")], date(2026, 2, 3), {"F-1": "f1.pdf"})
    notes = source({"avoir": -1}, [("avoir", "A-1")], None, {"A-1": "a1.pdf"})
    assert registre.DOCUMENT_SOURCES == [invoices, notes]
    assert registre.document_signs() == {"facture": 1, "avoir": -1}
    day = date(2026, 1, 1)
    assert registre.documents_issued(company=None, start=day, end=day) == [
        ("facture", "F-1"),
        ("avoir", "A-1"),
    ]
    assert registre.first_document_day(company=None) == date(2026, 2, 3)
    assert registre.document_files(company=None, references=["F-1", "A-1", "X"]) == {
        "F-1": "f1.pdf",
        "A-1": "a1.pdf",
    }


@pytest.fixture
def chain(transactional_db, no_work_after_commit):
    """Three invoices and a credit note: records #1 to #4 of one company's chain."""
    company = factories.issuing_company()
    invoices = [factories.issued(company) for _ in range(3)]
    facture_emettre(facture=avoir_creer(facture=invoices[0], user=None), user=None)
    records = Enregistrement.objects.filter(company=company).order_by("sequence")
    return company, {r.sequence: r.reference for r in records}


@pytest.mark.django_db(transaction=True)
def test_an_altered_record_gives_one_finding_on_that_record(chain):
    """CGI art. 286-I-3° bis: a record whose sealed bytes changed is reported once, with its
    number and reference; the records after it, whose links still hold, are not."""
    company, refs = chain
    with triggers_disabled() as cursor:
        cursor.execute(
            f"UPDATE {registre.RECORDS} SET payload = payload || ' '::bytea "
            "WHERE company_id = %s AND sequence = 2",
            [company.pk],
        )
    report = verify_chain(company, check_documents=False)
    assert report.records == 4
    assert report.findings == [Finding(2, refs[2], "contenu altéré (empreinte invalide)")]


@pytest.mark.django_db(transaction=True)
def test_a_deleted_record_gives_one_gap_on_the_next_one(chain):
    """A deleted record shows on the record after it, as a gap in the sequence (the link it
    broke says nothing more), and nowhere else: one finding, not a cascade down the chain."""
    company, refs = chain
    with triggers_disabled() as cursor:
        cursor.execute(
            f"DELETE FROM {registre.RECORDS} WHERE company_id = %s AND sequence = 2", [company.pk]
        )
    assert verify_chain(company, check_documents=False).findings == [
        Finding(3, refs[3], "trou dans la séquence : #2 attendu"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_head_at_the_right_sequence_with_another_fingerprint_is_reported(chain):
    """The head keeps the last record's number and fingerprint: the same number with another
    fingerprint (a tail rewritten and re-sealed) is a finding about the register itself."""
    company, _refs = chain
    with triggers_disabled() as cursor:
        cursor.execute(
            f"UPDATE {registre.HEADS} SET last_fingerprint = 'x' WHERE company_id = %s",
            [company.pk],
        )
    assert verify_chain(company, check_documents=False).findings == [
        Finding(
            None,
            "registre",
            "fin de chaîne altérée : l'empreinte de la tête du registre n'est pas celle du #4",
        )
    ]


def test_progress_is_reported_every_n_records_only_when_asked(chain):
    """`verify_registre` shows its progress on long chains: the callback gets the count every
    `progress_every` records; without a callback nothing is called."""
    company, _refs = chain
    counts: list[int] = []
    assert verify_chain(company, progress=counts.append, progress_every=2).ok
    assert counts == [2, 4]
    assert verify_chain(company, progress_every=1).ok


@pytest.mark.django_db(transaction=True)
def test_documents_are_checked_against_their_records_in_bounded_batches(chain, monkeypatch):
    """Pass 2 compares the live documents with their records in batches of at most BATCH
    (1,000: memory stays flat on a long chain), every document once, and reports what the
    app's check finds."""
    company, refs = chain
    batches: list[list[str]] = []

    def spy(check):
        def spied(company_, batch):
            batches.append([doc.reference for doc in batch])
            return check(company_, batch)

        return spied

    monkeypatch.setattr(registre, "BATCH", 2)
    monkeypatch.setattr(
        registre, "DOCUMENT_CHECKS", {k: spy(f) for k, f in registre.DOCUMENT_CHECKS.items()}
    )
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_lignefacture SET unit_price = 5 WHERE facture_id = "
            "(SELECT id FROM facturation_facture WHERE company_id = %s AND number = %s)",
            [company.pk, refs[3]],
        )
    report = verify_chain(company)
    assert sorted(len(batch) for batch in batches) == [1, 1, 2]
    assert sorted(ref for batch in batches for ref in batch) == sorted(refs.values())
    assert [(f.sequence, f.reference) for f in report.findings] == [(3, refs[3])]


def test_a_record_re_pointed_to_another_previous_is_a_broken_link(chain):
    """CGI art. 286-I-3° bis: each record names the fingerprint of the one before it. A record
    re-pointed behind the application's back (its `previous` changed, nothing deleted) is
    reported on that record as a broken link, and its fingerprint, which covers the previous
    one, no longer matches: exactly these two findings, nothing on the records around it."""
    company, refs = chain
    with triggers_disabled() as cursor:
        cursor.execute(
            f"UPDATE {registre.RECORDS} SET previous = "
            f"(SELECT fingerprint FROM {registre.RECORDS} WHERE company_id = %s AND sequence = 1) "
            "WHERE company_id = %s AND sequence = 3",
            [company.pk, company.pk],
        )
    assert verify_chain(company, check_documents=False).findings == [
        Finding(3, refs[3], "lien rompu avec l'enregistrement précédent"),
        Finding(3, refs[3], "contenu altéré (empreinte invalide)"),
    ]


def test_a_first_record_resealed_with_the_key_without_its_sequence_is_reported(chain):
    """CGI art. 286-I-3° bis: the record's number is sealed inside its payload. Someone holding
    the key rewrites record #1 without that number and re-fingerprints the whole chain and its
    head: the links and fingerprints hold, yet the record no longer proves its place; it is
    reported once, on #1 (never a crash of the verifier), and the records after it, which
    carry their own numbers, are not."""
    company, refs = chain
    rows = list(Enregistrement.objects.filter(company=company).order_by("sequence"))
    sealed = json.loads(bytes(rows[0].payload))
    del sealed["seq"]
    payloads = [canonical_json(sealed)] + [bytes(row.payload) for row in rows[1:]]
    with triggers_disabled() as cursor:
        previous = GENESIS
        for row, payload in zip(rows, payloads, strict=True):
            stored = fingerprint(previous, payload)
            cursor.execute(
                f"UPDATE {registre.RECORDS} SET payload = %s, previous = %s, fingerprint = %s "
                "WHERE id = %s",
                [payload, previous, stored, row.pk],
            )
            previous = stored
        cursor.execute(
            f"UPDATE {registre.HEADS} SET last_fingerprint = %s WHERE company_id = %s",
            [previous, company.pk],
        )
    assert verify_chain(company, check_documents=False).findings == [
        Finding(1, refs[1], registre.RENUMBERED)
    ]


@pytest.mark.django_db
def test_seal_returns_the_record_as_it_was_stored():
    """The record `seal` returns is what callers keep (a closure stores its sequence and
    fingerprint, sealed PDFs their record): every field equals the stored row, and the
    payload is the canonical JSON of the sealed content."""
    from django.utils import timezone

    company = factories.issuing_company()
    at = timezone.now()
    first = registre.seal(company=company, kind="essai", reference="E1", document={"n": 1}, at=at)
    second = registre.seal(company=company, kind="essai", reference="E2", document={"n": 2}, at=at)
    for record in (first, second):
        stored = Enregistrement.objects.get(pk=record.pk)
        fields = ("company_id", "sequence", "kind", "reference", "recorded_at", "previous",
                  "fingerprint")  # fmt: skip
        assert [getattr(record, f) for f in fields] == [getattr(stored, f) for f in fields]
        assert bytes(record.payload) == bytes(stored.payload)
    assert second.previous == first.fingerprint and first.previous == GENESIS
    sealed = json.loads(bytes(second.payload))
    assert (sealed["seq"], sealed["kind"], sealed["ref"], sealed["doc"]) == (
        2,
        "essai",
        "E2",
        {"n": 2},
    )
    from django.utils.dateparse import parse_datetime

    assert parse_datetime(sealed["at"]) == at  # the sealed time, under its own key


@pytest.mark.django_db
def test_a_record_dated_in_a_closed_period_names_the_closure_that_closed_it():
    """CGI art. 286-I-3° bis: the refusal says which closure closed the period."""
    company = factories.issuing_company()
    registre.seal(company=company, kind="cloture", reference="CLOTURE-2026-01", document={},
                  at=timezone_now(), closes=date(2026, 1, 31))  # fmt: skip
    with pytest.raises(PeriodeCloturee, match="CLOTURE-2026-01"):
        registre.seal(company=company, kind="essai", reference="E1", document={},
                      at=timezone_now(), dated=date(2026, 1, 15))  # fmt: skip


def timezone_now():
    from django.utils import timezone

    return timezone.now()


@pytest.mark.django_db
def test_a_fiscal_year_closed_on_the_day_of_its_last_month_is_the_closure_named():
    """A fiscal year closes on the last day of its last month, already closed by the monthly
    closure: from then on the refusal names the fiscal-year closure, the latest."""
    company = factories.issuing_company()
    for reference in ("CLOTURE-2026-12", "CLOTURE-EXERCICE-2026"):
        registre.seal(company=company, kind="cloture", reference=reference, document={},
                      at=timezone_now(), closes=date(2026, 12, 31))  # fmt: skip
    with pytest.raises(PeriodeCloturee, match="CLOTURE-EXERCICE-2026"):
        periode_verifier_ouverte(company=company, day=date(2026, 12, 1))
