"""Bridges between domain errors and Django forms."""

from django import forms

from pgi.exceptions import DomainError


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
