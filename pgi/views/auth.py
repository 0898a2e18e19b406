"""Login (rate-limited), logout, invitations and error pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from pgi.exceptions import DomainError
from pgi.forms import EmailAuthenticationForm, InvitationAcceptForm
from pgi.forms_utils import add_domain_errors
from pgi.services import invitation_accept, invitation_from_token


def _account_and_address(_group, request) -> str:
    email = (request.POST.get("username") or "").strip().lower()
    return f"{email}|{request.META.get('REMOTE_ADDR', '')}"


def _login_failures(request, *, count: bool) -> bool:
    """Failed logins, per address and per account from that address, in Redis; True once
    either limit is reached. Only failures count: a correct password is never refused
    because of earlier correct logins, and a stranger's wrong passwords, sent from elsewhere,
    do not lock the account's owner out (issue #15)."""
    limits = (
        ("login-ip", "ip", settings.LOGIN_RATE_PER_IP),
        ("login-account", _account_and_address, settings.LOGIN_RATE_PER_ACCOUNT),
    )
    reached = False
    for group, key, rate in limits:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=count)
        reached = reached or (usage is not None and usage["count"] >= usage["limit"])
    return reached


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if _login_failures(request, count=False):
            return ratelimited(request)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        _login_failures(self.request, count=True)
        return super().form_invalid(form)


def ratelimited(request, exception=None):
    return render(
        request,
        "errors/429.html",
        {"message": _("Trop de tentatives de connexion. Réessayez dans quelques minutes.")},
        status=429,
    )


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
