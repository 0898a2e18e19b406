"""What the inalterable register (`pgi.registre`) needs to know of payments, registered at
start-up (`EncaissementConfig.ready`): each sealed payment or reversal is rebuilt from the
live rows (the payment and the allocations sealed with it) and compared with its record, and
every payment must have its record."""

import json

from encaissement.models import Paiement
from encaissement.services import paiement_document
from pgi.models import Company, RecordKind
from pgi.registre import (
    Finding,
    SealedDocument,
    canonical_json,
    register_coverage_check,
    register_document_check,
)


def _normalised(doc: dict) -> dict:
    return json.loads(canonical_json(doc))


@register_document_check(RecordKind.PAYMENT, RecordKind.PAYMENT_REVERSAL)
def check_payments(company: Company, sealed: list[SealedDocument]) -> list[Finding]:
    findings = []
    live = {
        p.number: p
        for p in Paiement.objects.filter(
            company=company, number__in=[s.reference for s in sealed]
        ).select_related("client", "reverses")
    }
    allocations: dict[int, list] = {}
    for paiement in live.values():
        allocations[paiement.pk] = [
            a for a in paiement.affectations.select_related("facture").order_by("pk") if a.sealed
        ]
    for record in sealed:
        paiement = live.get(record.reference)
        if paiement is None:
            findings.append(Finding(record.sequence, record.reference, "encaissement introuvable"))
            continue
        rebuilt = _normalised(paiement_document(paiement, allocations[paiement.pk]))
        expected = _normalised(record.doc)
        if rebuilt != expected:
            changed = sorted(k for k in rebuilt.keys() | expected.keys()
                             if rebuilt.get(k) != expected.get(k))  # fmt: skip
            findings.append(
                Finding(
                    record.sequence,
                    record.reference,
                    "l'encaissement diffère de son enregistrement (" + ", ".join(changed) + ")",
                )
            )
    return findings


@register_coverage_check
def check_every_payment_is_sealed(company: Company, sealed: set[tuple[str, str]]) -> list[Finding]:
    return [
        Finding(None, number, "encaissement absent du registre (enregistrement supprimé ?)")
        for kind, number in Paiement.objects.filter(company=company)
        .values_list("kind", "number")
        .iterator()
        if (kind, number) not in sealed
    ]
