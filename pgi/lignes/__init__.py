"""A line of a commercial document, declared once for quotes, invoices and credit notes.

- `pgi.lignes.models`: the columns (`LigneDocument`, abstract) and their choices;
- `pgi.lignes.spec`: one description of the fields, and what derives from it: catalogue
  defaults, validation, the frozen snapshot, the recurring-template JSON;
- `pgi.lignes.schemas`: the API schemas; `pgi.lignes.forms`: the line editor's form and
  formset (its template: `templates/includes/line_editor.html`).

Totals come from `pgi.totals`, which any `LigneDocument` feeds as it is.
"""

from pgi.lignes.models import (
    VAT_RATE_CHOICES,
    ChampsArticle,
    LigneDocument,
    Nature,
    Unit,
    VatRate,
)
from pgi.lignes.spec import (
    ARTICLE_FIELD_NAMES,
    LINE_FIELD_NAMES,
    LINE_SPEC,
    LineField,
    line_amounts,
    line_from_json,
    line_json,
    line_problems,
    line_snapshot,
    line_values,
    with_article_defaults,
)

__all__ = [
    "ARTICLE_FIELD_NAMES", "LINE_FIELD_NAMES", "LINE_SPEC", "VAT_RATE_CHOICES", "ChampsArticle",
    "LigneDocument",
    "LineField", "Nature", "Unit", "VatRate", "line_amounts", "line_from_json", "line_json",
    "line_problems", "line_snapshot", "line_values", "with_article_defaults",
]  # fmt: skip
