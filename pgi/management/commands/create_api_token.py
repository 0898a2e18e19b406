from django.core.management.base import BaseCommand, CommandError

from pgi.models import Membership
from pgi.services import api_token_create


class Command(BaseCommand):
    help = "Crée un jeton d'API pour EMAIL dans la société --company SIREN et l'affiche une fois."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--company", required=True, help="SIREN de la société")
        parser.add_argument("--name", default="ligne de commande")

    def handle(self, *args, email, company, name, **options):
        membership = (
            Membership.objects.select_related("company")
            .filter(user__email=email.strip().lower(), company__siren=company.replace(" ", ""))
            .first()
        )
        if membership is None:
            raise CommandError(f"{email} n'est membre d'aucune société de SIREN {company}.")
        _token, secret = api_token_create(membership=membership, name=name)
        self.stdout.write(secret)
