from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from facturation.models import VAT_RATE_CHOICES, Article, Facture, Frequency, LigneFacture
from pgi.mentions import payment_terms_limit


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = [
            "designation", "description", "unit", "unit_price", "vat_rate",
            "vat_exemption_reason", "nature", "active",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        pass  # the service validates (facturation.services.article_save)


class FactureForm(forms.ModelForm):
    class Meta:
        model = Facture
        fields = ["client", "subject", "operation_date", "payment_terms_days", "notes"]
        widgets = {
            "operation_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.for_company(company).order_by("name")
        self.fields["payment_terms_days"].help_text = _(
            "Vide : délai du client, sinon celui de la société. %(limit)s"
        ) % {"limit": payment_terms_limit()}

    def _post_clean(self):
        pass  # the service validates (facturation.services)


class LigneForm(forms.ModelForm):
    vat_rate = forms.TypedChoiceField(
        label=_("TVA"), choices=VAT_RATE_CHOICES, coerce=Decimal, initial=Decimal("20.00")
    )

    class Meta:
        model = LigneFacture
        fields = [
            "article", "designation", "description", "quantity", "unit", "unit_price",
            "discount_rate", "vat_rate", "vat_exemption_reason", "nature", "deposit", "origin_line",
        ]  # fmt: skip
        widgets = {
            "deposit": forms.HiddenInput,
            "origin_line": forms.HiddenInput,
            "description": forms.Textarea(attrs={"rows": 1}),
            "quantity": forms.NumberInput(attrs={"step": "any", "min": "0"}),
            "unit_price": forms.NumberInput(attrs={"step": "any", "min": "0"}),
            "discount_rate": forms.NumberInput(attrs={"step": "any", "min": "0", "max": "100"}),
        }

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = Article.objects.for_company(company).filter(active=True)
        self.fields["article"].required = False
        self.fields["deposit"].queryset = Facture.objects.for_company(company).filter(
            kind="acompte"
        )
        self.fields["deposit"].required = False
        self.fields["origin_line"].queryset = LigneFacture.objects.for_company(company)
        self.fields["origin_line"].required = False
        self.fields["article"].empty_label = _("— libre —")
        self.fields["discount_rate"].required = False
        for name in ("quantity", "unit_price", "discount_rate"):
            self.fields[name].localize = False
        placeholders = {
            "description": _("Description (facultatif)"),
            "vat_exemption_reason": _("Motif d'exonération (si 0 %)"),
        }
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")
            widget.attrs.setdefault("aria-label", str(field.label))
            if name in placeholders:
                widget.attrs["placeholder"] = placeholders[name]
        self.fields["article"].widget.attrs["data-article-select"] = ""

    def _post_clean(self):
        pass


class BaseLigneFormSet(forms.BaseFormSet):
    def line_data(self) -> list[dict]:
        """The kept lines, in order, as dicts for `facture_lignes_enregistrer`."""
        lines = []
        for index, form in enumerate(self.forms):
            if self._should_delete_form(form):
                continue
            if index >= self.initial_form_count() and not form.has_changed():
                continue  # an added row left blank
            data = {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            article = data.get("article")
            if article is not None and not data.get("designation"):
                data["designation"] = article.designation
            lines.append(data)
        return lines


def ligne_formset(company, data=None, initial=None):
    formset_class = forms.formset_factory(
        LigneForm, formset=BaseLigneFormSet, extra=0 if initial else 1, can_delete=True
    )
    return formset_class(data, initial=initial, prefix="lignes", form_kwargs={"company": company})


class AvoirForm(forms.Form):
    MODE_CHOICES = [("lignes", _("Des lignes (quantités)")), ("montant", _("Un montant HT"))]
    mode = forms.ChoiceField(label=_("Créditer"), choices=MODE_CHOICES, widget=forms.RadioSelect)
    amount = forms.DecimalField(
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
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                label=line.designation, required=False, min_value=Decimal("0"),
                max_value=line.quantity, initial=Decimal("0"),
            )  # fmt: skip

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data.get(f"qty_{line.pk}") or Decimal("0") for line in self.lines
        }


class EnvoiForm(forms.Form):
    recipients = forms.CharField(
        label=_("Destinataires"),
        max_length=500,
        help_text=_("Séparez plusieurs e-mails par des virgules."),
    )
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))

    def clean_recipients(self):
        from django.core.validators import validate_email

        emails = [e.strip() for e in self.cleaned_data["recipients"].split(",") if e.strip()]
        for email in emails:
            try:
                validate_email(email)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    _("« %(e)s » n'est pas une adresse e-mail valide.") % {"e": email}
                ) from exc
        return emails


class RecurrenceForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=200, required=False)
    frequency = forms.ChoiceField(label=_("Fréquence"), choices=Frequency.choices)
    next_date = forms.DateField(
        label=_("Prochaine facture le"), widget=forms.DateInput(attrs={"type": "date"})
    )
    auto_issue = forms.BooleanField(
        label=_("Émettre et envoyer automatiquement (sinon : brouillon à vérifier)"), required=False
    )
