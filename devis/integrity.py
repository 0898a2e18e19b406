"""What the register's verification (`pgi.registre`) checks of quote acceptances, registered
at start-up (`DevisConfig.ready`): each sealed acceptance against the live evidence row, and
every acceptance against its record."""

from devis.models import Acceptation
from pgi.models import Company
from pgi.registre import Finding, SealedDocument, register_coverage_check, register_document_check

RECORD_KIND = "accord_devis"  # the record kind of an acceptance (devis.services seals it)
EVIDENCE = ("name", "ip", "user_agent", "pdf_sha256", "consent_text", "options")


def _live(company: Company) -> dict[str, Acceptation]:
    rows = Acceptation.objects.filter(company=company).select_related("devis")
    return {row.devis.reference: row for row in rows}


@register_document_check(RECORD_KIND)
def check_acceptances(company: Company, sealed: list[SealedDocument]) -> list[Finding]:
    live = _live(company)
    findings = []
    for record in sealed:
        row = live.get(record.reference)
        if row is None:
            findings.append(Finding(record.sequence, record.reference, "acceptation introuvable"))
            continue
        changed = [name for name in EVIDENCE if getattr(row, name) != record.doc.get(name)]
        if changed:
            findings.append(
                Finding(record.sequence, record.reference,
                        f"acceptation modifiée : {', '.join(changed)}")
            )  # fmt: skip
    return findings


@register_coverage_check
def check_every_acceptance_is_sealed(
    company: Company, sealed: set[tuple[str, str]]
) -> list[Finding]:
    return [
        Finding(None, reference, "acceptation absente du registre (enregistrement supprimé ?)")
        for reference in _live(company)
        if (RECORD_KIND, reference) not in sealed
    ]
