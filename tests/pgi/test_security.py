"""Production settings pass Django's deployment checks; secrets only come from the environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from pgi import services
from pgi.permissions import Role

ROOT = Path(__file__).resolve().parents[2]


def run_in_production(*command: str, **extra_env: str) -> subprocess.CompletedProcess:
    """`manage.py` with production settings and throwaway secrets."""
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is a test-only switch: not in production.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited, "DJANGO_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(64),
        "REGISTRE_HMAC_KEY": "y" * 64, "PAYMENT_SECRETS_KEYS": "z" * 64,
        "ALLOWED_HOSTS": "encaisse.example", **extra_env,
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_check_deploy_is_clean_in_production():
    result = run_in_production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_collectstatic_builds_the_production_manifest(tmp_path):
    """What the Docker image runs at build time. The manifest storage aborts on a file that a
    CSS or JS names but static/ lacks (a source map, a font: scripts/assets.sh copies them);
    without its manifest every page would answer 500."""
    static_root = tmp_path / "staticfiles"
    result = run_in_production(
        "collectstatic", "--no-input", "-v", "0", STATIC_ROOT=str(static_root)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    assert "vendor/swagger-ui/swagger-ui.css" in manifest["paths"]


def test_production_refuses_to_start_without_its_secrets():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "REGISTRE_HMAC_KEY", "REGISTRE_HMAC_KEY")
    }
    env["DJANGO_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_the_payment_secrets_key():
    """The key that encrypts the Stripe secrets stored in the database never defaults in
    production (a key next to the data it protects protects nothing)."""
    result = run_in_production("check", PAYMENT_SECRETS_KEYS="")
    assert result.returncode != 0 and "PAYMENT_SECRETS_KEYS" in result.stderr


@pytest.mark.django_db
def test_password_reset_sends_a_working_link(client, owner_a):
    client.post(reverse("password_reset"), {"email": owner_a.user.email})
    assert len(mail.outbox) == 1
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/mot-de-passe/nouveau/" in line
    )
    response = client.get(link.replace("http://testserver", ""), follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {
            "new_password1": "Un-nouveau-mot-de-passe-9",
            "new_password2": "Un-nouveau-mot-de-passe-9",
        },
    )
    assert response.status_code == 302
    owner_a.user.refresh_from_db()
    assert owner_a.user.check_password("Un-nouveau-mot-de-passe-9")


@pytest.mark.django_db
def test_invitation_link_creates_the_account_and_logs_in(client, company_a, owner_a):
    invitation = services.invitation_send(
        company=company_a, email="nouveau@exemple.fr", role=Role.STAFF, invited_by=owner_a.user
    )
    url = reverse("invitation_accept", args=[services.invitation_token(invitation)])
    assert "Rejoindre Alpha SARL" in client.get(url).content.decode()
    response = client.post(
        url,
        {"full_name": "Nouveau Venu", "password1": "Mot-de-passe-solide-1",
         "password2": "Mot-de-passe-solide-1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert client.get(reverse("crm:client_list")).status_code == 200


@pytest.mark.django_db
def test_stored_pdfs_are_never_served_from_media(client, settings):
    """Issue #15: /media/factures/….pdf answered 200 without login in development."""
    import importlib

    from django.urls import Resolver404, clear_url_caches, resolve

    from facturation.services import facture_pdf_generer
    from tests import factories

    company = factories.issuing_company()
    pdf = facture_pdf_generer(facture_id=factories.issued(company).pk)
    url = settings.MEDIA_URL + pdf.file.name
    settings.DEBUG = True  # the root URLs as development builds them
    try:
        urls = importlib.reload(importlib.import_module("pgi.urls"))
        with pytest.raises(Resolver404):
            resolve(url, urlconf=urls)
    finally:
        settings.DEBUG = False
        importlib.reload(urls)
        clear_url_caches()
    assert client.get(url).status_code == 404
