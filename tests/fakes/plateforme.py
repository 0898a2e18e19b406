"""A fake approved platform (PA) on loopback for tests and demos: the AFNOR XP Z12-013 routes
Encaisse uses, kept in memory.

    .venv/bin/python -m tests.fakes.plateforme --port 8430

API (Bearer key required, any non-empty one):
    POST /v1/flows                   multipart flowInfo + file; answers flowId (202). An
                                     invoice gets "déposée" (200) at once, and its event.
    POST /v1/flows/search            where.trackingId, or where.flowType + updatedAfter
    GET  /v1/flows/{id}              docType=Metadata (with `lifecycle`) or Original (the file)
    POST /v1/directory-line/search   where.siren [+ routingCode]: the addressing identifier
Test controls (no XP Z12-013 counterpart: the buyer's side, the network):
    POST /_fake/webhook              url, secret: where events are pushed (else only kept)
    POST /_fake/flows/{id}/status    code, reason[, date]: a lifecycle status and its event
    POST /_fake/received             multipart file: a supplier invoice arrives for us
    POST /_fake/slow                 seconds: the next submission is stored, then answered late
    POST /_fake/unknown              siren: not in the directory
    GET  /_fake/events               the signed events, in order (body, signature)
    GET  /_fake/flows                every flow submitted (to count them)
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime

from aiohttp import ClientSession, web


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()


def _sign(body: bytes, secret: str) -> str:
    at = int(time.time())
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


class State:
    def __init__(self) -> None:
        self.flows: dict[str, dict] = {}
        self.files: dict[str, tuple[str, bytes, str]] = {}
        self.events: list[dict] = []
        self.webhook_url = ""
        self.webhook_secret = "whsec_fake_pa"
        self.slow_next = 0.0
        self.unknown: set[str] = set()


STATE = State()


def _public(flow: dict) -> dict:
    return {k: v for k, v in flow.items() if k != "lifecycle"}


async def _event(kind: str, flow: dict, status: dict | None = None) -> None:
    event = {
        "eventId": "evt_" + secrets.token_hex(8), "eventType": kind,
        "flowId": flow["flowId"], "trackingId": flow.get("trackingId"), "status": status,
    }  # fmt: skip
    body = json.dumps(event).encode()
    signature = _sign(body, STATE.webhook_secret)
    STATE.events.append({"body": body.decode(), "signature": signature})
    if STATE.webhook_url:
        asyncio.get_running_loop().create_task(_push(body, signature))


async def _push(body: bytes, signature: str) -> None:
    await asyncio.sleep(0.2)
    try:
        async with ClientSession() as session:
            await session.post(
                STATE.webhook_url, data=body,
                headers={"Content-Type": "application/json", "X-Signature": signature},
            )  # fmt: skip
    except Exception:  # noqa: BLE001 - a webhook lost is what polling is for
        pass


async def _status(flow: dict, code: str, reason: str = "", date: str | None = None) -> dict:
    status = {"eventId": "st_" + secrets.token_hex(8), "statusCode": code,
              "date": date or _now(), "reason": reason}  # fmt: skip
    flow["lifecycle"].append(status)
    flow["updatedAt"] = _now()
    await _event("status", flow, status)
    return status


@web.middleware
async def auth(request, handler):
    if request.path.startswith("/v1/"):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return web.json_response({"errorMessage": "unauthorized"}, status=401)
    return await handler(request)


async def submit(request):
    reader = await request.multipart()
    info, filename, content, content_type = None, "", b"", ""
    async for part in reader:
        if part.name == "flowInfo":
            info = json.loads(await part.text())
        elif part.name == "file":
            filename = part.filename or "file"
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            content = await part.read()
    if not info or not content:
        return web.json_response({"errorMessage": "flowInfo and file are required"}, status=400)
    if info.get("sha256") and info["sha256"] != hashlib.sha256(content).hexdigest():
        return web.json_response({"errorMessage": "sha256 does not match"}, status=400)
    flow_id = str(uuid.uuid4())
    flow = {
        "flowId": flow_id, "trackingId": info.get("trackingId"), "name": info.get("name"),
        "flowType": info.get("flowType"), "flowSyntax": info.get("flowSyntax"),
        "addressing": info.get("addressing"), "submittedAt": _now(), "updatedAt": _now(),
        "lifecycle": [], "status": info,
    }  # fmt: skip
    STATE.flows[flow_id] = flow
    STATE.files[flow_id] = (filename, content, content_type)
    if flow["flowType"] == "CustomerInvoice":
        await _status(flow, "200")
    if STATE.slow_next:  # stored, but the answer comes after the client gave up
        delay, STATE.slow_next = STATE.slow_next, 0.0
        await asyncio.sleep(delay)
    return web.json_response(_public(flow), status=202)


async def search(request):
    where = (await request.json()).get("where", {})
    results = list(STATE.flows.values())
    if "trackingId" in where:
        results = [f for f in results if f.get("trackingId") == where["trackingId"]]
    if "flowType" in where:
        results = [f for f in results if f.get("flowType") in where["flowType"]]
    if where.get("updatedAfter"):
        after = datetime.fromisoformat(where["updatedAfter"])
        results = [f for f in results if datetime.fromisoformat(f["updatedAt"]) > after]
    return web.json_response({"results": [_public(f) for f in results]})


async def read(request):
    flow = STATE.flows.get(request.match_info["id"])
    if flow is None:
        return web.json_response({"errorMessage": "no such flow"}, status=404)
    if request.query.get("docType") == "Original":
        filename, content, content_type = STATE.files[flow["flowId"]]
        return web.Response(body=content, content_type=content_type)
    return web.json_response(flow)


async def directory(request):
    where = (await request.json()).get("where", {})
    siren = str(where.get("siren", ""))
    if len(siren) != 9 or siren in STATE.unknown:
        return web.json_response({"results": []})
    code = where.get("routingCode")
    identifier = f"0225:{siren}" + (f"_{code}" if code else "")
    return web.json_response({"results": [{"siren": siren, "routingCode": code,
                                           "addressingIdentifier": identifier}]})  # fmt: skip


async def control_webhook(request):
    data = await request.post()
    STATE.webhook_url = data.get("url", "")
    STATE.webhook_secret = data.get("secret", STATE.webhook_secret)
    return web.json_response({"ok": True})


async def control_status(request):
    flow = STATE.flows.get(request.match_info["id"])
    if flow is None:
        return web.json_response({"errorMessage": "no such flow"}, status=404)
    data = await request.post()
    status = await _status(flow, data["code"], data.get("reason", ""), data.get("date") or None)
    return web.json_response(status)


async def control_received(request):
    data = await request.post()
    upload = data["file"]
    flow_id = str(uuid.uuid4())
    flow = {"flowId": flow_id, "trackingId": None, "flowType": "SupplierInvoice",
            "flowSyntax": "Factur-X", "name": upload.filename, "submittedAt": _now(),
            "updatedAt": _now(), "lifecycle": []}  # fmt: skip
    STATE.flows[flow_id] = flow
    STATE.files[flow_id] = (upload.filename, upload.file.read(), "application/pdf")
    await _event("received", flow)
    return web.json_response(_public(flow))


async def control_slow(request):
    STATE.slow_next = float((await request.post()).get("seconds", "0"))
    return web.json_response({"ok": True})


async def control_unknown(request):
    STATE.unknown.add((await request.post())["siren"])
    return web.json_response({"ok": True})


async def control_events(request):
    return web.json_response(STATE.events)


async def control_flows(request):
    return web.json_response([_public(f) | {"lifecycle": f["lifecycle"]}
                              for f in STATE.flows.values()])  # fmt: skip


def make_app() -> web.Application:
    app = web.Application(middlewares=[auth])
    for method, url, handler in (
        ("POST", "/v1/flows", submit),
        ("POST", "/v1/flows/search", search),
        ("GET", "/v1/flows/{id}", read),
        ("POST", "/v1/directory-line/search", directory),
        ("POST", "/_fake/webhook", control_webhook),
        ("POST", "/_fake/flows/{id}/status", control_status),
        ("POST", "/_fake/received", control_received),
        ("POST", "/_fake/slow", control_slow),
        ("POST", "/_fake/unknown", control_unknown),
        ("GET", "/_fake/events", control_events),
        ("GET", "/_fake/flows", control_flows),
    ):
        app.router.add_route(method, url, handler)
    return app


class FakePlateforme:
    """The fake served from a background thread of the test process (its own event loop)."""

    def __init__(self, port: int = 0):
        STATE.__init__()  # type: ignore[misc]
        self.state = STATE
        # The loop runs in its own thread from the start: the caller's thread may already
        # run one (Playwright's sync API does).
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner = web.AppRunner(make_app(), access_log=None)
        site = asyncio.run_coroutine_threadsafe(self._start(port), self.loop).result(timeout=10)
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"

    async def _start(self, port: int) -> web.TCPSite:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        return site

    def reset(self) -> None:
        STATE.__init__()  # type: ignore[misc]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8430)
    args = parser.parse_args()
    web.run_app(make_app(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
