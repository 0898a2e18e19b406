"""Audit only: logins and failed logins go to the technical event log (no business flow)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils.translation import gettext_noop

from pgi.events import client_ip, event_record_for_member
from pgi.models import EventKind, User


# A login concerns the person: it goes to the log of each company they belong to (an
# unknown e-mail to the log of no company).
@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    event_record_for_member(
        kind=EventKind.LOGIN, summary=gettext_noop("Connexion de %(email)s"),
        params={"email": user.email}, user=user, ip=client_ip(request),
    )  # fmt: skip


@receiver(user_login_failed)
def log_login_failure(sender, credentials, request=None, **kwargs):
    email = (credentials.get("username") or credentials.get("email") or "")[:150]
    user = User.objects.filter(email=email.lower()).first()
    event_record_for_member(
        kind=EventKind.LOGIN_FAILED, summary=gettext_noop("Échec de connexion pour %(email)s"),
        params={"email": email}, user=user, ip=client_ip(request),
    )  # fmt: skip
