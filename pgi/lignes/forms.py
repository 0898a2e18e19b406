"""The line editor: one form per row, a formset for the table.

The template is `templates/includes/line_editor.html`; `static/js/app.js` adds rows and fills
a row from the catalogue. A document's form names its model and adds its links, e.g.
    class LigneForm(LigneDocumentForm):
        class Meta(LigneDocumentForm.Meta):  # keeps the French amount fields
            model = LigneFacture
            fields = ["article", *LINE_FIELD_NAMES, "deposit"]
            widgets = {**LigneDocumentForm.Meta.widgets, "deposit": forms.HiddenInput}
"""

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pgi.forms_utils import CleanTextMixin, FrenchDecimalField
from pgi.lignes.models import VAT_RATE_CHOICES
from pgi.lignes.spec import LINE_FIELD_NAMES, LINE_SPEC
from pgi.totals import Totals, compute_totals


class LigneDocumentForm(CleanTextMixin, forms.ModelForm):
    # The document's own visible columns, shown after the shared ones (a quote's category
    # and option box); the document's links stay hidden fields of the row.
    doc_fields: tuple[str, ...] = ()

    vat_rate = forms.TypedChoiceField(
        label=_("TVA"), choices=VAT_RATE_CHOICES, coerce=Decimal, initial=Decimal("20.00")
    )

    class Meta:
        fields = LINE_FIELD_NAMES
        widgets = {spec.name: spec.widget for spec in LINE_SPEC if spec.widget is not None}
        # Amounts and quantities typed the French way ("29,90", "1 234,50").
        field_classes = {
            spec.name: FrenchDecimalField
            for spec in LINE_SPEC
            if not spec.computed and spec.is_decimal and spec.name != "vat_rate"
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        placeholders = {}
        for spec in LINE_SPEC:
            if spec.name not in self.fields:
                continue
            field = self.fields[spec.name]
            if not spec.required:
                field.required = False
            if spec.placeholder:
                placeholders[spec.name] = spec.placeholder
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")
            widget.attrs.setdefault("aria-label", str(field.label))
            if name in placeholders:
                widget.attrs["placeholder"] = placeholders[name]
        if "article" in self.fields:  # a catalogue article fills the row (static/js/app.js)
            article = self.fields["article"]
            article.required = False
            article.empty_label = _("— libre —")
            article.widget.attrs["data-article-select"] = ""

    @property
    def doc_columns(self) -> list[forms.BoundField]:
        return [self[name] for name in self.doc_fields]

    def _post_clean(self):
        pass  # the document's service validates the lines, all at once


class BaseLigneFormSet(forms.BaseFormSet):
    def line_data(self) -> list[dict[str, Any]]:
        """The kept lines, in order, as dicts for the document's service."""
        lines = []
        deleted = self.deleted_forms
        for index, form in enumerate(self.forms):
            if form in deleted:
                continue
            if index >= self.initial_form_count() and not form.has_changed():
                continue  # an added row left blank
            data = {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            article = data.get("article")
            if article is not None and not data.get("designation"):
                data["designation"] = article.designation
            lines.append(data)
        return lines

    def counts_in_total(self, data: dict[str, Any]) -> bool:
        """Whether a row as entered is in the document's total (a quote's option is not)."""
        return True

    def totals(self) -> Totals | None:
        """The live totals of the rows as entered (the shared engine, nothing saved)."""
        lines = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                form.is_valid()
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or data.get("quantity") is None or data.get("unit_price") is None:
                continue
            if not self.counts_in_total(data):
                continue
            lines.append(
                SimpleNamespace(
                    quantity=data["quantity"], unit_price=data["unit_price"],
                    discount_rate=data.get("discount_rate") or 0, vat_rate=data["vat_rate"],
                )
            )  # fmt: skip
        if self.is_bound:
            return compute_totals(lines)
        return None
