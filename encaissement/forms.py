from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from encaissement.models import Method
from pgi.forms_utils import CleanTextMixin, FrenchDecimalField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PaiementForm(CleanTextMixin, forms.Form):
    """The payment itself; its allocations are the `alloc_<invoice pk>` fields of the page."""

    date = forms.DateField(label=_("Date de l'encaissement"), widget=DateInput())
    amount = FrenchDecimalField(
        label=_("Montant reçu (€)"), max_digits=14, decimal_places=2, min_value=0.01
    )
    method = forms.ChoiceField(label=_("Moyen de paiement"), choices=Method.choices)
    payer = forms.CharField(label=_("Payeur"), max_length=200, required=False)
    reference = forms.CharField(
        label=_("Référence bancaire"), max_length=140, required=False,
        help_text=_("Numéro de chèque, libellé du virement…"),
    )  # fmt: skip
    notes = forms.CharField(label=_("Note"), max_length=500, required=False)
    auto = forms.BooleanField(
        label=_("Affecter le reste aux factures les plus anciennes"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()


class AnnulationForm(CleanTextMixin, forms.Form):
    date = forms.DateField(label=_("Date de l'annulation"), widget=DateInput())
    reason = forms.CharField(
        label=_("Motif"), max_length=500, help_text=_("Chèque impayé, erreur de saisie…")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()


class CompteStripeForm(CleanTextMixin, forms.Form):
    """The company's Stripe account; the secrets are write-only (never shown back)."""

    active = forms.BooleanField(label=_("Proposer le paiement en ligne"), required=False)
    card = forms.BooleanField(label=_("Carte bancaire"), required=False, initial=True)
    sepa_debit = forms.BooleanField(label=_("Prélèvement SEPA"), required=False, initial=True)
    publishable_key = forms.CharField(label=_("Clé publiable"), max_length=200, required=False)
    secret_key = forms.CharField(
        label=_("Clé secrète"), max_length=300, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Laissez vide pour garder la clé enregistrée."),
    )  # fmt: skip
    webhook_secret = forms.CharField(
        label=_("Secret de signature du webhook"), max_length=300, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Laissez vide pour garder le secret enregistré."),
    )  # fmt: skip
