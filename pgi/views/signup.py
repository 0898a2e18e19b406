"""Signing up alone: the account (this module), then the first company (`company_create`),
then the dashboard's first-run checklist; and the confirmation of the email address."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from pgi import services
from pgi.exceptions import DomainError
from pgi.forms import SignupForm
from pgi.forms_utils import add_domain_errors
from pgi.permissions import Perm
from pgi.tenancy import member_required


def _over_limit(request, *, group: str, key, rate: str) -> bool:
    """Counts this attempt in Redis (django-ratelimit, as the login does); True past the rate."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    return usage is not None and usage["count"] > usage["limit"]


def _too_many(request, message: str):
    return render(request, "errors/429.html", {"message": message}, status=429)


def _user_key(_group, request) -> str:
    return str(request.user.pk)


def signup(request):
    """Step 1 of 2: the account. Every attempt from an address counts toward its limit."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if _over_limit(request, group="signup", key="ip", rate=settings.SIGNUP_RATE_PER_IP):
            return _too_many(
                request, _("Trop d'inscriptions depuis cette adresse. Réessayez dans une heure.")
            )
        if form.is_valid():
            try:
                user = services.account_signup(
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    full_name=form.cleaned_data["full_name"],
                )
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _("Compte créé. Un lien de confirmation a été envoyé à %(e)s.")
                    % {"e": user.email},
                )
                return redirect("company_create")
    return render(request, "registration/signup.html", {"form": form})


def email_verify(request, token: str):
    """The link of the confirmation email: a GET shows a button, the POST confirms (a GET
    never writes, and mail scanners follow links)."""
    try:
        user = services.email_verification_check(token)
    except DomainError as exc:
        return render(
            request, "registration/email_verify.html", {"problems": exc.problems}, status=400
        )
    if request.method == "POST":
        services.email_verify(token=token)
        messages.success(request, _("Adresse e-mail confirmée. Merci !"))
        return redirect("home" if request.user.is_authenticated else "login")
    return render(request, "registration/email_verify.html", {"email": user.email})


@require_POST
@login_required
def email_verification_resend(request):
    if request.user.email_verified_at is not None:
        return redirect("home")
    if _over_limit(
        request, group="email-verification", key=_user_key,
        rate=settings.EMAIL_VERIFICATION_RATE,
    ):  # fmt: skip
        return _too_many(
            request, _("Trop de liens demandés. Réessayez dans une heure, ou vérifiez vos spams.")
        )
    services.email_verification_send(user=request.user)
    messages.info(request, _("Un nouveau lien a été envoyé à %(e)s.") % {"e": request.user.email})
    return redirect("home")


@require_POST
@member_required(Perm.VIEW)
def checklist_hide(request):
    """Hides the dashboard's first-run checklist for this member."""
    services.membership_checklist_hide(membership=request.membership)
    messages.info(request, _("Liste des premiers pas masquée. Tout se règle dans les Paramètres."))
    return redirect("home")
