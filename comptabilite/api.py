from ninja import Router, Schema

from comptabilite.livres.api import router as livres_router
from comptabilite.tasks import company_verify
from pgi.api import require
from pgi.permissions import Perm

router = Router(tags=["registre"])


class VerificationOut(Schema):
    records: int
    events: int
    ok: bool
    findings: list[str]


@router.get("/verification", response=VerificationOut, summary="Vérifier l'intégrité du registre")
def verify_registre(request):
    require(request, Perm.INTEGRITY)
    report, events = company_verify(request.company)
    findings = report.findings + events.findings
    return {
        "records": report.records,
        "events": events.events,
        "ok": not findings,
        "findings": [str(finding) for finding in findings],
    }


__all__ = ["livres_router", "router"]
