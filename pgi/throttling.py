"""How often an address may try a password or ask for a reset link, counted in Redis.

Login (the application's page and the admin's): only failures count.
- Per address: at most LOGIN_RATE_PER_IP failures in a window (an address trying many
  accounts).
- Per account from one address: after LOGIN_FAILURES_BEFORE_DELAY failures, each further
  attempt waits twice as long as the previous one (2 s, 4 s, 8 s… up to LOGIN_DELAY_MAX),
  counted from the last failure; a success forgets them. The wait is per address, so a
  stranger's wrong passwords sent from elsewhere never lock the owner out (issue #15).
Password reset: at most PASSWORD_RESET_RATE_PER_IP requests per address and
PASSWORD_RESET_RATE_PER_EMAIL per target address; past them no email is sent, and the page
answers the same, so it never tells whether an account exists.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage


def _now() -> float:
    return time.time()


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _account_and_address(_group, request) -> str:
    email = (request.POST.get("username") or "").strip().lower()
    return f"{email}|{_address(request)}"


def _failures_key(request) -> str:
    digest = hashlib.sha256(_account_and_address(None, request).encode()).hexdigest()
    return f"login-failures:{digest}"


def _delay(failures: int) -> int:
    """Seconds to wait after `failures` failures in a row: 0, then 2, 4, 8… up to the cap."""
    free = settings.LOGIN_FAILURES_BEFORE_DELAY
    if failures < free:
        return 0
    return min(2 ** min(failures - free + 1, 30), settings.LOGIN_DELAY_MAX)


def login_wait_seconds(request) -> int:
    """Seconds before this account may be tried again from this address; 0 when it may."""
    key = _failures_key(request)
    state = cache.get_many([f"{key}:n", f"{key}:last"])
    failures, last = state.get(f"{key}:n"), state.get(f"{key}:last")
    if not failures or last is None:
        return 0
    return max(0, math.ceil(last + _delay(failures) - _now()))


def _address_wait(request, *, count: bool) -> int:
    """Seconds left in the address's window once its failures reached the limit, else 0."""
    usage = get_usage(
        request, group="login-ip", key="ip", rate=settings.LOGIN_RATE_PER_IP, increment=count
    )
    if usage is None or usage["count"] < usage["limit"]:
        return 0
    return max(1, usage["time_left"])


def login_retry_after(request) -> int:
    """Seconds before this attempt may be checked at all; 0 when it may be now."""
    return max(_address_wait(request, count=False), login_wait_seconds(request))


def login_failed(request) -> None:
    """Counts a wrong password: for the address, and for the account from this address."""
    _address_wait(request, count=True)
    key = _failures_key(request)
    # Remembered for the longest wait and then some: a wait never ends by expiry. Counted
    # with INCR, so that failures arriving together are all counted.
    timeout = settings.LOGIN_DELAY_MAX + settings.LOGIN_FAILURES_MEMORY
    cache.add(f"{key}:n", 0, timeout)
    cache.incr(f"{key}:n")
    cache.touch(f"{key}:n", timeout)
    cache.set(f"{key}:last", _now(), timeout)


def login_succeeded(request) -> None:
    """A correct password forgets the account's failures from this address."""
    key = _failures_key(request)
    cache.delete_many([f"{key}:n", f"{key}:last"])


def wait_message(seconds: int) -> str:
    """« Réessayez dans 8 secondes. », « … dans 2 minutes. », or « dans quelques minutes »."""
    if seconds <= 0:
        return _("Trop de tentatives de connexion. Réessayez dans quelques minutes.")
    if seconds < 120:
        wait = ngettext("%(n)d seconde", "%(n)d secondes", seconds) % {"n": seconds}
    else:
        minutes = math.ceil(seconds / 60)
        wait = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    return _("Trop de tentatives de connexion. Réessayez dans %(wait)s.") % {"wait": wait}


def _reset_email(_group, request) -> str:
    return (request.POST.get("email") or "").strip().lower()


def password_reset_allowed(request) -> bool:
    """Counts a reset request; False past the limit per address or per target email."""
    allowed = True
    limits = (
        ("reset-ip", "ip", settings.PASSWORD_RESET_RATE_PER_IP),
        ("reset-email", _reset_email, settings.PASSWORD_RESET_RATE_PER_EMAIL),
    )
    for group, key, rate in limits:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
        allowed = allowed and usage is not None and not usage["should_limit"]
    return allowed
