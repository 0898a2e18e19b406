"""Sending one recorded email at most once: the rule every email of the apps follows.

The caller has claimed its row (PENDING → SENDING) in its own commit; `envoyer_reclame` then
talks to the mail server outside any transaction and lock, and records the outcome on the
row: sent; refused for good (a recipient or the message refused: shown, never retried); or,
on any other error (connection refused, timeout), released to pending for the retry, only if
it is still this claim's, and the error raised for the task's retry.
"""

import smtplib

from django.core.mail import EmailMessage
from django.db.models import QuerySet

# Refusals that a retry will not change.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def envoyer_reclame(
    message: EmailMessage, rows: QuerySet, *, claimed_at, sent: dict, refused: dict,
    released: dict,
) -> bool:  # fmt: skip
    """Sends `message` for the claimed row(s) `rows`; True when sent, False when refused."""
    try:
        message.send()
    except REFUSED as exc:
        rows.update(**refused, error=str(exc)[:500])
        return False
    except Exception:
        rows.filter(claimed_at=claimed_at).update(**released)
        raise
    rows.update(**sent)
    return True
