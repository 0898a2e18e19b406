"""One description of a document line's fields; the API, the editor and the snapshot follow.

`LINE_SPEC` lists, in display order, the fields of `LigneDocument` and the two amounts the
totals engine computes for a line. For each it says only what the column cannot:
- `computed`: an amount of `pgi.totals` (shown and sealed, never entered);
- `api_type`, `api_description`, `api_max_length`: how the API takes it, where they differ
  from the column's (an enum rather than text; a description where a field is entered, or
  where an amount is shown);
- `widget`, `placeholder`, `required`: its input in the line editor.
Its label, default and validation stay on the column. Its frozen form (sealed in the
register, kept in recurring-invoice templates) follows from its type: decimals as fixed-point
strings, text as it is.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pgi.lignes.models import ChampsArticle, LigneDocument, Nature, Unit
from pgi.totals import LineTotals


@dataclass(frozen=True)
class LineField:
    name: str
    computed: bool = False
    api_type: type | None = None
    api_description: str = ""
    api_max_length: int | None = None
    widget: forms.Widget | None = None
    placeholder: str | Promise = ""
    required: bool = True

    @property
    def column(self) -> models.Field:
        """The model column of an entered field."""
        return _column(LigneDocument, self.name)

    @property
    def is_decimal(self) -> bool:
        if self.computed:
            return True  # every amount of the totals engine is a Decimal
        return isinstance(self.column, models.DecimalField)


def _column(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):  # a reverse relation: never a line's own field
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


_NUMBER = {"inputmode": "decimal", "autocomplete": "off"}  # French input: pgi.forms_utils
# The page's list of standard exemption wordings (pgi.mentions), {% vat_exemption_datalist %}.
VAT_EXEMPTION_LIST = "vat-exemption-wordings"

LINE_SPEC: tuple[LineField, ...] = (
    LineField("designation", api_max_length=200),
    LineField("description", widget=forms.Textarea(attrs={"rows": 1}),
              placeholder=gettext_lazy("Description (facultatif)")),
    LineField("quantity", widget=forms.TextInput(attrs=_NUMBER)),
    LineField("unit", api_type=Unit),
    LineField("unit_price", api_description="Prix unitaire HT (€)",
              widget=forms.TextInput(attrs=_NUMBER)),
    LineField("discount_rate", api_description="Remise en %", required=False,
              widget=forms.TextInput(attrs=_NUMBER)),
    LineField("allowance", computed=True, api_description="Montant de la remise"),
    LineField("net", computed=True, api_description="Montant net HT de la ligne"),
    LineField("vat_rate", api_description="20.00, 10.00, 5.50, 2.10 ou 0.00"),
    LineField("vat_exemption_reason", api_description="Obligatoire à 0 %",
              widget=forms.TextInput(attrs={"list": VAT_EXEMPTION_LIST}),
              placeholder=gettext_lazy("Motif d'exonération (si 0 %)")),
    LineField("nature", api_type=Nature),
)  # fmt: skip

# The fields a line is entered with, and those a catalogue article has (`ChampsArticle`),
# which it supplies when a line leaves them out.
LINE_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in LINE_SPEC if not f.computed)
_ARTICLE_COLUMNS = {field.name for field in ChampsArticle._meta.fields}
ARTICLE_FIELD_NAMES: tuple[str, ...] = tuple(n for n in LINE_FIELD_NAMES if n in _ARTICLE_COLUMNS)
_DECIMALS = frozenset(f.name for f in LINE_SPEC if f.is_decimal)


def _json_value(name: str, value: Any) -> Any:
    # Fixed-point strings: exact, and stable across serialisations (never 1E+1).
    return format(Decimal(value), "f") if name in _DECIMALS else value


def line_values(line: Any) -> dict[str, Any]:
    """The entered fields of a line (a model instance or any object that has them)."""
    return {name: getattr(line, name) for name in LINE_FIELD_NAMES}


def line_amounts(totals: LineTotals) -> dict[str, Decimal]:
    """The amounts of a line, from the totals engine: allowance (BT-136) and net (BT-131)."""
    return {f.name: getattr(totals, f.name) for f in LINE_SPEC if f.computed}


def line_json(line: Any) -> dict[str, Any]:
    """The entered fields of a line as JSON values, as a recurring-invoice template keeps them."""
    return {name: _json_value(name, value) for name, value in line_values(line).items()}


def line_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """The reverse of `line_json`: the decimals back to `Decimal`."""
    return {name: Decimal(value) if name in _DECIMALS else value for name, value in data.items()}


def line_snapshot(line: Any, totals: LineTotals) -> dict[str, Any]:
    """A line as an issued document freezes it: its fields and its amounts, as JSON values."""
    amounts = {name: _json_value(name, value) for name, value in line_amounts(totals).items()}
    return line_json(line) | amounts


def with_article_defaults(fields: dict[str, Any], article: Any) -> dict[str, Any]:
    """A line's fields, completed by the catalogue article's for the fields it leaves out."""
    return {name: getattr(article, name) for name in ARTICLE_FIELD_NAMES} | fields


def line_problems(line: LigneDocument, *, position: int) -> list[str]:
    """What is wrong with a line's entered fields, one message per problem, naming the line."""
    exclude = [f.name for f in line._meta.fields if f.name not in LINE_FIELD_NAMES]
    try:
        line.full_clean(exclude=exclude)
    except ValidationError as exc:
        problems: list[str] = []
        for field, messages in exc.message_dict.items():
            label = _column(type(line), field).verbose_name if field != "__all__" else ""
            problems.extend(
                _("Ligne %(n)d, %(f)s : %(m)s") % {"n": position, "f": label, "m": m}
                for m in messages
            )
        return problems
    return []
