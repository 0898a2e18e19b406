from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from comptabilite.archives import archive_exporter
from comptabilite.exceptions import ComptabiliteError
from pgi.models import Company


class Command(BaseCommand):
    help = (
        "Exporte l'archive signée d'une période clôturée (AAAA pour l'exercice clos cette "
        "année-là, AAAA-MM pour un mois) ; l'opération est scellée dans le registre."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="SIREN de la société")
        parser.add_argument("--period", required=True, help="AAAA ou AAAA-MM")
        parser.add_argument("--output", required=True, help="dossier où écrire l'archive")

    def handle(self, *args, company, period, output, **options):
        found = Company.objects.filter(siren=company.replace(" ", "")).first()
        if found is None:
            raise CommandError(f"Aucune société de SIREN {company}.")
        try:
            path = archive_exporter(company=found, period=period, output_dir=Path(output))
        except ComptabiliteError as exc:
            raise CommandError(" ".join(exc.problems)) from exc
        self.stdout.write(str(path))
