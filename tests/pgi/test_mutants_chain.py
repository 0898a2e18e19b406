"""Chain (pgi/chain.py) rules that no test defended until the mutation run of tests/README.md
showed it: each test names its rule."""

from decimal import Decimal

from pgi.chain import canonical_json


def test_amounts_are_sealed_in_plain_decimal_notation():
    """A sealed payload is canonical JSON (sorted keys, compact): a Decimal is written as a
    string with all its digits and never an exponent ("240.00", "0.00000001"), so the bytes
    hashed do not depend on how the amount was computed."""
    assert canonical_json({"b": Decimal("240.00"), "a": Decimal("1E-8")}) == (
        b'{"a":"0.00000001","b":"240.00"}'
    )
