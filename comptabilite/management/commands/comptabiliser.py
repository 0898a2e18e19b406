from django.core.management.base import BaseCommand, CommandError

from comptabilite.livres.services import ecritures_comptabiliser
from pgi.models import Company


class Command(BaseCommand):
    help = (
        "Passe les écritures des factures, avoirs et encaissements scellés qui n'en ont pas "
        "encore (données antérieures aux livres) ; sans effet sur ceux qui en ont."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", help="SIREN de la société (toutes par défaut)")

    def handle(self, *args, company=None, **options):
        companies = Company.objects.order_by("pk")
        if company:
            companies = companies.filter(siren=company.replace(" ", ""))
            if not companies.exists():
                raise CommandError(f"Aucune société de SIREN {company}.")
        for found in companies:
            posted = ecritures_comptabiliser(company=found)
            if posted:
                self.stdout.write(f"{found.siren} : {posted} écriture(s) passée(s)")
