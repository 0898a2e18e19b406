"""A fake Stripe on loopback for tests and demos: localstripe (the parts of Stripe's HTTP API
it knows) plus what it lacks and Checkout needs: `/v1/checkout/sessions` (create, retrieve,
expire), a hosted payment page, and the signed webhooks a paid, processing, succeeded or failed
session sends. The `stripe` library is pointed at it with `STRIPE_API_BASE`.

    .venv/bin/python -m tests.fakes.stripe_checkout --port 8420

Webhook endpoints are registered the localstripe way: POST /_config/webhooks/<name> with `url`
and `secret`; events are signed as Stripe does (`t=…,v1=HMAC-SHA256(secret, "t.body")`) and
sent one second later, like Stripe, after the customer has been sent back.

Test controls (no Stripe counterpart: the bank's answer to a SEPA debit, days later):
    POST /_config/checkout/<id>/settle   outcome=succeeded|failed
"""

import argparse
import asyncio
import html
import secrets
import threading
import time

from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError
from localstripe.server import app, auth_middleware, get_post_data
from localstripe.webhooks import schedule_webhook

# localstripe saves its store to /tmp/localstripe.pickle after every change: a file shared
# with anyone else running it on this machine. This fake keeps everything in memory.
resources.store.dump_to_disk = lambda: None  # type: ignore[method-assign]

SESSIONS: dict[str, dict] = {}
BY_IDEMPOTENCY_KEY: dict[str, str] = {}


class _Event:
    """What localstripe's webhook sender needs of an event: `type`, `created`, `_export()`."""

    def __init__(self, type_: str, obj: dict):
        self.id = "evt_" + secrets.token_hex(12)
        self.type = type_
        self.created = int(time.time())
        self.object = dict(obj)

    def _export(self) -> dict:
        return {
            "id": self.id, "object": "event", "type": self.type, "created": self.created,
            "api_version": "2025-01-27.acacia", "livemode": False, "pending_webhooks": 1,
            "data": {"object": self.object},
        }  # fmt: skip


def _send(type_: str, session: dict) -> None:
    schedule_webhook(_Event(type_, session))


def _session(session_id: str) -> dict:
    session = SESSIONS.get(session_id)
    if session is None:
        raise UserError(404, "No such checkout.session: " + session_id)
    return session


async def create_session(request):
    key = request.headers.get("Idempotency-Key")
    if key and key in BY_IDEMPOTENCY_KEY:
        return web.json_response(SESSIONS[BY_IDEMPOTENCY_KEY[key]])
    data = await get_post_data(request) or {}
    items = data.get("line_items") or []
    try:
        amount = sum(
            int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)) for item in items
        )
        methods = list(data.get("payment_method_types") or ["card"])
        success_url, cancel_url = data["success_url"], data["cancel_url"]
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(400, f"Bad request: {exc}") from exc
    session_id = "cs_test_" + secrets.token_hex(16)
    host = request.headers.get("Host", "127.0.0.1")
    session = {
        "id": session_id, "object": "checkout.session", "mode": data.get("mode", "payment"),
        "status": "open", "payment_status": "unpaid", "amount_total": amount,
        "amount_subtotal": amount, "currency": "eur", "payment_method_types": methods,
        "client_reference_id": data.get("client_reference_id"),
        "customer_email": data.get("customer_email"), "customer_details": None,
        "metadata": data.get("metadata") or {}, "payment_intent": None,
        "success_url": success_url, "cancel_url": cancel_url, "livemode": False,
        "created": int(time.time()), "locale": data.get("locale"),
        "url": f"http://{host}/checkout/{session_id}",
        "description": (items[0].get("price_data", {}).get("product_data", {}).get("name", "")
                        if items else ""),
    }  # fmt: skip
    SESSIONS[session_id] = session
    if key:
        BY_IDEMPOTENCY_KEY[key] = session_id
    return web.json_response(session)


async def retrieve_session(request):
    return web.json_response(_session(request.match_info["id"]))


async def expire_session(request):
    session = _session(request.match_info["id"])
    if session["status"] == "open":
        session["status"] = "expired"
        _send("checkout.session.expired", session)
    return web.json_response(session)


PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fake Stripe Checkout</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#30313d}}
label{{display:block;margin:.8rem 0 .3rem}}input{{width:100%;padding:.6rem;box-sizing:border-box}}
button{{width:100%;margin-top:1.2rem;padding:.8rem;background:#635bff;color:#fff;border:0;
border-radius:6px;font-size:1.05rem}}.amount{{font-size:1.8rem;font-weight:bold}}</style></head>
<body><p>Fake Stripe (test)</p><p>{description}</p><p class="amount">{amount} €</p>
<form method="post" action="/checkout/{id}/pay">
<label for="email">E-mail</label><input id="email" name="email" value="client@example.com">
<label for="name">{holder_label}</label><input id="name" name="name" value="Client Test">
<label for="number">{number_label}</label><input id="number" name="number" value="{number}">
<button type="submit">Payer {amount} €</button></form>
<p><a href="{cancel}">Annuler et revenir</a></p></body></html>"""


async def hosted_page(request):
    session = _session(request.match_info["id"])
    sepa = "sepa_debit" in session["payment_method_types"]
    page = PAGE.format(
        id=session["id"], description=html.escape(session["description"]),
        amount=f"{session['amount_total'] / 100:.2f}".replace(".", ","),
        holder_label="Titulaire du compte" if sepa else "Nom sur la carte",
        number_label="IBAN" if sepa else "Numéro de carte",
        number="FR1420041010050500013M02606" if sepa else "4242 4242 4242 4242",
        cancel=html.escape(session["cancel_url"]),
    )  # fmt: skip
    return web.Response(text=page, content_type="text/html")


async def hosted_pay(request):
    """The customer pays: a card is paid at once; a SEPA debit is only processing."""
    session = _session(request.match_info["id"])
    if session["status"] != "open":
        raise UserError(400, "This checkout session is " + session["status"])
    form = await request.post()
    session["status"] = "complete"
    session["payment_intent"] = "pi_" + secrets.token_hex(12)
    session["customer_details"] = {"email": form.get("email"), "name": form.get("name")}
    sepa = "sepa_debit" in session["payment_method_types"]
    session["payment_status"] = "unpaid" if sepa else "paid"
    _send("checkout.session.completed", session)
    success = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    raise web.HTTPSeeOther(success)


async def settle(request):
    """The bank's answer to a SEPA debit: async_payment_succeeded or async_payment_failed."""
    session = _session(request.match_info["id"])
    outcome = (await request.post()).get("outcome", "succeeded")
    if outcome == "succeeded":
        session["payment_status"] = "paid"
        _send("checkout.session.async_payment_succeeded", session)
    else:
        _send("checkout.session.async_payment_failed", session)
    return web.json_response(session)


async def no_icon(request):
    return web.Response(status=204)


@web.middleware
async def _auth(request, handler):
    """The hosted page is the customer's (no API key); everything else is localstripe's."""
    if request.path.startswith("/checkout/") or request.path == "/favicon.ico":
        return await handler(request)
    return await auth_middleware(request, handler)


# Before localstripe's own routes, as its extra routes are; the app is not frozen yet.
app.middlewares[app.middlewares.index(auth_middleware)] = _auth
for method, url, handler in (
    ("POST", "/v1/checkout/sessions", create_session),
    ("GET", "/v1/checkout/sessions/{id}", retrieve_session),
    ("POST", "/v1/checkout/sessions/{id}/expire", expire_session),
    ("GET", "/checkout/{id}", hosted_page),
    ("POST", "/checkout/{id}/pay", hosted_pay),
    ("POST", "/_config/checkout/{id}/settle", settle),
    ("GET", "/favicon.ico", no_icon),
):
    app.router.add_route(method, url, handler)


class FakeStripe:
    """The fake served from a background thread of the test process (its own event loop)."""

    def __init__(self, port: int = 0):
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    web.run_app(app, host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
