"""Login and password-reset throttling (pgi.throttling, issue #15): only failures count,
each wait after a few failures is twice the previous one, the admin login and the reset form
are throttled too. The clock is the module's: tests move it instead of sleeping."""

import pytest
from django.core import mail
from django.urls import reverse

from pgi.models import User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr("pgi.throttling._now", lambda: now[0])
    return now


def _login(client, email, password, path="login"):
    return client.post(reverse(path), {"username": email, "password": password})


def test_waits_grow_after_three_failures_and_the_right_password_passes_after_the_wait(
    client, owner_a, clock, settings
):
    settings.LOGIN_FAILURES_BEFORE_DELAY = 3
    email = owner_a.user.email
    for _ in range(3):
        assert _login(client, email, "mauvais").status_code == 200
    refused = _login(client, email, factories.PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "2"
    assert "Réessayez dans 2 secondes." in refused.content.decode()
    clock[0] += 2
    assert _login(client, email, "mauvais").status_code == 200  # 4th failure: 4 s
    refused = _login(client, email, factories.PASSWORD)
    assert "Réessayez dans 4 secondes." in refused.content.decode()
    clock[0] += 3
    assert _login(client, email, factories.PASSWORD).status_code == 429
    clock[0] += 1
    assert _login(client, email, factories.PASSWORD).status_code == 302


def test_a_success_forgets_the_failures(client, owner_a, clock, settings):
    settings.LOGIN_FAILURES_BEFORE_DELAY = 3
    email = owner_a.user.email
    for _ in range(2):
        _login(client, email, "mauvais")
    assert _login(client, email, factories.PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(2):
        assert _login(client, email, "mauvais").status_code == 200
    assert _login(client, email, factories.PASSWORD).status_code == 302


def test_long_waits_are_said_in_minutes_and_capped(client, owner_a, clock, settings):
    settings.LOGIN_FAILURES_BEFORE_DELAY = 3
    settings.LOGIN_DELAY_MAX = 900
    email = owner_a.user.email
    for _ in range(12):
        clock[0] += 900
        assert _login(client, email, "mauvais").status_code == 200
    refused = _login(client, email, factories.PASSWORD)
    assert refused["Retry-After"] == "900"
    assert "Réessayez dans 15 minutes." in refused.content.decode()


def test_the_admin_login_is_throttled_too(client, clock, settings):
    """30 wrong admin passwords were checked, then the right one accepted."""
    settings.LOGIN_FAILURES_BEFORE_DELAY = 3
    admin = User.objects.create_superuser("admin@exemple.fr", factories.PASSWORD)
    statuses = [_login(client, admin.email, f"essai-{n}", "admin:login").status_code
                for n in range(30)]  # fmt: skip
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}
    assert _login(client, admin.email, factories.PASSWORD, "admin:login").status_code == 429
    clock[0] += 2
    response = _login(client, admin.email, factories.PASSWORD, "admin:login")
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_reset_requests_are_limited_per_target_email_and_look_the_same(client, owner_a):
    """30 requests sent 30 emails; past the limit none is sent, and the answer is the same
    redirection as for an address that has no account."""
    answers = [
        client.post(
            reverse("password_reset"),
            {"email": owner_a.user.email},
            REMOTE_ADDR=f"198.51.100.{n}",
        )  # fmt: skip
        for n in range(30)
    ]
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("password_reset_done"))
    }
    assert len(mail.outbox) == 3
    unknown = client.post(reverse("password_reset"), {"email": "personne@exemple.fr"})
    assert (unknown.status_code, unknown["Location"]) == (302, reverse("password_reset_done"))


def test_reset_requests_are_limited_per_address(client, company_a, settings):
    settings.PASSWORD_RESET_RATE_PER_IP = "5/h"
    for n in range(8):
        member = factories.member(company_a, email=f"membre{n}@exemple.fr")
        response = client.post(reverse("password_reset"), {"email": member.user.email})
        assert response.status_code == 302
    assert len(mail.outbox) == 5
