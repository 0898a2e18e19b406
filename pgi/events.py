"""Writing, reading and verifying the technical event log (BOI-TVA-DECLA-30-10-30: a
documented log of the operations on the system — logins, exports, closures, archives,
integrity checks, changes to the legal identity and to roles — chained so that an alteration
shows).

One chain per company, and one for the events tied to no company (a failed login for an
unknown e-mail), each with its head (`JournalEvenements`) locked by its appends only. An
event's payload is the canonical JSON (`pgi.chain`) of
    {"v": 2, "company": SIREN, "company_id": pk, "seq": n, "at": ISO time, "kind": ...,
     "summary": French message, "params": {...}, "user": e-mail, "user_id": pk, "ip": ...,
     "details": {...}}
The message is the French source text of a translatable string with %(name)s placeholders:
the page translates it and fills in the sealed parameters at display time, so the log reads
in the user's language and shows only what the chain covers. The columns beside the payload
(time, kind, company, user, French text) serve to find rows; verification checks that they
agree with the payload.
"""

import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pgi.chain import GENESIS, canonical_json, chain_key, fingerprint
from pgi.locks import lock_journal_head
from pgi.models import Company, Evenement, EventKind, JournalEvenements, Membership, User
from pgi.registre import Finding

VERSION = 2
JOURNAL = "journal des événements"  # the reference of its findings, French like the rest


def _render(summary: str, params: dict, translate=_) -> str:
    """The message in the active language, its parameters filled in; never raises (a
    message whose placeholders do not match its parameters is shown untranslated)."""
    try:
        text = translate(summary) if summary else ""
        return text % params if params else text
    except (KeyError, ValueError, TypeError):
        return summary


def _french(summary: str, params: dict) -> str:
    return _render(summary, params, translate=str)


@transaction.atomic
def event_record(
    *, kind: str, summary: str, params: dict | None = None, company: Company | None = None,
    user: User | None = None, details: dict | None = None, ip: str | None = None,
) -> Evenement:  # fmt: skip
    """Appends an event to the company's chain; call it inside the transaction of the action
    it records. `summary` is French source text marked with gettext_noop, with %(name)s
    placeholders filled from `params` at display time (in the reader's language)."""
    params = params or {}
    head_id, last_sequence, previous = lock_journal_head(company)
    sequence = last_sequence + 1
    previous = previous or GENESIS
    at = timezone.now()
    payload = canonical_json(
        {
            "v": VERSION, "seq": sequence, "at": at, "kind": kind, "summary": summary,
            "params": params, "company": company.siren if company else None,
            "company_id": company.pk if company else None,
            "user": user.email if user else None, "user_id": user.pk if user else None,
            "ip": ip, "details": details or {},
        }
    )  # fmt: skip
    event = Evenement.objects.create(
        sequence=sequence, at=at, kind=kind, company=company, user=user,
        summary=_french(summary, params)[:300], payload=payload, previous=previous,
        fingerprint=fingerprint(previous, payload),
    )  # fmt: skip
    JournalEvenements.objects.filter(pk=head_id).update(
        last_sequence=sequence, last_fingerprint=event.fingerprint
    )
    return event


@transaction.atomic
def event_record_for_member(
    *, kind: str, summary: str, params: dict | None = None, user: User | None,
    ip: str | None = None,
) -> list[Evenement]:  # fmt: skip
    """Records an event about a person (a login) in the log of every company they belong
    to, or in the log of no company when there is none (an unknown e-mail). The heads are
    locked in the order of the companies' pk (`pgi.locks`)."""
    companies: list[Company | None] = []
    if user is not None:
        companies += Company.objects.filter(
            pk__in=Membership.objects.filter(user=user).values("company_id")
        ).order_by("pk")
    return [
        event_record(kind=kind, summary=summary, params=params, company=company, user=user, ip=ip)
        for company in companies or [None]
    ]


# Reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedEvent:
    """An event as the chain holds it: what the event log page shows."""

    sequence: int
    at: datetime | None
    kind: str
    user: str
    text: str

    @property
    def kind_label(self) -> str:
        return str(EventKind(self.kind).label) if self.kind in EventKind.values else self.kind


def sealed_events(events: Iterable[Evenement]) -> list[SealedEvent]:
    """The events read from their sealed payload, the message in the active language."""
    shown = []
    for event in events:
        try:
            data = json.loads(bytes(event.payload))
            at = datetime.fromisoformat(data["at"])
            text = _render(data.get("summary") or "", data.get("params") or {})
            shown.append(
                SealedEvent(event.sequence, at, data["kind"], data.get("user") or "—", text)
            )
        except (ValueError, KeyError, TypeError):
            shown.append(SealedEvent(event.sequence, None, "", "—", _("contenu illisible")))
    return shown


# Verifying ---------------------------------------------------------------------------------


@dataclass
class EventsReport:
    events: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


COLUMNS = ("at", "kind", "company", "user", "summary")


def _columns_differing(row: Mapping[str, Any], data: dict) -> list[str]:
    """The columns that disagree with the sealed payload (a column the page or a filter
    reads, changed behind the application's back)."""
    sealed = {
        "at": datetime.fromisoformat(data["at"]),
        "kind": data["kind"],
        "company": data.get("company_id"),
        "user": data.get("user_id"),
        "summary": _french(data.get("summary") or "", data.get("params") or {})[:300],
    }
    return [name for name in COLUMNS if row[name] != sealed[name]]


def events_verify(company: Company | None) -> EventsReport:
    """Checks one chain of the event log (None: the events tied to no company) in one
    snapshot: fingerprints, links, gaps, the sequence sealed in each payload, the columns
    against the payload, and the tail against the head. One deleted event is one gap."""
    if connection.in_atomic_block:
        return _events_verify(company)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _events_verify(company)


def _events_verify(company: Company | None) -> EventsReport:
    key = chain_key()
    report = EventsReport()
    findings = report.findings
    journal = JOURNAL
    expected_previous, expected_sequence = GENESIS, 1
    rows = (
        Evenement.objects.filter(company=company)
        .order_by("sequence")
        .values("sequence", "at", "kind", "company", "user", "summary", "payload", "previous",
                "fingerprint")
    )  # fmt: skip
    for row in rows.iterator(chunk_size=2000):
        sequence, payload, previous = row["sequence"], bytes(row["payload"]), row["previous"]
        report.events += 1
        if sequence != expected_sequence:
            findings.append(
                Finding(sequence, journal, f"trou dans la séquence : #{expected_sequence} attendu")
            )
        elif previous != expected_previous:
            findings.append(Finding(sequence, journal, "lien rompu avec l'événement précédent"))
        if not hmac.compare_digest(fingerprint(previous, payload, key), row["fingerprint"]):
            findings.append(Finding(sequence, journal, "événement altéré (empreinte invalide)"))
        else:
            try:
                data = json.loads(payload)
                differing = _columns_differing(row, data)
                renumbered = data["seq"] != sequence
            except (ValueError, KeyError, TypeError):
                findings.append(Finding(sequence, journal, "contenu illisible (JSON invalide)"))
            else:
                if renumbered:
                    findings.append(Finding(sequence, journal, "numéro différent de celui scellé"))
                if differing:
                    findings.append(
                        Finding(
                            sequence, journal,
                            "colonnes différentes du contenu scellé : " + ", ".join(differing),
                        )
                    )  # fmt: skip
        expected_previous, expected_sequence = row["fingerprint"], sequence + 1
    last = expected_sequence - 1
    head = JournalEvenements.objects.filter(company=company).first()
    head_sequence = head.last_sequence if head else 0
    if head_sequence != last:
        findings.append(
            Finding(
                None, journal,
                f"fin du journal tronquée ou altérée : la tête du journal indique "
                f"#{head_sequence}, le journal s'arrête à #{last}",
            )
        )  # fmt: skip
    elif last and head is not None and head.last_fingerprint != expected_previous:
        findings.append(
            Finding(
                None, journal,
                f"fin du journal altérée : l'empreinte de la tête du journal n'est pas celle "
                f"du #{last}",
            )
        )  # fmt: skip
    return report


def journal_head(company: Company | None) -> dict:
    """The head of the company's event log, as closures and archives record it."""
    head = JournalEvenements.objects.filter(company=company).first()
    if head is None or not head.last_sequence:
        return {"sequence": 0, "fingerprint": GENESIS}
    return {"sequence": head.last_sequence, "fingerprint": head.last_fingerprint}


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
