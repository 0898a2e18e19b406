from ninja import Router, Schema

from pgi import registre
from pgi.api import require
from pgi.permissions import Perm

router = Router(tags=["registre"])


class VerificationOut(Schema):
    records: int
    ok: bool
    findings: list[str]


@router.get("/verification", response=VerificationOut, summary="Vérifier l'intégrité du registre")
def verify_registre(request):
    require(request, Perm.INTEGRITY)
    report = registre.verify_chain(request.company)
    return {
        "records": report.records,
        "ok": report.ok,
        "findings": [str(finding) for finding in report.findings],
    }
