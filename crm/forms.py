from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.models import Activite, Client, Contact, Etape, Opportunite
from crm.widgets import ClientPicker
from pgi.forms_utils import CleanTextMixin, FrenchDecimalField
from pgi.models import User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _members(company) -> QuerySet[User]:
    return User.objects.filter(memberships__company=company, is_active=True).order_by("email")


class ClientForm(CleanTextMixin, forms.ModelForm):
    tags = SimpleArrayField(
        forms.CharField(max_length=40), label=_("Étiquettes"), required=False,
        help_text=_("Séparées par des virgules."),
    )  # fmt: skip

    class Meta:
        model = Client
        fields = [
            "kind", "status", "name", "siren", "siret", "vat_number", "legal_form", "naf_code",
            "email", "phone", "billing_line1", "billing_line2", "billing_postal_code",
            "billing_city", "billing_country", "delivery_line1", "delivery_line2",
            "delivery_postal_code", "delivery_city", "delivery_country", "payment_terms_days",
            "notes", "source", "tags", "owner",
        ]  # fmt: skip
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)
        if company is not None:
            self.fields["owner"].queryset = _members(company)
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


class EtapeForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Etape
        fields = ["name", "position", "probability", "is_won", "is_lost"]

    def _post_clean(self):
        pass  # the service validates (crm.pipeline.etape_enregistrer)


class OpportuniteForm(CleanTextMixin, forms.ModelForm):
    amount = FrenchDecimalField(label=_("Montant HT"), max_digits=14, decimal_places=2, min_value=0)

    class Meta:
        model = Opportunite
        fields = [
            "title", "client", "amount", "expected_close_date", "etape", "probability_override",
            "owner", "next_action", "next_action_date",
        ]  # fmt: skip
        widgets = {"expected_close_date": DATE, "next_action_date": DATE}

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        clients = Client.objects.for_company(company).order_by("name")
        self.fields["client"].queryset = clients
        self.fields["client"].widget = ClientPicker(queryset=clients)
        self.fields["etape"].queryset = Etape.objects.for_company(company)
        self.fields["etape"].required = False
        self.fields["owner"].queryset = _members(company)

    def _post_clean(self):
        pass  # the service validates (crm.pipeline)


class PerteForm(forms.Form):
    reason = forms.CharField(label=_("Motif de la perte"), max_length=300)


class ActiviteForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Activite
        fields = ["kind", "subject", "body", "client", "opportunite", "due_date", "assignee"]
        widgets = {"due_date": DATE, "body": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        clients = Client.objects.for_company(company).order_by("name")
        self.fields["client"].queryset = clients
        self.fields["client"].widget = ClientPicker(queryset=clients)
        self.fields["opportunite"].queryset = Opportunite.objects.for_company(company)
        self.fields["assignee"].queryset = _members(company)

    def _post_clean(self):
        pass  # the service validates (crm.pipeline.activite_creer)
