"""Login and password reset (throttled, see pgi.throttling), invitations, error pages."""

from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pgi.exceptions import DomainError
from pgi.forms import EmailAuthenticationForm, InvitationAcceptForm
from pgi.forms_utils import add_domain_errors
from pgi.services import invitation_accept, invitation_from_token
from pgi.throttling import (
    login_failed,
    login_retry_after,
    login_succeeded,
    password_reset_allowed,
    wait_message,
)


def _login_failures(request, *, count: bool) -> bool:
    """True while this address, or this account from this address, must wait before trying
    again (`pgi.throttling`); `count` records one more failure first. Only failures count:
    a correct password is never refused because of earlier correct logins (issue #15)."""
    if count:
        login_failed(request)
    return login_retry_after(request) > 0


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if wait := login_retry_after(request):
            return ratelimited(request, wait=wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        login_succeeded(self.request)
        return super().form_valid(form)

    def form_invalid(self, form):
        login_failed(self.request)
        return super().form_invalid(form)


def admin_login(request, extra_context=None):
    """The admin's login page, throttled like ours (issue #15: 30 wrong passwords in a row
    were checked, then the right one accepted)."""
    if request.method == "POST" and (wait := login_retry_after(request)):
        return ratelimited(request, wait=wait)
    response = admin.site.login(request, extra_context)
    if request.method == "POST":
        if request.user.is_authenticated and request.user.is_staff:
            login_succeeded(request)
        else:
            login_failed(request)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Past the limits per address and per target email, no email leaves, and the page
    answers exactly as when one does: it never tells whether the account exists."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        if not password_reset_allowed(self.request):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


def ratelimited(request, exception=None, *, wait: int = 0):
    """429, saying how long to wait when it is known."""
    response = render(request, "errors/429.html", {"message": wait_message(wait)}, status=429)
    if wait:
        response["Retry-After"] = str(wait)
    return response


def invitation_accept_view(request, token: str):
    try:
        invitation = invitation_from_token(token)
    except DomainError as exc:
        return render(
            request, "pgi/invitation_invalid.html", {"problems": exc.problems}, status=400
        )
    needs_account = not request.user.is_authenticated
    form = InvitationAcceptForm(
        request.POST or None, needs_account=needs_account, email=invitation.email
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitation_accept(
                token=token,
                user=request.user if request.user.is_authenticated else None,
                password=form.cleaned_data.get("password1", ""),
                full_name=form.cleaned_data.get("full_name", ""),
            )
        except DomainError as exc:
            # Already used (a parallel click won), or meant for another account: a 4xx.
            add_domain_errors(form, exc)
            return render(
                request, "pgi/invitation_accept.html",
                {"invitation": invitation, "form": form}, status=400,
            )  # fmt: skip
        else:
            if needs_account:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session["company_id"] = membership.company_id
            messages.success(
                request, _("Bienvenue chez %(c)s.") % {"c": membership.company.display_name}
            )
            return redirect("home")
    return render(request, "pgi/invitation_accept.html", {"invitation": invitation, "form": form})


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_500(request):
    return render(request, "errors/500.html", status=500)
