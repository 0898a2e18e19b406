"""Secrets of outside services (a Stripe secret key, a webhook signing secret, an e-invoicing
platform's API key) encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256), under keys that
live outside the database (`settings.PAYMENT_SECRETS_KEYS`, named after its first user): a
copy of the database alone does not give them away. Never shown back to anyone."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    # Any string is accepted as a key: its SHA-256 makes the 32 bytes Fernet wants.
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))
            for key in settings.PAYMENT_SECRETS_KEYS
        ]
    )


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode("ascii") if value else ""


def decrypt(token: str) -> str:
    """The clear secret, or "" when there is none or it cannot be read with the keys in use."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        return ""
