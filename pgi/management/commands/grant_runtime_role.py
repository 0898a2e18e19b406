from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from pgi.db_roles import grant_runtime_role


class Command(BaseCommand):
    help = (
        "Donne au rôle d'exécution ROLE les lignes des tables (lire, écrire, jamais TRUNCATE ni "
        "ALTER), celles d'aujourd'hui et celles des migrations à venir. À lancer par le rôle "
        "propriétaire (DATABASE_URL du propriétaire), avant migrate ; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="le rôle PostgreSQL de l'application (encaisse_app)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, role, database, **options):
        with connections[database].cursor() as cursor:
            granted = grant_runtime_role(cursor, role=role)
        if not granted:
            self.stdout.write(f"{role} est le rôle connecté lui-même : rien à accorder.")
