"""The document line declared once (pgi.lignes): what derives from its one description."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django import forms

from facturation.models import LigneFacture
from pgi.lignes import (
    ARTICLE_FIELD_NAMES,
    LINE_FIELD_NAMES,
    LINE_SPEC,
    LigneDocument,
    Nature,
    Unit,
    line_from_json,
    line_json,
    line_problems,
    line_snapshot,
    with_article_defaults,
)
from pgi.lignes.forms import BaseLigneFormSet, LigneDocumentForm
from pgi.lignes.schemas import line_in_schema, line_out_schema
from pgi.totals import line_totals


def test_the_spec_describes_every_column_of_a_document_line_and_nothing_else():
    columns = {f.name for f in LigneDocument._meta.get_fields()}
    assert set(LINE_FIELD_NAMES) == columns and len(LINE_FIELD_NAMES) == len(columns)
    amounts = [f.name for f in LINE_SPEC if f.computed]
    assert amounts == ["allowance", "net"]
    assert all(hasattr(line_totals(quantity=1, unit_price=1), name) for name in amounts)


def test_an_invoice_line_is_a_document_line_with_its_own_links():
    own = {f.name for f in LigneFacture._meta.get_fields() if f.concrete} - set(LINE_FIELD_NAMES)
    assert own == {"id", "company", "facture", "position", "article", "origin_line", "deposit"}


def test_a_catalogue_article_has_the_columns_a_line_takes_from_it_declared_once():
    from facturation.models import Article

    own = {f.name for f in Article._meta.get_fields() if f.concrete} - set(ARTICLE_FIELD_NAMES)
    assert own == {"id", "company", "active"}
    assert set(ARTICLE_FIELD_NAMES) == set(LINE_FIELD_NAMES) - {"quantity", "discount_rate"}
    for name in ARTICLE_FIELD_NAMES:  # the same column, not a copy of it
        assert Article._meta.get_field(name).max_length == (
            LigneFacture._meta.get_field(name).max_length
        )


def test_an_article_fills_only_the_fields_a_line_leaves_out():
    article = SimpleNamespace(
        designation="Forfait", description="Mise en service", unit=Unit.FLAT,
        unit_price=Decimal("80.0000"), vat_rate=Decimal("0.00"),
        vat_exemption_reason="Art. 261-4-4° du CGI", nature=Nature.GOODS,
    )  # fmt: skip
    line = with_article_defaults({"designation": "Forfait spécial", "quantity": 2}, article)
    assert line == {
        "designation": "Forfait spécial", "description": "Mise en service", "unit": "forfait",
        "unit_price": Decimal("80.0000"), "vat_rate": Decimal("0.00"),
        "vat_exemption_reason": "Art. 261-4-4° du CGI", "nature": "bien", "quantity": 2,
    }  # fmt: skip


def _line(**fields) -> LigneFacture:
    values = {
        "designation": "Conseil", "quantity": Decimal("2.500"), "unit": "heure",
        "unit_price": Decimal("1E+2"), "discount_rate": Decimal("10.00"),
        "vat_rate": Decimal("20.00"), "nature": "service",
    }  # fmt: skip
    return LigneFacture(**(values | fields))


def test_a_snapshot_freezes_fields_and_amounts_with_decimals_as_fixed_point_strings():
    line = _line()
    totals = line_totals(
        quantity=line.quantity, unit_price=line.unit_price, discount_rate=line.discount_rate
    )
    assert line_snapshot(line, totals) == {
        "designation": "Conseil", "description": "", "quantity": "2.500", "unit": "heure",
        "unit_price": "100", "discount_rate": "10.00", "vat_rate": "20.00",
        "vat_exemption_reason": "", "nature": "service", "allowance": "25.00", "net": "225.00",
    }  # fmt: skip


def test_a_recurring_template_line_reads_back_as_the_line_it_was():
    line = _line(unit_price=Decimal("12.3400"))
    stored = line_json(line)
    assert stored["unit_price"] == "12.3400" and stored["unit"] == "heure"
    assert line_from_json(stored) == {name: getattr(line, name) for name in LINE_FIELD_NAMES}


def test_each_invalid_field_of_a_line_is_one_problem_naming_the_line():
    line = _line(designation="", unit_price=Decimal("-1"), discount_rate=Decimal("101"))
    problems = line_problems(line, position=3)
    assert len(problems) == 3
    assert problems[0].startswith("Ligne 3, désignation : ")
    assert problems[1].startswith("Ligne 3, prix unitaire HT : ")
    assert problems[2].startswith("Ligne 3, remise (%) : ")
    assert line_problems(_line(), position=1) == []


def test_the_api_takes_a_line_with_the_columns_defaults_and_shows_its_amounts():
    line_in = line_in_schema("LigneTestIn", extra_id=(int | None, None))
    entered = line_in(designation="Conseil")
    assert entered.quantity == Decimal("1") and entered.unit_price == Decimal("0")
    assert entered.vat_rate == Decimal("20.00") and entered.unit == Unit.UNIT
    assert entered.nature == Nature.SERVICE and entered.article_id is None
    assert list(line_in.model_fields)[-1] == "extra_id"
    assert not {"allowance", "net"} & set(line_in.model_fields)
    line_out = line_out_schema("LigneTestOut")
    assert list(line_out.model_fields)[:3] == ["id", "position", "article_id"]
    assert {"allowance", "net"} <= set(line_out.model_fields)
    with pytest.raises(ValueError, match="max_length|at most 200"):
        line_in(designation="x" * 201)


class Row(LigneDocumentForm):
    """The editor row of a document whose lines have no links of their own."""

    class Meta(LigneDocumentForm.Meta):
        model = LigneFacture


def test_a_document_editor_row_shows_the_spec_widgets():
    form = Row()
    assert list(form.fields) == list(LINE_FIELD_NAMES)
    assert not form.fields["discount_rate"].required
    assert isinstance(form.fields["description"].widget, forms.Textarea)
    assert form.fields["vat_exemption_reason"].widget.attrs["placeholder"].startswith("Motif")
    assert form.fields["unit_price"].widget.attrs["inputmode"] == "decimal"


def test_the_editor_totals_count_the_rows_as_entered_except_those_removed():
    formset_class = forms.formset_factory(Row, formset=BaseLigneFormSet, can_delete=True)
    row = {"designation": "A", "quantity": "2", "unit": "heure", "unit_price": "10",
           "discount_rate": "", "vat_rate": "20.00", "nature": "service"}  # fmt: skip
    data = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "0"}
    data |= {f"form-0-{k}": v for k, v in row.items()}
    data |= {f"form-1-{k}": v for k, v in row.items()} | {"form-1-DELETE": "on"}
    totals = formset_class(data).totals()
    assert totals is not None and totals.total_incl_vat == Decimal("24.00")
    assert len(totals.lines) == 1
    assert formset_class().totals() is None  # nothing entered yet: the saved lines' totals


@pytest.mark.parametrize(
    ("typed", "read"),
    [("29,90", "29.90"), ("1 234,50", "1234.50"), ("1\u202f234,50", "1234.50"),
     ("1 234.50", "1234.50"), ("1.234,50", "1234.50"), ("1,234.50", "1234.50"), ("12", "12")],
)  # fmt: skip
def test_an_amount_is_read_the_french_way_in_the_line_editor(typed, read):
    """Issue #15: "29,90" in a French browser's number input was sealed as 2990."""
    form = Row(
        data={"designation": "Livre", "quantity": "1,5", "unit": "unité", "unit_price": typed,
              "vat_rate": "20.00", "nature": "service"},
    )  # fmt: skip
    assert form.is_valid(), form.errors
    assert form.cleaned_data["unit_price"] == Decimal(read)
    assert form.cleaned_data["quantity"] == Decimal("1.5")
    assert 'type="number"' not in str(form["unit_price"])  # a text input: the comma stays
