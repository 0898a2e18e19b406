import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from comptabilite.livres.fec import ENCODINGS, SEPARATORS, FecOptions, fec_exporter
from comptabilite.selectors import period_from_label
from pgi.models import Company


class Command(BaseCommand):
    help = (
        "Exporte le FEC (fichier des écritures comptables, art. A47 A-1 du LPF) de l'exercice "
        "clos l'année AAAA, et sa description, dans le dossier indiqué."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="SIREN de la société")
        parser.add_argument("--year", required=True, help="AAAA : l'année de clôture")
        parser.add_argument("--output", required=True, help="dossier où écrire le FEC")
        parser.add_argument("--separator", choices=list(SEPARATORS), default="tab")
        parser.add_argument("--encoding", choices=list(ENCODINGS), default="iso-8859-15")

    def handle(self, *args, company, year, output, separator, encoding, **options):
        found = Company.objects.filter(siren=company.replace(" ", "")).first()
        if found is None:
            raise CommandError(f"Aucune société de SIREN {company}.")
        if not year.isdigit() or len(year) != 4:
            raise CommandError(f"Année invalide : {year} (AAAA attendu).")
        period = period_from_label(company=found, label=year)
        started = time.perf_counter()
        exported = fec_exporter(
            company=found, start=period.start, end=period.end, output_dir=Path(output),
            user=None, options=FecOptions(separator=separator, encoding=encoding),
        )  # fmt: skip
        self.stderr.write(f"{exported.lines} lignes en {time.perf_counter() - started:.1f} s")
        self.stdout.write(str(exported.path))
