from django import forms
from django.utils.translation import gettext_lazy as _

from encaissement.forms import DateInput
from encaissement.models import NatureNiveau, NiveauRelance, ScenarioRelance
from encaissement.relances.scenario import unknown_variables
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


class ScenarioForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = ScenarioRelance
        fields = ["name", "penalty_mode"]


class NiveauForm(CleanTextMixin, forms.ModelForm):
    """One level: its delay, channel and French texts with `{variables}` (scenario.VARIABLES)."""

    class Meta:
        model = NiveauRelance
        fields = ["name", "delay_days", "channel", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def clean(self):
        cleaned = super().clean()
        for field in ("subject", "body"):
            unknown = unknown_variables(cleaned.get(field) or "")
            if unknown:
                self.add_error(
                    field,
                    _("Variables inconnues : %(v)s.")
                    % {"v": ", ".join("{" + v + "}" for v in unknown)},
                )
        delay = cleaned.get("delay_days")
        if delay is not None and delay < 1 and self.instance.nature != NatureNiveau.COURTOISIE:
            # "Overdue" wording never goes out before the due date.
            self.add_error(
                "delay_days", _("Seul le rappel avant échéance peut précéder l'échéance.")
            )
        return cleaned


NiveauFormSet = forms.modelformset_factory(NiveauRelance, form=NiveauForm, extra=0)
