"""The register head keeps the end of the last closure (pgi 0004): filled from the closures."""

from django.db import migrations

FILL = """
UPDATE comptabilite_registre AS head
SET closed_until = last.period_end, closure_reference = last.reference
FROM (
    SELECT DISTINCT ON (company_id) company_id, period_end, reference
    FROM comptabilite_cloture
    ORDER BY company_id, period_end DESC, closed_at DESC
) AS last
WHERE head.company_id = last.company_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("comptabilite", "0003_registre_to_pgi"),
        ("pgi", "0004_registre_head_closure"),
    ]

    operations = [migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop)]
