import time

from django.core.management.base import BaseCommand, CommandError

from pgi.events import events_verify
from pgi.models import Company
from pgi.registre import verify_chain


class Command(BaseCommand):
    help = (
        "Vérifie le registre inaltérable et le journal des événements de chaque société "
        "(puis celui des événements hors société) : empreintes, chaînage, trous, fin "
        "tronquée, documents et PDF. Code de sortie 0 si intègre, 1 sinon."
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
            events = events_verify(each)
            elapsed = time.perf_counter() - started
            findings = report.findings + events.findings
            counts = f"{report.records} enregistrements, {events.events} événements"
            if not findings:
                self.stdout.write(
                    f"{each.siren or each.pk} {each.display_name} : intègre "
                    f"({counts}, {elapsed:.2f} s)"
                )
                continue
            failed = True
            self.stdout.write(
                f"{each.siren or each.pk} {each.display_name} : "
                f"{len(findings)} anomalie(s) sur {counts}"
            )
            for finding in findings:
                self.stdout.write(f"  - {finding}")
        if not company:
            site = events_verify(None)
            if site.ok:
                self.stdout.write(
                    f"Journal des événements hors société : intègre ({site.events} événements)"
                )
            else:
                failed = True
                self.stdout.write(
                    f"Journal des événements hors société : {len(site.findings)} anomalie(s)"
                )
                for finding in site.findings:
                    self.stdout.write(f"  - {finding}")
        if failed:
            raise SystemExit(1)
