from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from pgi.forms_utils import CleanTextMixin
from pgi.models import Company
from pgi.permissions import Role


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


COMPANY_FIELDS = [
    "legal_name", "trade_name", "legal_form", "is_ei", "share_capital",
    "address_line1", "address_line2", "postal_code", "city", "country",
    "siren", "siret", "registry", "registry_city", "vat_number", "vat_regime",
    "iban", "bic", "email", "phone", "logo", "brand_color",
    "payment_terms_days", "late_penalty_rate", "recovery_indemnity", "fiscal_year_start_month",
]  # fmt: skip


class CompanyForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Company
        fields = COMPANY_FIELDS
        widgets = {"brand_color": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service normalises and checks identifiers, so typed spaces are accepted.
        for name in ("siren", "siret", "vat_number", "iban", "bic"):
            if name not in self.fields:  # the creation form asks for fewer fields
                continue
            self.fields[name].validators = []
            self.fields[name].max_length = 42
            self.fields[name].widget.attrs["maxlength"] = 42

    def _post_clean(self):
        # Model validation runs in the service (pgi.services._clean_company).
        pass


class CompanyCreateForm(CompanyForm):
    class Meta(CompanyForm.Meta):
        fields = ["legal_name", "legal_form", "siren", "address_line1", "postal_code", "city"]


class SignupForm(forms.Form):
    """The public sign-up page; the account's rules are checked by `account_signup` (which
    cleans the name: the mixin would also alter a password)."""

    full_name = forms.CharField(
        label=_("Votre nom"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )  # fmt: skip
    email = forms.EmailField(
        label=_("E-mail"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )  # fmt: skip
    password = forms.CharField(
        label=_("Mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )  # fmt: skip
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("Les deux mots de passe ne correspondent pas."))
        return data


class InvitationForm(CleanTextMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices, initial=Role.STAFF)


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label=_("Nom complet"), max_length=150)
    password1 = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Confirmation"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, needs_account: bool, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        if not needs_account:
            for name in ("full_name", "password1", "password2"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if "password1" in self.fields:
            if data.get("password1") != data.get("password2"):
                self.add_error("password2", _("Les deux mots de passe ne correspondent pas."))
            elif data.get("password1"):
                try:
                    password_validation.validate_password(data["password1"])
                except forms.ValidationError as exc:
                    self.add_error("password1", exc)
        return data


class ApiTokenForm(CleanTextMixin, forms.Form):
    name = forms.CharField(label=_("Nom du jeton"), max_length=100)


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)


class NumerotationRepriseForm(forms.Form):
    """Where a series numbered until now in another tool continues (pgi.numbering)."""

    series = forms.ChoiceField(label=_("Série"))
    next_number = forms.IntegerField(
        label=_("Prochain numéro"), min_value=1, max_value=999_999_999,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Le numéro qui suit le dernier émis dans votre ancien outil."),
    )  # fmt: skip
    confirm = forms.BooleanField(
        label=_("Je confirme : ce choix est définitif pour la période en cours."),
        error_messages={"required": _("Cochez la case pour confirmer : ce choix est définitif.")},
    )

    def __init__(self, *args, series_choices: list[tuple[str, object]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = series_choices
