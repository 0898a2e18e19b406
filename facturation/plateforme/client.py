"""The approved platform behind one small interface (ARCHITECTURE.md, "Outside services").

`Plateforme` is what the services need of a platform: submit a flow, find one by our tracking
id (after a timeout), read its lifecycle statuses, list and download the flows received, look
a buyer up in the directory, verify a webhook. `AfnorPlateforme` speaks the AFNOR XP Z12-013
API (Flow Service and Directory Service, version 1); a platform with its own API is one more
class and one line in `plateforme_for`.

Routes used, under the connection's base URL:
- `POST /v1/flows` (multipart: `flowInfo` JSON with our `trackingId`, the flow's type, syntax
  and profile, its SHA-256; `file`): the platform answers with its `flowId`;
- `POST /v1/flows/search` (by `trackingId`; the received flows by type and `updatedAfter`);
- `GET /v1/flows/{flowId}` (`docType=Metadata`: the flow and its lifecycle statuses;
  `docType=Original`: the file);
- `POST /v1/directory-line/search` (by SIREN, and routing code): the buyer's address;
- webhooks: a JSON event per status or received flow, signed `X-Signature: t=…,v1=…`
  (HMAC-SHA256 of "t.body" with the webhook secret, five minutes of tolerance).
"""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

from pgi.secrets import decrypt

if TYPE_CHECKING:
    from facturation.plateforme.models import ConnexionPlateforme

TIMEOUT = 15  # seconds: a worker waits, never a user
TOLERANCE = 300  # seconds: an older signed webhook is a replay


class PlateformeError(Exception):
    """The platform could not be reached or did not answer in time: retried."""


class FlowRefused(PlateformeError):
    """The platform refused the flow itself (4xx): retrying would not help; the owner acts."""


class InvalidWebhook(Exception):
    """A webhook request whose signature or content does not check out."""


@dataclass(frozen=True)
class FlowAck:
    flow_id: str
    submitted_at: datetime | None = None
    answer: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LifecycleStatus:
    event_id: str
    code: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class FlowInfo:
    flow_id: str
    tracking_id: str
    flow_type: str
    statuses: list[LifecycleStatus]


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    kind: str  # "status" (of a flow we sent or received) or "received" (a new flow for us)
    flow_id: str
    tracking_id: str = ""
    status: LifecycleStatus | None = None


@dataclass(frozen=True)
class Submission:
    tracking_id: str
    flow_type: str  # XP Z12-013: CustomerInvoice, CustomerInvoiceLC, SupplierInvoiceLC...
    syntax: str  # Factur-X, CDAR, FRR
    filename: str
    content: bytes
    content_type: str
    name: str  # shown in the platform's portal
    routing: str = ""  # the buyer's address in the directory


class Plateforme(Protocol):
    def submit(self, submission: Submission) -> FlowAck: ...
    def find(self, tracking_id: str) -> FlowAck | None: ...
    def read(self, flow_id: str) -> FlowInfo: ...
    def download(self, flow_id: str) -> bytes: ...
    def received_since(self, since: datetime | None) -> list[str]: ...
    def lookup(self, siren: str, routing_code: str = "") -> str | None: ...
    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent: ...


def _datetime(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def sign(body: bytes, secret: str, at: int | None = None) -> str:
    """The signature of a webhook request (the fake platform signs with it too)."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def verify(body: bytes, header: str, secret: str, *, now: float | None = None) -> None:
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        at = int(parts["t"])
    except (KeyError, ValueError) as exc:
        raise InvalidWebhook("no timestamp") from exc
    if abs((time.time() if now is None else now) - at) > TOLERANCE:
        raise InvalidWebhook("too old")
    expected = sign(body, secret, at).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise InvalidWebhook("bad signature")


class AfnorPlateforme:
    def __init__(self, connexion: "ConnexionPlateforme"):
        self.base = connexion.base_url.rstrip("/")
        # Stored encrypted with the connection, or else kept in the environment.
        self.api_key = decrypt(connexion.api_key_encrypted) or settings.EINVOICING_API_KEY
        self.webhook_secret = (
            decrypt(connexion.webhook_secret_encrypted) or settings.EINVOICING_WEBHOOK_SECRET
        )

    def _request(self, method: str, path: str, **kwargs):
        import requests

        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        try:
            response = requests.request(
                method, self.base + path, headers=headers, timeout=TIMEOUT, **kwargs
            )
        except requests.RequestException as exc:  # a timeout included: the flow may be there
            raise PlateformeError(str(exc)) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise PlateformeError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise FlowRefused(_error(response))
        return response

    def submit(self, submission: Submission) -> FlowAck:
        info = {
            "trackingId": submission.tracking_id, "name": submission.name,
            "flowType": submission.flow_type, "flowSyntax": submission.syntax,
            "flowProfile": "EN16931" if submission.syntax == "Factur-X" else "",
            "sha256": hashlib.sha256(submission.content).hexdigest(),
            "addressing": submission.routing,
        }  # fmt: skip
        response = self._request(
            "POST", "/v1/flows",
            files={
                "flowInfo": (None, json.dumps(info), "application/json"),
                "file": (submission.filename, submission.content, submission.content_type),
            },
        )  # fmt: skip
        return _ack(response.json())

    def find(self, tracking_id: str) -> FlowAck | None:
        results = (
            self._request("POST", "/v1/flows/search", json={"where": {"trackingId": tracking_id}})
            .json()
            .get("results", [])
        )
        return _ack(results[0]) if results else None

    def read(self, flow_id: str) -> FlowInfo:
        data = self._request("GET", f"/v1/flows/{flow_id}", params={"docType": "Metadata"}).json()
        return FlowInfo(
            flow_id=data["flowId"], tracking_id=data.get("trackingId") or "",
            flow_type=data.get("flowType", ""),
            statuses=[_status(s) for s in data.get("lifecycle", [])],
        )  # fmt: skip

    def download(self, flow_id: str) -> bytes:
        return self._request("GET", f"/v1/flows/{flow_id}", params={"docType": "Original"}).content

    def received_since(self, since: datetime | None) -> list[str]:
        where: dict = {"flowType": ["SupplierInvoice"]}
        if since is not None:
            where["updatedAfter"] = since.isoformat()
        results = self._request("POST", "/v1/flows/search", json={"where": where}).json()
        return [r["flowId"] for r in results.get("results", [])]

    def lookup(self, siren: str, routing_code: str = "") -> str | None:
        where = {"siren": siren}
        if routing_code:
            where["routingCode"] = routing_code
        lines = (
            self._request("POST", "/v1/directory-line/search", json={"where": where})
            .json()
            .get("results", [])
        )
        return lines[0].get("addressingIdentifier") if lines else None

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        if not self.webhook_secret:
            raise InvalidWebhook("no webhook secret")
        verify(payload, headers.get("X-Signature", ""), self.webhook_secret)
        try:
            event = json.loads(payload)
            return WebhookEvent(
                event_id=event["eventId"], kind=event["eventType"], flow_id=event["flowId"],
                tracking_id=event.get("trackingId") or "",
                status=_status(event["status"]) if event.get("status") else None,
            )  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(str(exc)) from exc


def _error(response) -> str:
    try:
        data = response.json()
        return str(data.get("errorMessage") or data.get("message") or data)
    except ValueError:
        return f"HTTP {response.status_code}"


def _ack(data: dict) -> FlowAck:
    submitted = data.get("submittedAt")
    return FlowAck(
        flow_id=data["flowId"], submitted_at=_datetime(submitted) if submitted else None,
        answer=data,
    )  # fmt: skip


def _status(data: dict) -> LifecycleStatus:
    return LifecycleStatus(
        event_id=str(data["eventId"]), code=str(data["statusCode"]), at=_datetime(data["date"]),
        reason=data.get("reason") or "",
    )  # fmt: skip


def plateforme_for(connexion: "ConnexionPlateforme") -> Plateforme:
    from facturation.plateforme.models import TypePlateforme

    implementations = {TypePlateforme.AFNOR: AfnorPlateforme}
    return implementations[TypePlateforme(connexion.kind)](connexion)
