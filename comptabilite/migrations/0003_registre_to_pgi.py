"""The inalterable register moves into the kernel (`pgi.models.Registre`, `Enregistrement`).

Its tables stay where they are: only Django's state moves. The append-only trigger is dropped
here and created again by pgi 0003 under the name pgtrigger gives it in its new app.
"""

import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("comptabilite", "0002_cloture"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="enregistrement", name="enregistrement_append_only"
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Enregistrement"),
                migrations.DeleteModel(name="Registre"),
            ],
        ),
    ]
