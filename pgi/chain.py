"""The chain primitives shared by the inalterable register and the technical event log.

A chained row stores the exact bytes it was sealed on (canonical JSON: sorted keys, compact
separators, UTF-8) and its fingerprint, "hmac-sha256-v1:" + HMAC-SHA256(key, previous
fingerprint + "\\n" + payload), keyed outside the database (settings.REGISTRE_HMAC_KEY): an
alteration shows even to someone who can write to the database (CGI art. 286-I-3° bis).
"""

import hmac
import json
from datetime import datetime
from decimal import Decimal

from django.conf import settings

ALGORITHM = "hmac-sha256-v1"
GENESIS = "genesis"  # the "previous fingerprint" of the first row of a chain


def _default(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not serialisable in a chained payload: {type(value).__name__}")


def canonical_json(data: dict) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode()


def chain_key() -> bytes:
    return settings.REGISTRE_HMAC_KEY.encode()


def fingerprint(previous: str, payload: bytes, key: bytes | None = None) -> str:
    mac = hmac.digest(key or chain_key(), previous.encode() + b"\n" + payload, "sha256")
    return f"{ALGORITHM}:{mac.hex()}"
