"""Bridges between domain errors and Django forms."""

from decimal import Decimal

from django import forms

from pgi.exceptions import DomainError
from pgi.text import clean_strings, clean_text


class CleanTextMixin:
    """Every text a form takes leaves it without control characters (`pgi.text`)."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            field = self.fields.get(name)
            if isinstance(value, str) and field is not None:
                single_line = not isinstance(field.widget, forms.Textarea)
                cleaned[name] = clean_text(value, single_line=single_line)
            else:
                cleaned[name] = clean_strings(value)
        return cleaned


def add_domain_errors(form: forms.BaseForm, error: DomainError) -> None:
    """Puts each problem on its field when the form has it, else on the form itself."""
    placed = set()
    for field, messages in error.field_errors.items():
        for message in messages:
            placed.add(message)
            form.add_error(field if field in form.fields else None, message)
    for message in error.problems:
        if message not in placed:
            form.add_error(None, message)


def french_number(text: str) -> str:
    """`29,90`, `1 234,50`, `1 234.50`, `1.234,50` → `29.90`, `1234.50`...: what a French
    user types, as Decimal reads it. A lone comma or a lone dot is the decimal separator; with
    both, the last one is; spaces (no-break ones too) group thousands."""
    for space in (" ", "\u00a0", "\u202f", "'"):
        text = text.replace(space, "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    return text.replace(",", ".")


class FrenchDecimalField(forms.DecimalField):
    """An amount or a quantity typed the French way, shown back the French way.

    A text input, not `type=number`: a French browser drops the comma of "29,90" from a number
    input, and the price was read as 2990 (issue #15)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str):
            value = french_number(value.strip())
        return super().to_python(value)

    def prepare_value(self, value):
        return french_input(value)


def french_input(value):
    """A Decimal as a French user types it back in a form (`29,9`, `1234`); text unchanged."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",")
    return value
