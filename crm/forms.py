from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Client, Contact
from pgi.forms_utils import CleanTextMixin


class ClientForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Client
        fields = [
            "kind", "status", "name", "siren", "siret", "vat_number", "email", "phone",
            "billing_line1", "billing_line2", "billing_postal_code", "billing_city",
            "billing_country", "delivery_line1", "delivery_line2", "delivery_postal_code",
            "delivery_city", "delivery_country", "payment_terms_days", "notes",
        ]  # fmt: skip
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Identifiers are validated (and normalised) by the service, so that spaces typed
        # by the user ("732 829 320") are accepted; the form only bounds their length.
        for name in ("siren", "siret", "vat_number"):
            field = self.fields[name]
            field.validators = []
            field.max_length = 30
            field.widget.attrs["maxlength"] = 30
        self.fields["siren"].widget.attrs["inputmode"] = "numeric"
        self.fields["siret"].widget.attrs["inputmode"] = "numeric"

    def _post_clean(self):
        # Model validation runs in the service (crm.services.client_valider).
        pass


class ContactForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "job_title", "email", "phone", "mobile", "is_primary"]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_(
            "Séparateur « ; » ou « , », encodage UTF-8 ou Windows-1252, une ligne d'en-tête."
        ),
    )
