"""`manage.py import_bank_statement --company SIREN [--account IBAN] FILE` (issue #16)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from encaissement.releves import services
from encaissement.releves.formats import csvfile
from encaissement.releves.models import CompteBancaire, Format
from pgi.exceptions import DomainError
from pgi.models import Company


class Command(BaseCommand):
    help = (
        "Importe un relevé bancaire (CSV, OFX, CAMT.053 ou CFONB 120) dans la société "
        "--company SIREN ; la dernière ligne donne les nombres de lignes importées, de "
        "doublons et de lignes rapprochées."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier du relevé")
        parser.add_argument("--company", required=True, help="SIREN de la société")
        parser.add_argument("--account", default="", help="IBAN du compte (requis en CSV)")

    def handle(self, *args, file, company, account, **options):
        found = Company.objects.filter(siren=company.replace(" ", "")).first()
        if found is None:
            raise CommandError(f"Aucune société de SIREN {company}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        try:
            with transaction.atomic():
                services.compte_initial(found)
                compte = None
                if account:
                    iban = services.normalize_iban(account)
                    compte = CompteBancaire.objects.for_company(found).filter(iban=iban).first()
                    if compte is None:
                        raise CommandError(
                            f"{iban} n'est pas un compte bancaire de {found.display_name}."
                        )
                releve = services.releve_deposer(
                    company=found, user=None, filename=path.name, content=path.read_bytes(),
                    compte=compte,
                )  # fmt: skip
                mapping = None
                if releve.format == Format.CSV and not (compte and compte.csv_mapping):
                    rows, delimiter = csvfile.read_rows(bytes(releve.content))
                    mapping = csvfile.guess_mapping(rows, delimiter)
                releve = services.releve_importer(releve=releve, user=None, mapping=mapping)
        except DomainError as exc:
            raise CommandError(" ".join(exc.problems)) from exc
        self.stdout.write(f"{releve.filename} ({releve.get_format_display()}) → {releve.compte}")
        self.stdout.write(
            f"importées : {releve.imported} · doublons : {releve.duplicates} · "
            f"rapprochées : {releve.matched}"
        )
