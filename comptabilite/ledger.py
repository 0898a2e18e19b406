"""Sealing and verifying the inalterable ledger.

A record's payload is the canonical JSON (sorted keys, compact separators, UTF-8) of:
    {"v": 1, "company": SIREN, "seq": n, "kind": ..., "ref": ..., "at": ISO time, "doc": {...}}
and its fingerprint is "hmac-sha256-v1:" + HMAC-SHA256(key, previous fingerprint + "\\n" +
payload). The payload is serialised once, when the record is sealed, and stored as bytes:
verification hashes those bytes, never a re-serialisation.
"""

import hmac
import json
import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from comptabilite.models import Enregistrement, Registre
from pgi.locks import lock_ledger_head
from pgi.models import Company

ALGORITHM = "hmac-sha256-v1"
GENESIS = "genesis"


def _default(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not serialisable in a ledger payload: {type(value).__name__}")


def canonical_json(data: dict) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode()


def _key() -> bytes:
    return settings.LEDGER_HMAC_KEY.encode()


def fingerprint(previous: str, payload: bytes, key: bytes | None = None) -> str:
    mac = hmac.digest(key or _key(), previous.encode() + b"\n" + payload, "sha256")
    return f"{ALGORITHM}:{mac.hex()}"


def seal(
    *, company: Company, kind: str, reference: str, document: dict, at: datetime,
    dated: date | None = None,
) -> Enregistrement:  # fmt: skip
    """Appends a record to the company's chain. Call inside the writing transaction.

    Locks the chain head (last in the lock order, see `pgi.locks`); everything that can be
    prepared before, the document included, is prepared by the caller. With `dated`, refuses
    a record dated in a closed period (CGI art. 286-I-3° bis), checked under the head lock
    that closures also take, so a concurrent closure cannot slip in between.
    """
    last_sequence, previous, closed_until = lock_ledger_head(company)
    if dated is not None and closed_until is not None and dated <= closed_until:
        from comptabilite.services import periode_verifier_ouverte

        periode_verifier_ouverte(company=company, day=dated)  # raises, with the reference
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
            """
            WITH rec AS (
                INSERT INTO comptabilite_enregistrement
                    (company_id, sequence, kind, reference, recorded_at, payload, previous,
                     fingerprint)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                RETURNING id
            )
            UPDATE comptabilite_registre SET last_sequence = %s, last_fingerprint = %s
            WHERE company_id = %s
            RETURNING (SELECT id FROM rec)
            """,
            [
                company.pk, sequence, kind, reference, at, payload, previous,
                record.fingerprint, sequence, record.fingerprint, company.pk,
            ],
        )  # fmt: skip
        record.pk = cursor.fetchone()[0]
    return record


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


def _records(company: Company, chunk_size: int = 5000) -> Generator[tuple, None, None]:
    """Streams (sequence, kind, reference, payload, previous, fingerprint), server-side.

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
                with raw.cursor(name="ledger_verify", binary=True) as cursor:
                    cursor.itersize = chunk_size
                    cursor.execute(
                        "SELECT sequence, kind, reference, payload, previous, fingerprint "
                        "FROM comptabilite_enregistrement WHERE company_id = %s "
                        "ORDER BY sequence",
                        [company.pk],
                    )
                    while not stop.is_set() and (rows := cursor.fetchmany(chunk_size)):
                        chunks.put(rows)
                chunks.put(done)
            except BaseException as exc:  # handed to the consumer, raised there
                chunks.put(exc)

        reader = threading.Thread(target=read, name="ledger-reader", daemon=True)
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
    """Checks the company's whole chain, then the live documents against their records.

    Pass 1 hashes the stored bytes (links, gaps, fingerprints, tail against the head);
    pass 2 compares each sealed document with the live rows, in batches.
    """
    key = _key()
    report = Report()
    findings = report.findings
    expected_previous = GENESIS
    expected_sequence = 1
    pending: dict[str, list[SealedDocument]] = {}
    sealed: set[tuple[str, str]] = set()
    # Closed explicitly: on an exception the generator must end its transaction and its
    # reader thread now, not whenever the traceback holding it is collected.
    records = _records(company)
    try:
        for sequence, kind, reference, payload, previous, stored in records:
            payload = bytes(payload)
            report.records += 1
            if progress is not None and report.records % progress_every == 0:
                progress(report.records)
            if sequence != expected_sequence:
                findings.append(
                    Finding(
                        sequence, reference, f"trou dans la séquence : #{expected_sequence} attendu"
                    )
                )
            if previous != expected_previous:
                findings.append(
                    Finding(sequence, reference, "lien rompu avec l'enregistrement précédent")
                )
            if not hmac.compare_digest(fingerprint(previous, payload, key), stored):
                findings.append(Finding(sequence, reference, "contenu altéré (empreinte invalide)"))
            expected_previous = stored
            expected_sequence = sequence + 1
            if check_documents:
                sealed.add((kind, reference))
                if kind in DOCUMENT_CHECKS:
                    batch = pending.setdefault(kind, [])
                    batch.append(
                        SealedDocument(sequence, kind, reference, json.loads(payload)["doc"])
                    )
                    if len(batch) >= BATCH:
                        findings.extend(DOCUMENT_CHECKS[kind](company, batch))
                        pending[kind] = []
    finally:
        records.close()
    last = expected_sequence - 1
    head = Registre.objects.filter(company=company).first()
    head_sequence = head.last_sequence if head else 0
    head_fingerprint = head.last_fingerprint if head else ""
    if head_sequence != last or (last and head_fingerprint != expected_previous):
        findings.append(
            Finding(
                None,
                "registre",
                f"fin de chaîne tronquée ou altérée : la tête du registre indique "
                f"#{head_sequence}, la chaîne s'arrête à #{last}",
            )
        )
    if check_documents:
        for kind, batch in pending.items():
            if batch:
                findings.extend(DOCUMENT_CHECKS[kind](company, batch))
        for check in COVERAGE_CHECKS:
            findings.extend(check(company, sealed))
    return report
