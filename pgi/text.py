"""Text that every output can carry: no control character from a paste.

Word puts a vertical tab (\\x0b) where the user typed a manual line break; other programs leave
form feeds and stray control characters. XML 1.0 forbids them (the Factur-X of an invoice
holding one could never be built) and they mean nothing on paper. They are cleaned where text
enters (forms, API, CSV import) and again where text leaves (the Factur-X builder), so that
what is already stored renders too.
"""

import re
from typing import Any

# Line breaks of word processors become real line breaks.
_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Everything else XML 1.0 refuses or that prints nothing: C0 controls but tab, LF and CR; DEL;
# C1 controls; the surrogate range and the two non-characters U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


_NEWLINES = re.compile("\r\n|[\r\n]")


def clean_text(value: str, *, single_line: bool = False) -> str:
    """`value` without control characters; manual line breaks become newlines, or spaces
    in a single-line field (a name, an address line, an email subject: a line break there
    would make a header that the mail library refuses, after the send was accepted)."""
    if single_line:
        return _FORBIDDEN.sub("", _NEWLINES.sub(" ", _BREAKS.sub(" ", value)))
    return _FORBIDDEN.sub("", _BREAKS.sub("\n", value))


def clean_strings(value: Any) -> Any:
    """`clean_text` on every string of `value`, lists and dicts included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_strings(item) for item in value]
    if isinstance(value, dict):
        return {key: clean_strings(item) for key, item in value.items()}
    return value
