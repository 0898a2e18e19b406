"""Chain (pgi/chain.py) rules that no test defended until the mutation run of tests/README.md
showed it: each test names its rule."""

import hashlib
import hmac
from decimal import Decimal

import pytest

from pgi.chain import canonical_json, fingerprint


def test_amounts_are_sealed_in_plain_decimal_notation():
    """A sealed payload is canonical JSON (sorted keys, compact): a Decimal is written as a
    string with all its digits and never an exponent ("240.00", "0.00000001"), so the bytes
    hashed do not depend on how the amount was computed."""
    assert canonical_json({"b": Decimal("240.00"), "a": Decimal("1E-8")}) == (
        b'{"a":"0.00000001","b":"240.00"}'
    )


def test_the_sealed_bytes_are_utf8_with_accents_kept():
    """The payload is stored as UTF-8 JSON that reads as the document: "Émettrice", not
    "\\u00c9mettrice" (an auditor reads the bytes; a change of escaping would change them)."""
    assert canonical_json({"n": "Émettrice"}) == '{"n":"Émettrice"}'.encode()


def test_a_value_with_no_canonical_form_is_refused_by_name():
    """Only JSON values, Decimals and dates have a canonical form: anything else is refused
    before sealing, and the error names its type."""
    with pytest.raises(TypeError, match="not serialisable in a chained payload: object"):
        canonical_json({"x": object()})


def test_the_fingerprint_is_the_documented_hmac():
    """The formula of the module docstring, so an auditor holding the key can recompute it
    without this code: "hmac-sha256-v1:" + HMAC-SHA256(key, previous + "\\n" + payload)."""
    expected = hmac.new(b"key", b"genesis\n{}", hashlib.sha256).hexdigest()
    assert fingerprint("genesis", b"{}", b"key") == f"hmac-sha256-v1:{expected}"
