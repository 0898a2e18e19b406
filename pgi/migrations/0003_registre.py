"""The inalterable register joins the kernel, keeping its tables (see comptabilite 0003)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pgi", "0002_event_log"),
        ("comptabilite", "0003_registre_to_pgi"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Registre",
                    fields=[
                        (
                            "company",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                primary_key=True,
                                serialize=False,
                                to="pgi.company",
                            ),
                        ),
                        ("last_sequence", models.PositiveBigIntegerField(default=0)),
                        ("last_fingerprint", models.CharField(default="", max_length=100)),
                    ],
                    options={
                        "verbose_name": "registre inaltérable",
                        "db_table": "comptabilite_registre",
                    },
                ),
                migrations.CreateModel(
                    name="Enregistrement",
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
                        ("sequence", models.PositiveBigIntegerField()),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("facture", "Facture émise"),
                                    ("avoir", "Avoir émis"),
                                    ("acompte", "Facture d'acompte émise"),
                                    ("pdf", "Empreinte du PDF"),
                                    ("encaissement", "Encaissement"),
                                    ("annulation", "Annulation d'encaissement"),
                                    ("cloture", "Clôture"),
                                    ("archive", "Archive"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("reference", models.CharField(max_length=80)),
                        ("recorded_at", models.DateTimeField()),
                        ("payload", models.BinaryField()),
                        ("previous", models.CharField(max_length=100)),
                        ("fingerprint", models.CharField(max_length=100)),
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
                        "verbose_name": "enregistrement du registre",
                        "db_table": "comptabilite_enregistrement",
                        "ordering": ["company", "sequence"],
                        "indexes": [
                            models.Index(
                                fields=["company", "kind", "reference"],
                                name="comptabilit_company_ea8807_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("company", "sequence"), name="registre_sequence_unique"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
