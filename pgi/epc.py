"""The EPC QR code ("SEPA QR", EPC069-12 version 002) of a credit transfer: scanned by a
banking app, it fills in the beneficiary, the IBAN, the amount and the reference.

Printed on the invoice PDF (the amount due at issue, i.e. the total incl. VAT) and shown on
the customer's payment page (the amount still due). Made by segno's EPC helper, which keeps
the standard's constraints (error correction M, version 13 at most, field lengths).
"""

import base64
import io
from decimal import Decimal

import segno
from segno import helpers

# EPC069-12: beneficiary name 70 characters, unstructured remittance 140, amount 0.01 to
# 999,999,999.99 EUR.
NAME_MAX = 70
TEXT_MAX = 140
AMOUNT_MIN = Decimal("0.01")
AMOUNT_MAX = Decimal("999999999.99")


def epc_qr(
    *, name: str, iban: str, amount: Decimal, text: str, bic: str = ""
) -> segno.QRCode | None:
    """The QR code of a transfer of `amount` EUR to `iban` with the reference `text`, or None
    when there is nothing a bank could pay (no IBAN, no reference, an amount out of the
    standard's range)."""
    iban = (iban or "").replace(" ", "").upper()
    text = " ".join((text or "").split())
    if not iban or not text or not (AMOUNT_MIN <= amount <= AMOUNT_MAX):
        return None
    return helpers.make_epc_qr(
        name=" ".join(name.split())[:NAME_MAX],
        iban=iban,
        amount=amount,
        text=text[:TEXT_MAX],
        bic=(bic or "").replace(" ", "").upper() or None,
        encoding="UTF-8",
    )


def epc_svg(qr: segno.QRCode, *, scale: int = 5, title: str = "") -> str:
    """Inline SVG markup of the code (no XML declaration), for an HTML page."""
    return qr.svg_inline(scale=scale, border=4, title=title or None, svgclass="epc-qr")


def epc_png_data_uri(qr: segno.QRCode, *, scale: int = 6) -> str:
    """A `data:image/png` URI of the code, for a PDF (pgi.pdf's fetcher reads it locally)."""
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=4)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
