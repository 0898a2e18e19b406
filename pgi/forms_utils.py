"""Bridges between domain errors and Django forms."""

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
