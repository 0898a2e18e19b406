"""Reading EPC QR codes back, as a banking app would: decode the image (zxing-cpp), then
split the payload by the EPC069-12 layout."""

import io
from dataclasses import dataclass
from decimal import Decimal

import zxingcpp
from PIL import Image
from pypdf import PdfReader


@dataclass(frozen=True)
class Transfer:
    bic: str
    name: str
    iban: str
    amount: Decimal
    text: str


def parse_epc(payload: str) -> Transfer:
    """Checks the fixed fields of an EPC QR payload (version 002, SEPA credit transfer) and
    returns what a bank pre-fills."""
    lines = payload.split("\n")
    assert lines[0] == "BCD", payload
    assert lines[1] == "002", payload
    assert lines[2] in {"1", "2", "3", "4", "5", "6", "7", "8"}, payload
    assert lines[3] == "SCT", payload
    assert lines[6] and lines[7].startswith("EUR"), payload
    lines += [""] * (12 - len(lines))
    return Transfer(
        bic=lines[4], name=lines[5], iban=lines[6], amount=Decimal(lines[7][3:]), text=lines[10]
    )


def decode_image(image: Image.Image) -> list[Transfer]:
    return [parse_epc(r.text) for r in zxingcpp.read_barcodes(image) if r.valid]


def decode_png(data: bytes) -> list[Transfer]:
    return decode_image(Image.open(io.BytesIO(data)).convert("RGB"))


def decode_pdf(data: bytes) -> list[Transfer]:
    """The EPC codes of every image of every page of a PDF."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for image in page.images:
            found += decode_image(image.image.convert("RGB"))
    return found
