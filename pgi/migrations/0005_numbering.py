# The numbering models, moved from facturation to the kernel: they keep their tables
# (`db_table`) and the column `kind` (`db_column`), so only the migration state changes and
# no SQL runs; the counters and formats in the tables are kept as they are.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pgi", "0004_registre_head_closure"),
        ("facturation", "0005_numbering_to_pgi"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NumberingFormat",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("series", models.CharField(db_column="kind", max_length=8)),
                        (
                            "pattern",
                            models.CharField(
                                help_text="Variables : {annee}, {mois}, {numero} (ex. {numero:05d}).",
                                max_length=60,
                                verbose_name="format",
                            ),
                        ),
                        (
                            "company",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="pgi.company",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "facturation_numberingformat",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("company", "series"), name="numbering_format_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NumberingSeries",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("series", models.CharField(db_column="kind", max_length=8)),
                        (
                            "period",
                            models.CharField(
                                blank=True, help_text="YYYY or YYYYMM: a new series", max_length=6
                            ),
                        ),
                        ("next_number", models.PositiveIntegerField(default=1)),
                        (
                            "company",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="pgi.company",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "série de numérotation",
                        "db_table": "facturation_numberingseries",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("company", "series", "period"), name="series_unique"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
