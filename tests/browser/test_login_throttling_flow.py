"""Wrong passwords slow down, and the page says how long to wait (issue #15)."""

import pytest
from playwright.sync_api import expect

from pgi.permissions import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_wrong_passwords_make_the_next_try_wait_and_the_right_one_passes_after(
    page, screenshot, monkeypatch, settings, live_server
):
    settings.LOGIN_FAILURES_BEFORE_DELAY = 3
    now = [1_800_000_000.0]
    monkeypatch.setattr("pgi.throttling._now", lambda: now[0])  # moved, never slept
    factories.member(factories.company("Prudente SARL"), Role.OWNER, email="owner@test.example")

    def attempt(password):
        page.goto("/connexion/")
        page.get_by_label("E-mail").fill("owner@test.example")
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()

    for _ in range(3):
        attempt("mauvais")
        expect(page.locator("main")).to_contain_text(
            "Saisissez un e-mail et un mot de passe valides"
        )
    attempt(factories.PASSWORD)
    expect(page.locator("main")).to_contain_text(
        "Trop de tentatives de connexion. Réessayez dans 2 secondes."
    )
    screenshot(page, "login-wait")
    now[0] += 2
    attempt(factories.PASSWORD)
    expect(page.get_by_test_id("company-switcher")).to_contain_text("Prudente SARL")
