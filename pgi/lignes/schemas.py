"""The API schemas of a document line, generated from `pgi.lignes.spec`.

A document's API names its own schemas and adds its own links, for instance:
    LigneIn = line_in_schema("LigneIn", deposit_id=(int | None, Field(None, description=...)))
"""

from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import create_model

from pgi.lignes.spec import ARTICLE_FIELD_NAMES, LINE_SPEC, LineField
from pgi.schemas import CleanSchema

_ARTICLE_ID = (
    int | None,
    Field(None, description="Article du catalogue : ses valeurs complètent les champs omis"),
)


def _value_type(spec: LineField) -> type:
    return Decimal if spec.is_decimal else str


def _in_field(spec: LineField) -> tuple[Any, Any]:
    options: dict[str, Any] = {}
    if spec.api_description:
        options["description"] = spec.api_description
    if spec.api_max_length is not None:
        options["max_length"] = spec.api_max_length
    # The column's default: a field left out is what the database would have stored.
    default = spec.column.get_default()
    return spec.api_type or _value_type(spec), Field(default, **options)


def _out_field(spec: LineField) -> tuple[Any, Any]:
    if spec.computed:
        return _value_type(spec), Field(..., description=spec.api_description)
    return _value_type(spec), ...


def line_in_schema(name: str, **links: Any) -> type[Schema]:
    """A line as the API takes it: an optional catalogue article, the entered fields (each
    with the column's default), then the document's own links."""
    fields: dict[str, Any] = {"article_id": _ARTICLE_ID}
    fields |= {spec.name: _in_field(spec) for spec in LINE_SPEC if not spec.computed}
    return create_model(name, __base__=CleanSchema, **(fields | links))


def line_out_schema(name: str, **links: Any) -> type[Schema]:
    """A line as the API shows it: its identity and links, then its fields and amounts."""
    fields: dict[str, Any] = {"id": (int, ...), "position": (int, ...)}
    fields |= {"article_id": (int | None, ...), **links}
    fields |= {spec.name: _out_field(spec) for spec in LINE_SPEC}
    return create_model(name, __base__=Schema, **fields)


def article_in_schema(name: str, **extra: Any) -> type[Schema]:
    """A catalogue article as the API takes it: the columns it shares with a line (each with
    the column's default), a designation it cannot leave out, then the app's own fields."""
    fields = {spec.name: _in_field(spec) for spec in LINE_SPEC if spec.name in ARTICLE_FIELD_NAMES}
    fields["designation"] = (str, Field(..., min_length=1, max_length=200))
    return create_model(name, __base__=CleanSchema, **(fields | extra))
