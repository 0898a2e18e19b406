from django import forms
from django.utils.translation import gettext_lazy as _

from encaissement.forms import DateInput
from pgi.forms_utils import CleanTextMixin, FrenchDecimalField


class RelanceForm(CleanTextMixin, forms.Form):
    """The next reminder's text, shown for review before "Relancer maintenant" sends it."""

    subject = forms.CharField(label=_("Objet"), max_length=200, required=False)
    body = forms.CharField(label=_("Texte"), widget=forms.Textarea(attrs={"rows": 14}))


class LitigeForm(CleanTextMixin, forms.Form):
    reason = forms.CharField(label=_("Motif du litige"), max_length=200)
    message = forms.CharField(
        label=_("Détails"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolutionForm(CleanTextMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PromesseForm(CleanTextMixin, forms.Form):
    date = forms.DateField(label=_("Paiement promis le"), widget=DateInput())
    amount = FrenchDecimalField(
        label=_("Montant promis (€)"), max_digits=14, decimal_places=2, min_value=0.01
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
