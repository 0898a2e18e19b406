# The numbering models moved to the kernel (pgi.models, see pgi/migrations/0003_numbering.py).
# Only the migration state changes: the tables, their rows and constraints stay as they are.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("facturation", "0004_recurring"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="NumberingFormat"),
                migrations.DeleteModel(name="NumberingSeries"),
            ],
            database_operations=[],
        ),
    ]
