from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from crm.widgets import ClientPicker
from devis.models import Categorie, Devis, LigneDevis, ParametresDevis, Statut
from facturation.models import Article
from pgi.forms_utils import CleanTextMixin, FrenchDecimalField
from pgi.lignes import LINE_FIELD_NAMES
from pgi.lignes.forms import BaseLigneFormSet, LigneDocumentForm

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TEXT = forms.Textarea(attrs={"rows": 2})


class DevisForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Devis
        fields = [
            "client", "subject", "validity_days", "start_date", "duration", "deposit_percent",
            "deposit_amount", "payment_terms", "execution_terms", "after_sales_terms",
            "price_revision_terms", "is_paid_quote", "quote_price", "cgv", "notes",
        ]  # fmt: skip
        widgets = {
            "start_date": _DATE, "payment_terms": _TEXT, "execution_terms": _TEXT,
            "after_sales_terms": _TEXT, "price_revision_terms": _TEXT, "cgv": _TEXT,
            "notes": _TEXT,
        }  # fmt: skip
        field_classes = {
            "deposit_percent": FrenchDecimalField, "deposit_amount": FrenchDecimalField,
            "quote_price": FrenchDecimalField,
        }  # fmt: skip

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        clients = Client.objects.for_company(company).order_by("name")
        self.fields["client"].queryset = clients
        self.fields["client"].widget = ClientPicker(queryset=clients)

    def _post_clean(self):
        pass  # the service validates (devis.services)


class DevisCreateForm(DevisForm):
    class Meta(DevisForm.Meta):
        fields = ["client", "subject"]


class LigneDevisForm(LigneDocumentForm):
    """A quote's line: the shared editor's row, with its category and the option box as the
    row's own columns (`doc_fields`, shown by includes/line_editor.html)."""

    doc_fields = ("category", "optional")

    class Meta(LigneDocumentForm.Meta):
        model = LigneDevis
        fields = ["article", *LINE_FIELD_NAMES, "category", "optional"]
        labels = {"optional": _("option")}

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = Article.objects.for_company(company).filter(active=True)
        self.fields["category"].choices = Categorie.choices
        self.fields["optional"].widget.attrs["class"] = "form-check-input"


class BaseLigneDevisFormSet(BaseLigneFormSet):
    def counts_in_total(self, data) -> bool:
        return not data.get("optional")  # an option is priced apart, out of the total


def ligne_devis_formset(company, data=None, initial=None):
    formset_class = forms.formset_factory(
        LigneDevisForm, formset=BaseLigneDevisFormSet, extra=0 if initial else 1, can_delete=True
    )
    return formset_class(data, initial=initial, prefix="lignes", form_kwargs={"company": company})


class ParametresDevisForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = ParametresDevis
        fields = [
            "validity_days", "reminder_days", "insurance_required", "insurer", "insurance_area",
            "payment_terms", "execution_terms", "after_sales_terms", "price_revision_terms",
            "cgv",
        ]  # fmt: skip
        widgets = {
            "payment_terms": _TEXT, "execution_terms": _TEXT, "after_sales_terms": _TEXT,
            "price_revision_terms": _TEXT, "cgv": forms.Textarea(attrs={"rows": 4}),
        }  # fmt: skip


class FiltreForm(forms.Form):
    statut = forms.ChoiceField(
        label=_("État"), required=False, choices=[("", _("Tous"))] + Statut.choices
    )
    client = forms.CharField(label=_("Client"), required=False)
    du = forms.DateField(label=_("Du"), required=False, widget=_DATE)
    au = forms.DateField(label=_("Au"), required=False, widget=_DATE)


class AcompteForm(forms.Form):
    percent = FrenchDecimalField(
        label=_("Acompte (%)"), required=False, min_value=Decimal("0.01"),
        max_value=Decimal("100"),
    )  # fmt: skip
    amount = FrenchDecimalField(label=_("ou montant HT (€)"), required=False,
                                min_value=Decimal("0.01"))  # fmt: skip


class AcceptationForm(CleanTextMixin, forms.Form):
    name = forms.CharField(label=_("Votre nom complet"), max_length=200)
    consent = forms.BooleanField(label=_("J'accepte"), required=False)
    options = forms.TypedMultipleChoiceField(
        label=_("Options"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    pdf_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200_000)

    def __init__(self, *args, option_lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["options"].choices = [
            (line.position, line.designation) for line in option_lines
        ]


class RefusForm(CleanTextMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
