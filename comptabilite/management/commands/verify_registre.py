import time

from django.core.management.base import BaseCommand, CommandError

from pgi.events import events_verify
from pgi.models import Company
from pgi.registre import verify_chain


class Command(BaseCommand):
    help = (
        "Vérifie le registre inaltérable : empreintes, chaînage, trous, fin tronquée, "
        "documents et PDF. Code de sortie 0 si intègre, 1 sinon."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", help="SIREN de la société (toutes par défaut)")
        parser.add_argument(
            "--chain-only", action="store_true", help="ne compare pas les documents ni les PDF"
        )

    def handle(self, *args, company=None, chain_only=False, **options):
        companies = Company.objects.order_by("pk")
        if company:
            companies = companies.filter(siren=company.replace(" ", ""))
            if not companies.exists():
                raise CommandError(f"Aucune société de SIREN {company}.")
        failed = False
        for each in companies:
            started = time.perf_counter()
            report = verify_chain(each, check_documents=not chain_only)
            elapsed = time.perf_counter() - started
            if report.ok:
                self.stdout.write(
                    f"{each.siren or each.pk} {each.display_name} : intègre "
                    f"({report.records} enregistrements, {elapsed:.2f} s)"
                )
                continue
            failed = True
            self.stdout.write(
                f"{each.siren or each.pk} {each.display_name} : "
                f"{len(report.findings)} anomalie(s) sur {report.records} enregistrements"
            )
            for finding in report.findings:
                self.stdout.write(f"  - {finding}")
        if not company:
            event_findings = events_verify()
            if event_findings:
                failed = True
                self.stdout.write(f"Journal des événements : {len(event_findings)} anomalie(s)")
                for finding in event_findings:
                    self.stdout.write(f"  - {finding}")
            else:
                self.stdout.write("Journal des événements : intègre")
        if failed:
            raise SystemExit(1)
