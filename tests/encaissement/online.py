"""Helpers for the online payment tests: a company with its Stripe account, and webhook
requests signed the way Stripe signs them."""

import hashlib
import hmac
import json
import secrets
import time

from django.urls import reverse

from encaissement.online import compte_enregistrer

SECRET_KEY = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_" + "test_signing_secret_0123456789"


def stripe_account(company, **fields):
    return compte_enregistrer(
        company=company, user=None, active=True, publishable_key="pk_test_123",
        secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, **fields,
    )  # fmt: skip


def sign(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={signature}"


def event(type_: str, session_id: str, *, amount_cents: int, paid: bool, event_id=None) -> dict:
    return {
        "id": event_id or "evt_" + secrets.token_hex(8), "object": "event", "type": type_,
        "created": int(time.time()), "livemode": False, "api_version": "2025-01-27.acacia",
        "data": {"object": {
            "id": session_id, "object": "checkout.session", "amount_total": amount_cents,
            "currency": "eur", "payment_status": "paid" if paid else "unpaid",
            "status": "complete", "payment_intent": "pi_" + session_id[-8:],
            "customer_details": {"email": "client@example.com", "name": "Client Payeur"},
        }},
    }  # fmt: skip


def post_event(client, compte, payload: dict, *, secret: str = WEBHOOK_SECRET):
    body = json.dumps(payload).encode()
    return client.post(
        reverse("paiement_webhooks:webhook", args=[compte.webhook_token]),
        data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body, secret),
    )  # fmt: skip
