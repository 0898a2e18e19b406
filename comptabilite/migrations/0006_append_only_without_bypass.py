"""Append-only tables that no session setting can open (issue #23).

django-pgtrigger's triggers obey `pgtrigger.ignore`, a setting any role may give its own
session: the application's role could have skipped them and deleted records of the register.
These plain triggers refuse the same changes and read no setting. Named to fire after
pgtrigger's own (PostgreSQL fires triggers in name order), so the usual refusal message stays
the same. Only the tables' owner can disable them (ALTER TABLE ... DISABLE TRIGGER), and the
application's role owns nothing (pgi/db_roles.py). A migration that must change such rows runs
as the owner and disables the trigger for its own transaction.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION encaisse_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'encaisse: % refused on % (append-only, CGI art. 286-I-3° bis)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
"""

# table -> condition on the old row (None: always)
TABLES = {
    "comptabilite_enregistrement": None,  # the register
    "pgi_evenement": None,  # the technical event log
    "comptabilite_cloture": None,
    "facturation_documentpdf": None,
    "facturation_facture": "OLD.status = 'emise'",  # an issued document never changes
    "encaissement_paiement": None,
    "encaissement_affectation": None,
    "encaissement_imputation": None,
}
NAME = "zz_append_only_no_bypass"


def _create(table: str, condition: str | None) -> str:
    when = f" WHEN ({condition})" if condition else ""
    return (
        f"CREATE TRIGGER {NAME} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW{when} "
        "EXECUTE FUNCTION encaisse_append_only();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("comptabilite", "0005_archive"),
        ("pgi", "0010_event_log_per_company"),
        ("facturation", "0010_facture_list_order_index"),
        ("encaissement", "0004_imputation_avoir"),
    ]

    operations = [
        migrations.RunSQL(
            FUNCTION + "\n".join(_create(t, c) for t, c in TABLES.items()),
            reverse_sql="\n".join(f"DROP TRIGGER IF EXISTS {NAME} ON {t};" for t in TABLES)
            + "\nDROP FUNCTION IF EXISTS encaisse_append_only();",
        ),
    ]
