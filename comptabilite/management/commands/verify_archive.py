from django.core.management.base import BaseCommand

from comptabilite.archives import archive_verifier


class Command(BaseCommand):
    help = (
        "Vérifie une archive seule, sans la base de données : signature Ed25519 du manifeste, "
        "présence et SHA-256 de chaque fichier, aucun fichier en trop, chaînage de la tranche "
        "du registre. Code de sortie 0 si intègre, 1 sinon."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="l'archive .zip")
        parser.add_argument(
            "--public-key", help="clé publique Ed25519 attendue (hexadécimal, 64 caractères)"
        )

    def handle(self, *args, file, public_key=None, **options):
        report = archive_verifier(file, public_key=public_key)
        if report.ok:
            self.stdout.write(
                f"{file} : intègre ({report.files} fichiers, {report.records} enregistrements, "
                f"signature Ed25519 valide, clé {report.public_key})"
            )
            return
        self.stdout.write(f"{file} : {len(report.problems)} anomalie(s)")
        for problem in report.problems:
            self.stdout.write(f"  - {problem}")
        raise SystemExit(1)
