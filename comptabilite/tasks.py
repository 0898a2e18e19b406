"""Register verification in the background: on demand (with progress) and nightly."""

import logging
import time

from celery import shared_task
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from pgi.events import event_record
from pgi.models import Company, EventKind, Membership, Registre
from pgi.permissions import Role
from pgi.registre import Finding, Report, verify_chain

RUN_TTL = 24 * 3600
logger = logging.getLogger(__name__)


def run_key(company_id: int, run_id: str) -> str:
    return f"integrity:{company_id}:{run_id}"


@shared_task
def verify_registre_task(company_id: int, run_id: str) -> dict:
    """Verifies one company's chain and leaves the result in the cache for the page to poll."""
    key = run_key(company_id, run_id)
    company = Company.objects.get(pk=company_id)
    head = Registre.objects.filter(company=company).first()
    total = head.last_sequence if head else 0
    running = {"state": "running", "started": timezone.now().isoformat(), "total": total}
    cache.set(key, {**running, "done": 0, "percent": 0}, RUN_TTL)

    def progress(done: int) -> None:
        percent = min(99, done * 100 // total) if total else 0
        cache.set(key, {**running, "done": done, "percent": percent}, RUN_TTL)

    started = time.perf_counter()
    report = verify_chain(company, progress=progress)
    result = {
        "state": "done",
        "ok": report.ok,
        "records": report.records,
        "findings": [str(f) for f in report.findings],
        "seconds": round(time.perf_counter() - started, 2),
        "finished": timezone.now().isoformat(),
    }
    cache.set(key, result, RUN_TTL)
    cache.set(f"integrity:{company_id}:last", result, None)
    event_record(
        kind=EventKind.INTEGRITY, company=company,
        summary=f"Vérification du registre : {'intègre' if report.ok else 'ANOMALIES'} "
        f"({report.records} enregistrements, {len(report.findings)} anomalie(s))",
    )  # fmt: skip
    return result


@shared_task
def verify_all_registres() -> int:
    """Nightly (Celery beat): verifies every company and emails its owners on failure."""
    failures = 0
    for company in Company.objects.order_by("pk").iterator():
        try:
            report = verify_chain(company)
        except Exception as exc:  # one company's failure never stops the others' checks
            logger.exception("nightly verification of company %s failed", company.pk)
            report = Report(
                findings=[Finding(None, "registre", f"vérification impossible : {exc}")]
            )
        cache.set(
            f"integrity:{company.pk}:last",
            {"state": "done", "ok": report.ok, "records": report.records,
             "findings": [str(f) for f in report.findings],
             "finished": timezone.now().isoformat()},
            None,
        )  # fmt: skip
        event_record(
            kind=EventKind.INTEGRITY, company=company,
            summary=f"Vérification nocturne : {'intègre' if report.ok else 'ANOMALIES'} "
            f"({report.records} enregistrements)",
        )  # fmt: skip
        if report.ok:
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
            % {"n": len(report.findings)}
            + "\n".join(f"- {f}" for f in report.findings[:100]),
            from_email=None,
            recipient_list=list(owners),
        )
    return failures
