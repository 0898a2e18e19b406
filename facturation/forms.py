from decimal import Decimal

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from crm.widgets import ClientPicker
from facturation.models import Article, Facture, Frequency, LigneFacture
from pgi.forms_utils import CleanTextMixin, FrenchDecimalField
from pgi.lignes import ARTICLE_FIELD_NAMES, LINE_FIELD_NAMES, VAT_RATE_CHOICES
from pgi.lignes.forms import BaseLigneFormSet, LigneDocumentForm
from pgi.lignes.spec import VAT_EXEMPTION_LIST
from pgi.mentions import payment_terms_limit


class ArticleForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Article
        fields = [*ARTICLE_FIELD_NAMES, "active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "vat_exemption_reason": forms.TextInput(attrs={"list": VAT_EXEMPTION_LIST}),
        }
        field_classes = {"unit_price": FrenchDecimalField}
        # The catalogue's own wording of the columns it shares with a line.
        labels = {"unit_price": _("prix unitaire HT (€)"), "vat_rate": _("taux de TVA")}
        help_texts = {
            "vat_exemption_reason": _(
                "Obligatoire à 0 % : choisissez une formule usuelle ou tapez la vôtre."
            )
        }

    def _post_clean(self):
        pass  # the service validates (facturation.services.article_enregistrer)


class FactureForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Facture
        fields = ["client", "subject", "operation_date", "payment_terms_days", "notes"]
        widgets = {
            "operation_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        clients = Client.objects.for_company(company).order_by("name")
        self.fields["client"].queryset = clients
        self.fields["client"].widget = ClientPicker(queryset=clients)
        self.fields["payment_terms_days"].help_text = _(
            "Vide : délai du client, sinon celui de la société. %(limit)s"
        ) % {"limit": payment_terms_limit()}

    def _post_clean(self):
        pass  # the service validates (facturation.services)


class LigneForm(LigneDocumentForm):
    class Meta(LigneDocumentForm.Meta):
        model = LigneFacture
        fields = ["article", *LINE_FIELD_NAMES, "deposit", "origin_line"]
        widgets = {
            **LigneDocumentForm.Meta.widgets,
            "deposit": forms.HiddenInput,
            "origin_line": forms.HiddenInput,
        }

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = Article.objects.for_company(company).filter(active=True)
        self.fields["deposit"].queryset = Facture.objects.for_company(company).filter(
            kind="acompte"
        )
        self.fields["deposit"].required = False
        self.fields["origin_line"].queryset = LigneFacture.objects.for_company(company)
        self.fields["origin_line"].required = False


def ligne_formset(company, data=None, initial=None):
    formset_class = forms.formset_factory(
        LigneForm, formset=BaseLigneFormSet, extra=0 if initial else 1, can_delete=True
    )
    return formset_class(data, initial=initial, prefix="lignes", form_kwargs={"company": company})


class AvoirForm(CleanTextMixin, forms.Form):
    MODE_CHOICES = [
        ("totalite", _("Toute la facture")),
        ("lignes", _("Des lignes (quantités)")),
        ("montant", _("Un montant HT")),
    ]
    mode = forms.ChoiceField(label=_("Créditer"), choices=MODE_CHOICES, widget=forms.RadioSelect)
    amount = FrenchDecimalField(
        label=_("Montant HT (€)"), required=False, min_value=Decimal("0.01")
    )
    vat_rate = forms.TypedChoiceField(
        label=_("Taux de TVA"), choices=VAT_RATE_CHOICES, coerce=Decimal, required=False
    )
    reason = forms.CharField(label=_("Motif"), max_length=200, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"qty_{line.pk}"] = FrenchDecimalField(
                label=line.designation, required=False, min_value=Decimal("0"),
                max_value=line.quantity, initial=Decimal("0"),
            )  # fmt: skip

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data.get(f"qty_{line.pk}") or Decimal("0") for line in self.lines
        }


class EnvoiForm(CleanTextMixin, forms.Form):
    recipients = forms.CharField(
        label=_("Destinataires"),
        max_length=500,
        help_text=_("Séparez plusieurs e-mails par des virgules."),
    )
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))

    def clean_recipients(self):
        emails = [e.strip() for e in self.cleaned_data["recipients"].split(",") if e.strip()]
        for email in emails:
            try:
                validate_email(email)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    _("« %(e)s » n'est pas une adresse e-mail valide.") % {"e": email}
                ) from exc
        return emails


class RecurrenceForm(CleanTextMixin, forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=200, required=False)
    frequency = forms.ChoiceField(label=_("Fréquence"), choices=Frequency.choices)
    next_date = forms.DateField(
        label=_("Prochaine facture le"),
        # ISO: the one format a date input reads; a French "29/12/2026" left it empty.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    auto_issue = forms.BooleanField(
        label=_("Émettre et envoyer automatiquement (sinon : brouillon à vérifier)"), required=False
    )
