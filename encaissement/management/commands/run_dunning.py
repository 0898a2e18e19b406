"""`manage.py run_dunning [--company SIREN] [--date AAAA-MM-JJ]`: the daily dunning by hand,
the same as the Celery beat task; prints what it did per level and the total sent."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from encaissement.models import EtatRelance
from encaissement.relances.services import Rapport, relances_executer
from pgi.models import Company

OUTCOMES = {
    EtatRelance.ENVOYEE: "envoyée(s)",
    EtatRelance.A_IMPRIMER: "lettre(s) à imprimer",
    EtatRelance.ENREGISTREE: "facture(s) passée(s) au recouvrement",
    EtatRelance.REFUSEE: "refusée(s) par le serveur de messagerie",
    "echec": "non envoyée(s), nouvel essai plus tard",
    "deja": "déjà prise(s) par un autre envoi",
}
SKIPPED = {
    "litige": "en litige",
    "promesse": "avec une promesse de paiement en cours",
    "ne_pas_relancer": "de clients à ne pas relancer",
}


class Command(BaseCommand):
    help = "Envoie les relances du jour (une fois par facture et par niveau)."

    def add_arguments(self, parser):
        parser.add_argument("--company", help="SIREN d'une seule société")
        parser.add_argument("--date", help="date du jour simulée, AAAA-MM-JJ")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError("--date attend une date AAAA-MM-JJ.") from exc
        today = today or timezone.localdate()
        companies = Company.objects.order_by("pk")
        if options["company"]:
            companies = companies.filter(siren=options["company"].replace(" ", ""))
            if not companies.exists():
                raise CommandError(f"Aucune société de SIREN {options['company']}.")
        rapport = Rapport()
        for company in companies:
            relances_executer(company=company, today=today, rapport=rapport)
        for level, counts in sorted(rapport.per_level.items()):
            details = ", ".join(
                f"{count} {OUTCOMES.get(outcome, outcome)}" for outcome, count in counts.items()
            )
            self.stdout.write(f"{level} : {details}")
        for reason, count in rapport.skipped.items():
            self.stdout.write(f"factures non relancées {SKIPPED.get(reason, reason)} : {count}")
        self.stdout.write(f"relances envoyées : {rapport.sent}")
