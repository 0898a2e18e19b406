from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pgi.forms_utils import CleanTextMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ConnexionForm(CleanTextMixin, forms.Form):
    """The company's platform; the secrets are write-only (never shown back)."""

    active = forms.BooleanField(label=_("Transmettre et recevoir par la plateforme"),
                                required=False)  # fmt: skip
    name = forms.CharField(label=_("Nom de la plateforme"), max_length=100, required=False)
    base_url = forms.URLField(
        label=_("Adresse de l'API (XP Z12-013)"), max_length=300, required=False,
        assume_scheme="https", help_text=_("Donnée par votre plateforme, par exemple https://api.plateforme.fr/afnor"),
    )  # fmt: skip
    api_key = forms.CharField(
        label=_("Clé d'API"), max_length=500, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Laissez vide pour garder la clé enregistrée."),
    )  # fmt: skip
    webhook_secret = forms.CharField(
        label=_("Secret de signature des webhooks"), max_length=300, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Laissez vide pour garder le secret enregistré."),
    )  # fmt: skip


class RefusForm(CleanTextMixin, forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), max_length=500)


class PayeeForm(forms.Form):
    day = forms.DateField(label=_("Payée le"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()


class RoutageForm(CleanTextMixin, forms.Form):
    routing_code = forms.CharField(label=_("Code de routage"), max_length=100, required=False)


class PeriodeForm(forms.Form):
    month = forms.DateField(label=_("Mois"), widget=DateInput())
