from django import forms
from django.utils.translation import gettext_lazy as _

from encaissement.releves.formats.csvfile import FIELDS
from encaissement.releves.models import CompteBancaire
from pgi.forms_utils import CleanTextMixin

MAX_UPLOAD = 10 * 1024 * 1024

FIELD_LABELS = {
    "date": _("Date d'opération"),
    "value_date": _("Date de valeur"),
    "label": _("Libellé"),
    "amount": _("Montant (signé)"),
    "debit": _("Débit"),
    "credit": _("Crédit"),
    "reference": _("Référence"),
}
DELIMITERS = [(";", _("point-virgule ( ; )")), (",", _("virgule ( , )")), ("\t", _("tabulation"))]


class CompteForm(CleanTextMixin, forms.Form):
    name = forms.CharField(label=_("Nom du compte"), max_length=100, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)


class ReglagesForm(forms.Form):
    auto_confirm = forms.BooleanField(
        label=_("Confirmer automatiquement les correspondances exactes"),
        required=False,
        help_text=_(
            "Une ligne créditrice qui correspond exactement à une seule facture (numéro ou "
            "référence, ou client, et montant dû) est encaissée dès l'import."
        ),
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier du relevé"),
        help_text=_("CSV, OFX, CAMT.053 (XML) ou CFONB 120, tel que votre banque le fournit."),
    )
    compte = forms.ModelChoiceField(
        label=_("Compte bancaire"), queryset=CompteBancaire.objects.none(), required=False,
        empty_label=_("Celui du fichier (OFX, CAMT, CFONB)"),
    )  # fmt: skip

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compte"].queryset = CompteBancaire.objects.for_company(company)

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD:
            raise forms.ValidationError(_("Fichier trop volumineux (10 Mo au plus)."))
        return file


class MappingForm(forms.Form):
    """Which column holds what, for a CSV file; choices are the file's columns."""

    delimiter = forms.ChoiceField(label=_("Séparateur"), choices=DELIMITERS)
    header = forms.BooleanField(label=_("La première ligne porte les titres"), required=False)

    def __init__(self, *args, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(i), f"{i + 1}. {c}"[:60]) for i, c in enumerate(columns)]
        for field in FIELDS:
            self.fields[field] = forms.TypedChoiceField(
                label=FIELD_LABELS[field], choices=choices, required=False, coerce=int,
                empty_value=None,
            )  # fmt: skip

    def mapping(self) -> dict:
        data = self.cleaned_data
        mapping = {"delimiter": data["delimiter"], "header": data["header"]}
        mapping |= {f: data[f] for f in FIELDS if data.get(f) is not None}
        return mapping


class EcarterForm(CleanTextMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif"), max_length=200,
        help_text=_("Frais bancaires, virement entre vos comptes, remboursement…"),
    )  # fmt: skip
