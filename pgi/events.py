"""Writing and verifying the technical event log (BOI-TVA-DECLA-30-10-30: a documented log
of the operations on the system — logins, exports, closures, archives, integrity checks,
changes to the legal identity and to roles — chained so that an alteration shows)."""

import hmac
import logging

from django.db import connection, transaction
from django.utils import timezone

from pgi.chain import GENESIS, canonical_json, fingerprint
from pgi.models import Company, Evenement, User

logger = logging.getLogger(__name__)
LOCK_ID = 0x656E6361  # "enca": one advisory lock serialises appends to the log


@transaction.atomic
def event_record(
    *, kind: str, summary: str, company: Company | None = None, user: User | None = None,
    details: dict | None = None, ip: str | None = None,
) -> Evenement:  # fmt: skip
    """Appends an event; call it inside the transaction of the action it records."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])
    last = Evenement.objects.order_by("-sequence").values_list("sequence", "fingerprint").first()
    sequence, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = timezone.now()
    payload = canonical_json(
        {
            "v": 1, "seq": sequence, "at": at, "kind": kind, "summary": summary,
            "company": company.siren if company else None,
            "company_id": company.pk if company else None,
            "user": user.email if user else None, "ip": ip, "details": details or {},
        }
    )  # fmt: skip
    return Evenement.objects.create(
        sequence=sequence, at=at, kind=kind, company=company, user=user, summary=summary[:300],
        payload=payload, previous=previous, fingerprint=fingerprint(previous, payload),
    )  # fmt: skip


def events_verify() -> list[str]:
    """Findings on the whole log: altered events, broken links, gaps."""
    findings = []
    expected_previous, expected_sequence = GENESIS, 1
    rows = Evenement.objects.order_by("sequence").values_list(
        "sequence", "payload", "previous", "fingerprint"
    )
    for sequence, payload, previous, stored in rows.iterator(chunk_size=5000):
        if sequence != expected_sequence:
            findings.append(f"journal #{sequence} : trou, #{expected_sequence} attendu")
        if previous != expected_previous:
            findings.append(f"journal #{sequence} : lien rompu avec l'événement précédent")
        if not hmac.compare_digest(fingerprint(previous, bytes(payload)), stored):
            findings.append(f"journal #{sequence} : événement altéré")
        expected_previous, expected_sequence = stored, sequence + 1
    return findings


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
