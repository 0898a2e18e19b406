"""What `verify_registre` checks of closures and archives.

A closure or archive record carries the chain head at the time it was made: that record must
still be in the chain with the same fingerprint. A closure row, outside the chain, repeats
its own record's sequence and fingerprint, so a chain truncated before a closure, even with
its head rewound to a consistent point, disagrees with it (LEGAL.md §4: a truncated tail is
detected against the heads recorded outside the chain).

Closures and archives also record the head of the company's event log (`events_head`): the
log must still hold that event with the same fingerprint, so a log truncated before it,
even with its head rewound, disagrees with them (issue #23).
"""

import json

from comptabilite.models import Cloture
from pgi.models import Company, Enregistrement, Evenement, RecordKind
from pgi.registre import (
    Finding,
    SealedDocument,
    canonical_json,
    register_coverage_check,
    register_document_check,
)


def _fingerprints(company: Company, sequences: set[int]) -> dict[int, str]:
    return dict(
        Enregistrement.objects.filter(company=company, sequence__in=sequences).values_list(
            "sequence", "fingerprint"
        )
    )


def _head_problem(head: dict | None, chain: dict[int, str]) -> str | None:
    if not head or not head["sequence"]:
        return None
    present = chain.get(head["sequence"])
    if present is None:
        return f"la tête de chaîne consignée (#{head['sequence']}) est absente du registre"
    if present != head["fingerprint"]:
        return f"la tête de chaîne consignée (#{head['sequence']}) diffère du registre"
    return None


def _events(company: Company, heads: list[dict | None]) -> dict[int, str]:
    sequences = {head["sequence"] for head in heads if head}
    return dict(
        Evenement.objects.filter(company=company, sequence__in=sequences).values_list(
            "sequence", "fingerprint"
        )
    )


def _events_head_problem(head: dict | None, log: dict[int, str]) -> str | None:
    if not head or not head["sequence"]:
        return None
    present = log.get(head["sequence"])
    if present is None:
        return (
            f"l'événement #{head['sequence']}, tête du journal des événements consignée, est "
            f"absent du journal : journal tronqué"
        )
    if present != head["fingerprint"]:
        return (
            f"l'événement #{head['sequence']}, tête du journal des événements consignée, "
            f"diffère du journal"
        )
    return None


@register_document_check(RecordKind.CLOSURE, RecordKind.ARCHIVE)
def check_recorded_heads(company: Company, sealed: list[SealedDocument]) -> list[Finding]:
    findings = []
    heads = {s.sequence: s.doc.get("head") for s in sealed}
    chain = _fingerprints(company, {h["sequence"] for h in heads.values() if h})
    log = _events(company, [s.doc.get("events_head") for s in sealed])
    for record in sealed:
        problem = _head_problem(heads[record.sequence], chain)
        if problem:
            findings.append(Finding(record.sequence, record.reference, problem))
        problem = _events_head_problem(record.doc.get("events_head"), log)
        if problem:
            findings.append(Finding(record.sequence, record.reference, problem))
    closures = [s for s in sealed if s.kind == RecordKind.CLOSURE]
    rows = {
        row.reference: row
        for row in Cloture.objects.filter(
            company=company, reference__in=[s.reference for s in closures]
        )
    }
    for record in closures:
        row = rows.get(record.reference)
        if row is None:
            findings.append(Finding(record.sequence, record.reference, "clôture introuvable"))
        elif row.sequence != record.sequence:
            problem = "la clôture désigne un autre enregistrement"
            findings.append(Finding(record.sequence, record.reference, problem))
        elif row.totals != json.loads(canonical_json(record.doc)):
            problem = "la clôture diffère de son enregistrement"
            findings.append(Finding(record.sequence, record.reference, problem))
    return findings


@register_coverage_check
def check_closures_are_in_the_chain(
    company: Company, sealed: set[tuple[str, str]]
) -> list[Finding]:
    findings = []
    rows = list(Cloture.objects.filter(company=company).order_by("sequence"))
    wanted = {row.sequence for row in rows} | {row.totals["head"]["sequence"] for row in rows}
    chain = _fingerprints(company, wanted)
    log = _events(company, [row.totals.get("events_head") for row in rows])
    for row in rows:
        in_chain = (RecordKind.CLOSURE, row.reference) in sealed
        if in_chain and chain.get(row.sequence) == row.fingerprint:
            continue
        findings.append(
            Finding(
                row.sequence,
                row.reference,
                f"l'enregistrement de la clôture (#{row.sequence}) est absent ou différent : "
                f"registre tronqué ou réécrit avant cette clôture",
            )
        )
        for problem in (
            _head_problem(row.totals["head"], chain),
            _events_head_problem(row.totals.get("events_head"), log),
        ):
            if problem:
                findings.append(Finding(row.sequence, row.reference, problem))
    return findings
