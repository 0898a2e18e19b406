"""The customer picker: a search box over `crm.selectors.client_lister`, for companies with
thousands of customers (a <select> would list them all in every page).

It renders the chosen customer's name and a hidden input with its id; typing asks
`crm:client_picker` for the first matches (htmx), and static/js/app.js makes the list usable
with the keyboard (arrows, Enter, Escape). The form field stays a ModelChoiceField scoped to
the company, which validates the id."""

from django import forms
from django.db.models import QuerySet
from django.urls import reverse


class ClientPicker(forms.Widget):
    template_name = "crm/widgets/client_picker.html"

    def __init__(self, queryset: QuerySet, attrs=None):
        super().__init__(attrs)
        self.queryset = queryset

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = None
        if value not in (None, "") and str(value).isdigit():
            chosen = self.queryset.filter(pk=value).only("pk", "name").first()
        context["widget"].update({"chosen": chosen, "search_url": reverse("crm:client_picker")})
        return context
