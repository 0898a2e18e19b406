"""Kernel tasks: each loads a row, calls a service or sends one email, and may be retried."""

from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

# `pgi.services` queues these tasks and they call it back: the module, not its names, is
# imported, so that either may be imported first.
from pgi import services
from pgi.models import Invitation, User


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(self, invitation_id: int) -> None:
    invitation = (
        Invitation.objects.select_related("company", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.accepted_at is not None:
        return
    context = {
        "invitation": invitation,
        "url": services.invitation_url(invitation),
        "now": timezone.now(),
    }
    send_mail(
        subject=render_to_string("pgi/email/invitation_subject.txt", context).strip(),
        message=render_to_string("pgi/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email_verification(self, user_id: int) -> None:
    user = User.objects.filter(pk=user_id, email_verified_at__isnull=True).first()
    if user is None:
        return  # confirmed meanwhile: nothing to send
    context = {"user": user, "url": services.email_verification_url(user)}
    send_mail(
        subject=render_to_string("pgi/email/email_verification_subject.txt", context).strip(),
        message=render_to_string("pgi/email/email_verification.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_notification(self, notification_id: int) -> None:
    from pgi.notifications import notification_expedier

    notification_expedier(notification_id=notification_id)


@shared_task
def sweep_notifications() -> dict[str, int]:
    """Every few minutes (Celery beat): sends again the team notifications the queue lost."""
    from pgi.notifications import notifications_a_reprendre
    from pgi.queue import publish

    pending, interrupted = notifications_a_reprendre(now=timezone.now())
    for notification_id in pending:
        publish(send_notification, notification_id)
    return {"pending": len(pending), "interrupted": interrupted}
