"""Emails to the company's own team: "a customer disputes invoice F-2026-0012", "quote
D-2026-0007 was accepted". Any app calls `notifier` in the transaction of what it tells; the
row commits with it, the task sends it once afterwards, and the sweeper (`pgi.tasks`) sends
what the queue lost. The recipients are the members holding `perm` (by default those who
may act on customers and documents), read when the email leaves.

Sending follows the rule of every email here: the row is claimed (PENDING → SENDING) in its
own commit, the mail server is talked to outside any transaction and lock, then the outcome
is recorded. A sender killed mid-send leaves SENDING: the sweeper marks it FAILED after
CLAIM_EXPIRY rather than risk a second copy.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from pgi.envoi import envoyer_reclame
from pgi.models import Company, EtatNotification, Membership, Notification
from pgi.permissions import Perm, role_has_perm
from pgi.queue import publish_after_commit

logger = logging.getLogger(__name__)
CLAIM_EXPIRY = timedelta(minutes=15)
GRACE = timedelta(minutes=2)


def notifier(
    *, company: Company, subject: str, body: str, url: str = "",
    perm: Perm = Perm.COMMERCIAL_WRITE,
) -> Notification:  # fmt: skip
    """Records an email to the team of `company`, sent after the current transaction commits."""
    from pgi.tasks import send_notification

    notification = Notification.objects.create(
        company=company, subject=subject[:200], body=body, url=url[:500], perm=perm
    )
    publish_after_commit(send_notification, notification.pk)
    return notification


def destinataires(company_id: int, perm: str) -> list[str]:
    members = Membership.objects.filter(company_id=company_id, user__is_active=True)
    return sorted(
        {m.user.email for m in members.select_related("user") if role_has_perm(m.role, Perm(perm))}
    )


def notification_expedier(*, notification_id: int) -> str | None:
    """Sends one notification at most once; its new state, or None when not claimed here."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, state=EtatNotification.PENDING
    ).update(state=EtatNotification.SENDING, claimed_at=now)
    if not claimed:
        return None
    notification = Notification.objects.select_related("company").get(pk=notification_id)
    recipients = destinataires(notification.company_id, notification.perm)
    rows = Notification.objects.filter(pk=notification_id)
    if not recipients:
        rows.update(state=EtatNotification.FAILED, error="no recipient")
        return EtatNotification.FAILED
    body = notification.body
    if notification.url:
        body += "\n\n" + settings.SITE_URL.rstrip("/") + notification.url
    message = EmailMessage(
        subject=f"[{notification.company.display_name}] {notification.subject}",
        body=body, to=recipients,
    )  # fmt: skip
    done = envoyer_reclame(
        message, rows, claimed_at=now,
        sent={"state": EtatNotification.SENT, "sent_at": timezone.now(),
              "recipients": ", ".join(recipients)},
        refused={"state": EtatNotification.FAILED},
        released={"state": EtatNotification.PENDING, "claimed_at": None},
    )  # fmt: skip
    if not done:
        return EtatNotification.FAILED
    return EtatNotification.SENT


def notifications_a_reprendre(*, now) -> tuple[list[int], int]:
    """The sweeper's part: the ids still pending after GRACE (their task was lost), and the
    number of those claimed too long ago, now marked FAILED (never sent twice)."""
    interrupted = Notification.objects.filter(
        state=EtatNotification.SENDING, claimed_at__lt=now - CLAIM_EXPIRY
    ).update(state=EtatNotification.FAILED, error="interrupted")
    pending = list(
        Notification.objects.filter(state=EtatNotification.PENDING, created_at__lt=now - GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    return pending, interrupted
