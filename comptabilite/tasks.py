"""Register verification in the background: on demand (with progress) and nightly."""

import logging
import time

from celery import shared_task
from django.core.cache import cache
from django.core.mail import mail_admins, send_mail
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pgi.events import JOURNAL, EventsReport, event_record, events_verify
from pgi.models import Company, EventKind, Membership, Registre, User
from pgi.permissions import Role
from pgi.registre import Finding, Report, verify_chain

RUN_TTL = 24 * 3600
logger = logging.getLogger(__name__)


def run_key(company_id: int, run_id: str) -> str:
    return f"integrity:{company_id}:{run_id}"


def company_verify(company: Company, **options) -> tuple[Report, EventsReport]:
    """The company's register and its event log, each checked in one snapshot."""
    return verify_chain(company, **options), events_verify(company)


# The messages of the integrity events: (nightly, intact) -> French source text.
SUMMARIES = {
    (False, True): gettext_noop(
        "Vérification du registre : intègre (%(records)s enregistrements, %(events)s événements)"
    ),
    (False, False): gettext_noop(
        "Vérification du registre : %(findings)s anomalie(s) "
        "(%(records)s enregistrements, %(events)s événements)"
    ),
    (True, True): gettext_noop(
        "Vérification nocturne : intègre (%(records)s enregistrements, %(events)s événements)"
    ),
    (True, False): gettext_noop(
        "Vérification nocturne : %(findings)s anomalie(s) "
        "(%(records)s enregistrements, %(events)s événements)"
    ),
}


@shared_task
def verify_registre_task(company_id: int, run_id: str, user_id: int | None = None) -> dict:
    """Verifies one company's chain and event log and leaves the result in the cache for
    the page to poll; the event it logs names the user who started it."""
    key = run_key(company_id, run_id)
    company = Company.objects.get(pk=company_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    head = Registre.objects.filter(company=company).first()
    total = head.last_sequence if head else 0
    running = {"state": "running", "started": timezone.now().isoformat(), "total": total}
    cache.set(key, {**running, "done": 0, "percent": 0}, RUN_TTL)

    def progress(done: int) -> None:
        percent = min(99, done * 100 // total) if total else 0
        cache.set(key, {**running, "done": done, "percent": percent}, RUN_TTL)

    started = time.perf_counter()
    report, events = company_verify(company, progress=progress)
    findings = [str(f) for f in report.findings + events.findings]
    result = {
        "state": "done",
        "ok": not findings,
        "records": report.records,
        "events": events.events,
        "findings": findings,
        "seconds": round(time.perf_counter() - started, 2),
        "finished": timezone.now().isoformat(),
    }
    cache.set(key, result, RUN_TTL)
    cache.set(f"integrity:{company_id}:last", result, None)
    event_record(
        kind=EventKind.INTEGRITY, company=company, user=user,
        summary=SUMMARIES[False, not findings],
        params={"records": report.records, "events": events.events, "findings": len(findings)},
    )  # fmt: skip
    return result


@shared_task
def verify_all_registres() -> int:
    """Nightly (Celery beat): verifies every company's register and event log, emails its
    owners on failure; then the log of the events tied to no company (site admins)."""
    failures = 0
    for company in Company.objects.order_by("pk").iterator():
        try:
            report = verify_chain(company)
        except Exception as exc:  # one company's failure never stops the others' checks
            logger.exception("nightly verification of company %s failed", company.pk)
            report = Report(
                findings=[Finding(None, "registre", f"vérification impossible : {exc}")]
            )
        try:  # nor the register's failure the event log's check
            events = events_verify(company)
        except Exception as exc:
            logger.exception("nightly event log verification of company %s failed", company.pk)
            events = EventsReport(
                findings=[Finding(None, JOURNAL, f"vérification impossible : {exc}")]
            )
        findings = report.findings + events.findings
        cache.set(
            f"integrity:{company.pk}:last",
            {"state": "done", "ok": not findings, "records": report.records,
             "events": events.events, "findings": [str(f) for f in findings],
             "finished": timezone.now().isoformat()},
            None,
        )  # fmt: skip
        event_record(
            kind=EventKind.INTEGRITY, company=company,
            summary=SUMMARIES[True, not findings],
            params={"records": report.records, "events": events.events,
                    "findings": len(findings)},
        )  # fmt: skip
        if not findings:
            continue
        failures += 1
        owners = Membership.objects.filter(company=company, role=Role.OWNER).values_list(
            "user__email", flat=True
        )
        send_mail(
            subject=_("Encaisse : anomalie dans le registre de %(c)s")
            % {"c": company.display_name},
            message=_(
                "La vérification nocturne du registre inaltérable a trouvé %(n)d anomalie(s) :\n\n"
            )
            % {"n": len(findings)}
            + "\n".join(f"- {f}" for f in findings[:100]),
            from_email=None,
            recipient_list=list(owners),
        )
    site = events_verify(None)
    if not site.ok:
        failures += 1
        logger.error("event log of no company: %d finding(s)", len(site.findings))
        mail_admins(
            "Journal des événements (hors société) : anomalies",
            "\n".join(f"- {f}" for f in site.findings[:100]),
        )
    return failures


# The books' tasks live with them; imported here so that the worker finds them.
from comptabilite.livres.tasks import fec_export_task  # noqa: E402, F401
