"""Audit only: logins and failed logins go to the technical event log (no business flow)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from pgi.events import client_ip, event_record
from pgi.models import EventKind, User


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    event_record(
        kind=EventKind.LOGIN, summary=f"Connexion de {user.email}", user=user, ip=client_ip(request)
    )


@receiver(user_login_failed)
def log_login_failure(sender, credentials, request=None, **kwargs):
    email = (credentials.get("username") or credentials.get("email") or "")[:150]
    user = User.objects.filter(email=email.lower()).first()
    event_record(
        kind=EventKind.LOGIN_FAILED, summary=f"Échec de connexion pour {email}", user=user,
        ip=client_ip(request),
    )  # fmt: skip
