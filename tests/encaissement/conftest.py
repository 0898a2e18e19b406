import importlib

import pytest
from django.apps import apps

from encaissement.models import TauxBCE


def ensure_rates() -> None:
    """The rates that migration 0007_relances seeds: a transactional test elsewhere flushes
    every table at its end, seeded rows included, so the tests that need them put them back
    (with the migration's own function and values)."""
    if not TauxBCE.objects.exists():
        migration = importlib.import_module("encaissement.migrations.0007_relances")
        migration.seed_rates(apps, None)


@pytest.fixture(autouse=True)
def _seeded_rates(request):
    if request.node.get_closest_marker("django_db") is not None:
        request.getfixturevalue("_django_db_helper")
        ensure_rates()
