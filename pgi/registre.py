"""Sealing and verifying the inalterable register (registre, CGI art. 286-I-3° bis).

One append-only chain per company. A record's payload is the canonical JSON (`pgi.chain`) of
    {"v": 1, "company": SIREN, "seq": n, "kind": ..., "ref": ..., "at": ISO time, "doc": {...}}
and its fingerprint chains it to the previous record. The payload is serialised once, when the
record is sealed, and stored as bytes: verification hashes those bytes, never a
re-serialisation.

The register is the kernel's: the apps that seal (invoices, payments, closures, archives)
plug in what verification and closures need to know of their own rows (`register_*` below,
filled from each app's `AppConfig.ready`), so the kernel never imports them.
"""

import hmac
import json
import queue
import re
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from django.db import connection, transaction
from django.utils.translation import gettext as _

from pgi.chain import ALGORITHM, GENESIS, canonical_json, chain_key, fingerprint
from pgi.exceptions import PeriodeCloturee
from pgi.locks import lock_registre_head
from pgi.models import Company, Enregistrement, Registre

__all__ = ["ALGORITHM", "GENESIS", "canonical_json", "fingerprint"]  # re-exported for the apps

# The kernel's own tables (they kept the names they had when the register lived elsewhere).
RECORDS = Enregistrement._meta.db_table
HEADS = Registre._meta.db_table


def periode_cloturee(*, day: date, closed_until: date, reference: str) -> PeriodeCloturee:
    return PeriodeCloturee(
        _(
            "La période est clôturée jusqu'au %(end)s (%(ref)s) : aucun document ne peut "
            "plus être daté du %(day)s."
        )
        % {"end": f"{closed_until:%d/%m/%Y}", "ref": reference, "day": f"{day:%d/%m/%Y}"}
    )


def periode_verifier_ouverte(*, company: Company, day: date) -> None:
    """Raises `PeriodeCloturee` when `day` falls in a closed period.

    Closures follow each other, so every date up to the end of the last closure is closed;
    the register head keeps that date, written by the closure under the head lock.
    """
    heads = Registre.objects.filter(company=company).only("closed_until", "closure_reference")
    head = heads.first()
    if head is not None and head.closed_until is not None and day <= head.closed_until:
        raise periode_cloturee(
            day=day, closed_until=head.closed_until, reference=head.closure_reference
        )


def seal(
    *, company: Company, kind: str, reference: str, document: dict, at: datetime,
    dated: date | None = None, closes: date | None = None,
) -> Enregistrement:  # fmt: skip
    """Appends a record to the company's chain. Call inside the writing transaction.

    Locks the chain head (last in the lock order, see `pgi.locks`); everything that can be
    prepared before, the document included, is prepared by the caller. With `dated`, refuses
    a record dated in a closed period (CGI art. 286-I-3° bis), checked under the head lock
    that closures also take, so a concurrent closure cannot slip in between. A closure passes
    `closes`, the last day of its period: from its commit on, nothing is dated up to it.
    """
    last_sequence, previous, closed_until, closure_reference = lock_registre_head(company)
    if dated is not None and closed_until is not None and dated <= closed_until:
        raise periode_cloturee(day=dated, closed_until=closed_until, reference=closure_reference)
    if closes is not None and (closed_until is None or closes >= closed_until):
        closed_until, closure_reference = closes, reference
    sequence = last_sequence + 1
    previous = previous or GENESIS
    payload = canonical_json(
        {
            "v": 1,
            "company": company.siren,
            "seq": sequence,
            "kind": kind,
            "ref": reference,
            "at": at,
            "doc": document,
        }
    )
    record = Enregistrement(
        company=company, sequence=sequence, kind=kind, reference=reference, recorded_at=at,
        payload=payload, previous=previous, fingerprint=fingerprint(previous, payload),
    )  # fmt: skip
    # One round trip for the record and the new head: the head lock is held until commit.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH rec AS (
                INSERT INTO {RECORDS}
                    (company_id, sequence, kind, reference, recorded_at, payload, previous,
                     fingerprint)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                RETURNING id
            )
            UPDATE {HEADS} SET last_sequence = %s, last_fingerprint = %s,
                closed_until = %s, closure_reference = %s
            WHERE company_id = %s
            RETURNING (SELECT id FROM rec)
            """,
            [
                company.pk, sequence, kind, reference, at, payload, previous,
                record.fingerprint, sequence, record.fingerprint, closed_until,
                closure_reference, company.pk,
            ],
        )  # fmt: skip
        record.pk = cursor.fetchone()[0]
    # One seal, one entry (ARCHITECTURE.md): the books post the record in this transaction,
    # under the head lock, from the document as sealed (its JSON form, whatever the caller).
    rule = POSTING_RULES.get(kind)
    if rule is not None:
        rule(company, record, json.loads(payload)["doc"])
    return record


# Posting rules, registered by the books (comptabilite) at start-up: record kind ->
# function(company, record, sealed document) that writes the record's balanced entry.
PostingRule = Callable[[Company, Enregistrement, dict], None]
POSTING_RULES: dict[str, PostingRule] = {}


def register_posting_rule(*kinds: str):
    def decorator(func: PostingRule) -> PostingRule:
        for kind in kinds:
            POSTING_RULES[kind] = func
        return func

    return decorator


def post(*, company: Company, kind: str, reference: str, document: dict, at: datetime) -> None:
    """Posts what is written without a seal but moves amounts between a customer's invoices
    (a credit allocated later, a credit note set against another invoice), in the caller's
    transaction: the books' rule for `kind` if any, under the head lock, as a seal's.

    The record passed to the rule is not in the chain (no sequence)."""
    rule = POSTING_RULES.get(kind)
    if rule is None:
        return
    lock_registre_head(company)
    # Not in the chain: no sequence (its field stays None).
    record = Enregistrement(company=company, kind=kind, reference=reference, recorded_at=at)
    rule(company, record, json.loads(canonical_json(document)))


@dataclass(frozen=True)
class Finding:
    sequence: int | None
    reference: str
    problem: str

    def __str__(self) -> str:
        where = f"#{self.sequence} " if self.sequence is not None else ""
        return f"{where}{self.reference} : {self.problem}".strip()


@dataclass(frozen=True)
class SealedDocument:
    sequence: int
    kind: str
    reference: str
    doc: dict


# Checks of the live data against what was sealed, registered by the apps that seal:
# kind -> function(company, [SealedDocument]) -> findings, called in batches.
DocumentCheck = Callable[[Company, list[SealedDocument]], list[Finding]]
DOCUMENT_CHECKS: dict[str, DocumentCheck] = {}
# function(company, {(kind, reference)}) -> findings about documents that have no record.
CoverageCheck = Callable[[Company, set[tuple[str, str]]], list[Finding]]
COVERAGE_CHECKS: list[CoverageCheck] = []
BATCH = 1000


def register_document_check(*kinds: str):
    def decorator(func: DocumentCheck) -> DocumentCheck:
        for kind in kinds:
            DOCUMENT_CHECKS[kind] = func
        return func

    return decorator


def register_coverage_check(func: CoverageCheck) -> CoverageCheck:
    COVERAGE_CHECKS.append(func)
    return func


def _records(
    company: Company, chunk_size: int = 5000, *, times: bool = False
) -> Generator[tuple, None, None]:
    """Streams (sequence, kind, reference, payload, previous, fingerprint), server-side;
    with `times`, also `recorded_at` as the bytes of its ISO form in UTC, as sealed payloads
    hold it (`_time_differs`: comparing bytes costs a tenth of loading and comparing
    datetimes).

    A named psycopg cursor in binary format: the payloads arrive as raw bytes, not as the
    hex text PostgreSQL sends bytea in by default. A reader thread fetches the next chunk
    while the caller hashes the current one (the network wait releases the GIL).
    """
    done = object()
    chunks: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection

        def read() -> None:
            try:
                with raw.cursor(name="registre_verify", binary=True) as cursor:
                    cursor.itersize = chunk_size
                    time = (
                        f", convert_to(to_char(recorded_at AT TIME ZONE 'UTC', '{ISO_UTC}'), "
                        "'UTF8')"
                        if times
                        else ""
                    )
                    cursor.execute(
                        "SELECT sequence, kind, reference, payload, previous, fingerprint"
                        f"{time} FROM {RECORDS} WHERE company_id = %s ORDER BY sequence",
                        [company.pk],
                    )
                    while not stop.is_set() and (rows := cursor.fetchmany(chunk_size)):
                        chunks.put(rows)
                chunks.put(done)
            except BaseException as exc:  # handed to the consumer, raised there
                chunks.put(exc)

        reader = threading.Thread(target=read, name="registre-reader", daemon=True)
        reader.start()
        try:
            while (rows := chunks.get()) is not done:
                if isinstance(rows, BaseException):
                    raise rows
                yield from rows
        finally:
            # The consumer may stop early (an exception): unblock the reader, then wait for it.
            stop.set()
            while reader.is_alive():
                try:
                    chunks.get(timeout=0.05)
                except queue.Empty:
                    pass
            reader.join()


RENUMBERED = "numéro différent de celui scellé (enregistrements renumérotés ?)"
# A payload is canonical JSON with sorted keys, "seq" then "v" last: its sequence is read at
# its end, not by parsing the whole document (verification hashes ~190,000 records/s).
_SEALED_SEQUENCE = re.compile(rb',"seq":(\d+),"v":1}\Z')


def _sealed_offset(sequence: int, payload: bytes) -> int | None:
    """How far the record's place is from the sequence sealed in its payload (0 when they
    agree), None when the payload carries no sequence."""
    if payload.endswith(b',"seq":%d,"v":1}' % sequence):
        return 0
    match = _SEALED_SEQUENCE.search(payload, max(0, len(payload) - 40))
    return None if match is None else sequence - int(match[1])


UNREADABLE = "contenu illisible (JSON invalide) : document non comparé"
RETIMED = "heure d'enregistrement différente de celle scellée"
# A time in UTC as `datetime.isoformat` writes it when it has microseconds.
ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'


def _time_differs(payload: bytes, recorded_at: bytes) -> bool:
    """Whether the record's time column differs from the time sealed in its payload, the
    payload's first key "at" (canonical JSON sorts the keys). Usually the same bytes; else
    (a time sealed with another offset or without microseconds) compared as instants."""
    end = 7 + len(recorded_at)
    if payload.startswith(recorded_at, 7) and payload[end : end + 1] == b'"':
        return False
    if not payload.startswith(b'{"at":"'):
        return True
    try:
        sealed = datetime.fromisoformat(payload[7 : payload.index(b'"', 7)].decode())
        return sealed != datetime.fromisoformat(recorded_at.decode())
    except (ValueError, TypeError):
        return True


@dataclass
class Report:
    records: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def verify_chain(
    company: Company, *, check_documents: bool = True,
    progress: Callable[[int], None] | None = None, progress_every: int = 20_000,
) -> Report:  # fmt: skip
    """Checks the company's whole chain, then the live documents against their records, all
    read in one snapshot (REPEATABLE READ): a document issued while the check runs is seen
    with its record and the head that counts it, or not at all, never half (no false
    "fin de chaîne tronquée" under load). Inside a caller's transaction, that is the snapshot.
    """
    run = partial(
        _verify_chain, company, check_documents=check_documents, progress=progress,
        progress_every=progress_every,
    )  # fmt: skip
    if connection.in_atomic_block:
        return run()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return run()


def _verify_chain(
    company: Company, *, check_documents: bool, progress: Callable[[int], None] | None,
    progress_every: int,
) -> Report:  # fmt: skip
    """Checks the company's whole chain, then the live documents against their records.

    Pass 1 hashes the stored bytes (links, gaps, fingerprints, the sequence sealed in each
    payload, tail against the head); one deleted record is one finding, not a cascade;
    pass 2 compares each sealed document with the live rows, in batches.
    """
    key = chain_key()
    report = Report()
    findings = report.findings
    expected_previous = GENESIS
    expected_sequence = 1
    expected_offset: int | None = 0
    pending: dict[str, list[SealedDocument]] = {}
    sealed: set[tuple[str, str]] = set()
    # Closed explicitly: on an exception the generator must end its transaction and its
    # reader thread now, not whenever the traceback holding it is collected.
    # The time column is compared with the live documents, not in the chain-only pass.
    records = _records(company, times=check_documents)
    try:
        for sequence, kind, reference, payload, previous, stored, *time in records:
            payload = bytes(payload)
            report.records += 1
            if progress is not None and report.records % progress_every == 0:
                progress(report.records)
            # A deleted record is one gap: the link it broke says nothing more.
            if sequence != expected_sequence:
                findings.append(
                    Finding(
                        sequence, reference, f"trou dans la séquence : #{expected_sequence} attendu"
                    )
                )
            elif previous != expected_previous:
                findings.append(
                    Finding(sequence, reference, "lien rompu avec l'enregistrement précédent")
                )
            if not hmac.compare_digest(fingerprint(previous, payload, key), stored):
                findings.append(Finding(sequence, reference, "contenu altéré (empreinte invalide)"))
            else:
                # The sequence sealed in an authentic payload must be the record's place:
                # records renumbered after a deletion, even re-fingerprinted with the key, are
                # reported once, where the numbering starts to differ.
                if (offset := _sealed_offset(sequence, payload)) != expected_offset:
                    if offset != 0:
                        findings.append(Finding(sequence, reference, RENUMBERED))
                    expected_offset = offset
                # The time column is shown (an invoice's history): it must be the sealed one.
                if time and _time_differs(payload, bytes(time[0])):
                    findings.append(Finding(sequence, reference, RETIMED))
            expected_previous = stored
            expected_sequence = sequence + 1
            if check_documents:
                sealed.add((kind, reference))
                if kind in DOCUMENT_CHECKS:
                    try:
                        document = json.loads(payload)["doc"]
                    except (ValueError, KeyError, TypeError):
                        # Reported, never a crash: the rest of the chain is still checked.
                        findings.append(Finding(sequence, reference, UNREADABLE))
                        continue
                    batch = pending.setdefault(kind, [])
                    batch.append(SealedDocument(sequence, kind, reference, document))
                    if len(batch) >= BATCH:
                        findings.extend(DOCUMENT_CHECKS[kind](company, batch))
                        pending[kind] = []
    finally:
        records.close()
    last = expected_sequence - 1
    head = Registre.objects.filter(company=company).first()
    head_sequence = head.last_sequence if head else 0
    head_fingerprint = head.last_fingerprint if head else ""
    if head_sequence != last:
        findings.append(
            Finding(
                None,
                "registre",
                f"fin de chaîne tronquée ou altérée : la tête du registre indique "
                f"#{head_sequence}, la chaîne s'arrête à #{last}",
            )
        )
    elif last and head_fingerprint != expected_previous:
        findings.append(
            Finding(
                None,
                "registre",
                f"fin de chaîne altérée : l'empreinte de la tête du registre n'est pas "
                f"celle du #{last}",
            )
        )
    if check_documents:
        for kind, batch in pending.items():
            if batch:
                findings.extend(DOCUMENT_CHECKS[kind](company, batch))
        for check in COVERAGE_CHECKS:
            findings.extend(check(company, sealed))
    return report


# What closures and archives ask of the apps whose documents are sealed and dated (invoices,
# credit notes, deposits today; payments next). Each app registers one source at start-up.


@dataclass(frozen=True)
class DocumentSource:
    # record kind -> sign in the period totals: a credit note corrects a sale, it counts
    # negatively in every total (BOI-TVA-DECLA-30-10-30)
    signs: dict[str, int]
    # (company, first day, last day) -> [(record kind, reference)] of the documents issued
    # in that period (inclusive), from the live rows
    issued: Callable[[Company, date, date], list[tuple[str, str]]]
    # company -> the date of its first issued document, or None
    first_day: Callable[[Company], date | None]
    # (company, references) -> {reference: stored PDF file} for the archives
    files: Callable[[Company, list[str]], dict]


DOCUMENT_SOURCES: list[DocumentSource] = []


def register_document_source(source: DocumentSource) -> DocumentSource:
    DOCUMENT_SOURCES.append(source)
    return source


def document_signs() -> dict[str, int]:
    return {kind: sign for source in DOCUMENT_SOURCES for kind, sign in source.signs.items()}


def documents_issued(*, company: Company, start: date, end: date) -> list[tuple[str, str]]:
    """(record kind, reference) of every document issued in the period, from the live rows."""
    return [pair for source in DOCUMENT_SOURCES for pair in source.issued(company, start, end)]


def first_document_day(*, company: Company) -> date | None:
    days = [day for source in DOCUMENT_SOURCES if (day := source.first_day(company)) is not None]
    return min(days, default=None)


def document_files(*, company: Company, references: list[str]) -> dict:
    files: dict = {}
    for source in DOCUMENT_SOURCES:
        files.update(source.files(company, references))
    return files
