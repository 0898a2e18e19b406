"""Work after commit: the intent is in the database, the Celery task only its messenger.

An action records what must follow (an issued invoice without its PDF, an email not yet
sent, an invitation not yet mailed) in its own transaction; once it commits, the task is
published. A broker that is down must not fail an action that has already committed: the
publication is tried once, at once, and a failure is only logged. The beat sweeper of each
app (`facturation.tasks.sweep_pending`...) later publishes whatever is still pending, and
every task is idempotent (a PDF rendered once, an email sent once).
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def publish(task, *args) -> bool:
    """Publishes `task(*args)` now, without Celery's retries (they held a request ~19 s when
    Redis was down); False when the broker could not take it."""
    if task.app.conf.task_always_eager:
        # Run here (tests, scripts): an error is the task's own, never the broker's: it is
        # raised, not mistaken for a lost message.
        task.apply(args=args, throw=True)
        return True
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # the broker's error, whatever its transport: the sweeper will retry
        logger.warning("%s%r not queued, left to the sweeper", task.name, args, exc_info=True)
        return False
    return True


def publish_after_commit(task, *args) -> None:
    """Publishes `task(*args)` once the current transaction has committed."""
    transaction.on_commit(lambda: publish(task, *args))
