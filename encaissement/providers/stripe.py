"""Stripe Checkout, through the official `stripe` library.

Requests go to `settings.STRIPE_API_BASE` (Stripe, or the fake of tests/fakes/ on loopback)
with the company's own secret key. Webhooks are verified with the endpoint's signing secret
(`stripe.Webhook.construct_event`: HMAC-SHA256 of the timestamp and the raw body, five minutes
of tolerance against replays of old requests).

Events used (subscribe to them in Stripe's dashboard, README):
- `checkout.session.completed`: paid at once (card: `payment_status` "paid"), or still
  processing (a SEPA debit: "unpaid" until the bank answers, days later);
- `checkout.session.async_payment_succeeded` / `async_payment_failed`: the debit's outcome;
- `checkout.session.expired`: abandoned.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from encaissement.providers import (
    Checkout,
    CheckoutCreated,
    InvalidEvent,
    Outcome,
    ProviderError,
    ProviderEvent,
)
from pgi.secrets import decrypt

# Our payment methods, as Stripe names them.
METHOD_TYPES = {"carte": "card", "prelevement": "sepa_debit"}
TIMEOUT = 20  # seconds: the customer waits for the redirection


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class StripeProvider:
    def _client(self, compte):
        import stripe

        secret = decrypt(compte.secret_key_encrypted)
        if not secret:
            raise ProviderError("no secret key")
        return stripe.StripeClient(
            secret,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
        )

    def create_checkout(self, compte, checkout: Checkout) -> CheckoutCreated:
        import stripe

        params = {
            "mode": "payment",
            "payment_method_types": [METHOD_TYPES[checkout.method]],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": _cents(checkout.amount),
                        "product_data": {"name": checkout.description},
                    },
                }
            ],
            "client_reference_id": checkout.reference,
            "metadata": checkout.metadata,
            "payment_intent_data": {
                "description": checkout.description,
                "metadata": checkout.metadata,
            },
            "success_url": checkout.success_url,
            "cancel_url": checkout.cancel_url,
            "locale": checkout.locale,
        }
        if checkout.customer_email:
            params["customer_email"] = checkout.customer_email
        try:
            session = self._client(compte).v1.checkout.sessions.create(
                params=params,
                options={"idempotency_key": checkout.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        if not session.url:
            raise ProviderError("no checkout url")
        return CheckoutCreated(id=session.id, url=session.url)

    def parse_event(self, compte, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        import stripe

        secret = decrypt(compte.webhook_secret_encrypted)
        if not secret:
            raise InvalidEvent("no webhook secret")
        try:
            stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
            event = json.loads(payload)  # verified: read as plain data
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise InvalidEvent(str(exc)) from exc
        created = datetime.fromtimestamp(int(event["created"]), tz=UTC)
        obj = event["data"]["object"]
        if obj.get("object") != "checkout.session":
            return ProviderEvent(id=event["id"], type=event["type"], outcome=Outcome.IGNORED,
                                 created=created)  # fmt: skip
        outcome = {
            "checkout.session.completed": (
                Outcome.PAID if obj.get("payment_status") == "paid" else Outcome.PROCESSING
            ),
            "checkout.session.async_payment_succeeded": Outcome.PAID,
            "checkout.session.async_payment_failed": Outcome.FAILED,
            "checkout.session.expired": Outcome.EXPIRED,
        }.get(event["type"], Outcome.IGNORED)
        details = obj.get("customer_details") or {}
        intent = obj.get("payment_intent")
        if isinstance(intent, Mapping):
            intent = intent.get("id")
        total = obj.get("amount_total")
        return ProviderEvent(
            id=event["id"], type=event["type"], outcome=outcome, session_id=obj["id"],
            created=created, payer=details.get("name") or details.get("email") or "",
            reference=intent or obj["id"],
            amount=None if total is None else Decimal(int(total)) / 100,
        )  # fmt: skip

    def session_event(self, compte, session_id: str) -> ProviderEvent | None:
        """The checkout as Stripe has it now: complete and paid, complete and still processing
        (a debit), or expired. The event's id names the session and the outcome, so that what
        the sweeper learns is acted on once, like a webhook, and the webhook coming after it
        finds nothing more to do."""
        import stripe

        try:
            obj = self._client(compte).v1.checkout.sessions.retrieve(session_id).to_dict()
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        if obj.get("status") == "complete":
            paid = obj.get("payment_status") == "paid"
            outcome = Outcome.PAID if paid else Outcome.PROCESSING
        elif obj.get("status") == "expired":
            outcome = Outcome.EXPIRED
        else:
            return None
        details = obj.get("customer_details") or {}
        intent = obj.get("payment_intent")
        total = obj.get("amount_total")
        return ProviderEvent(
            id=f"poll_{session_id}_{outcome}", type="poll", outcome=outcome,
            session_id=session_id, created=None,
            payer=details.get("name") or details.get("email") or "",
            reference=(intent if isinstance(intent, str) else None) or session_id,
            amount=None if total is None else Decimal(int(total)) / 100,
        )  # fmt: skip
