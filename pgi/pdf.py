"""PDF rendering (WeasyPrint) of commercial documents: what every printed document shares.

An app's document (an invoice, tomorrow a quote) is a small template extending
`templates/documents/pdf/base.html`; `layout_context(content)` gives what that layout reads
from the sealed content, and `render_pdf(html, logo=...)` turns the page into PDF/A bytes with
the shared stylesheet (`templates/documents/pdf/document.css`). Everything printed comes from
the sealed content, never from live rows, so a PDF rendered again years later says exactly
what was sealed; the text is French whatever the active language.

Speed. Measured 2026-11-24 on the 2-core machine of PERFORMANCE.md (busy with other test
runs), warm, median of 9 runs, an invoice with its Factur-X attachment
(facturation.pdf.render_document_pdf): 1 page (5 lines) 174 ms wall / 172 ms CPU; 10 pages
(150 lines) 1.4-1.8 s wall / 1.46 s CPU. The same page rendered the plain way (system DejaVu
Sans, stylesheet parsed with each document, WeasyPrint's default URL fetcher) takes 215 ms CPU.
Where the 55 ms went:
- WeasyPrint's default fetcher builds an SSL context per document (~27 ms): ours only
  reads local files, which also keeps a PDF from ever fetching anything;
- the stylesheet and its fonts are parsed once per thread, not once per document (~25 ms);
  only the brand colours travel in the page, as CSS variables;
- the page uses a DejaVu Sans already cut to Latin-9 (static/fonts, made by
  scripts/subset_font.py). WeasyPrint 70 subsets with HarfBuzz when libharfbuzz-subset is
  present, as here, so this saves only ~3 ms (fontTools took most of a page); it also
  makes the PDF look the same on a server without DejaVu installed;
- the layout avoids flexbox and automatic table widths, which measure every cell twice.
What remains is WeasyPrint's own layout of the text (~110 ms a page) and PDF writing.
"""

import atexit
import base64
import mimetypes
import re
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string

from pgi.identifiers import format_siren
from pgi.mentions import DocumentMentions, document_mentions
from pgi.money import to_decimal

STYLESHEET = "documents/pdf/document.css"
DEFAULT_BRAND = "#0d6efd"
BRAND_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
PNG_DATA_URI = "data:image/png;base64,"
FONTS = {"regular": "DejaVuSans-Latin.ttf", "bold": "DejaVuSans-Bold-Latin.ttf"}


# What the layout reads ---------------------------------------------------------------------


def seller_company_number(seller: Mapping[str, Any]) -> str:
    if seller.get("siret"):
        return f"SIRET {format_siren(seller['siret'])}"
    return f"SIREN {format_siren(seller['siren'])}"


def one_line_address(address: Mapping[str, Any]) -> str:
    town = " ".join(filter(None, (address.get("postal_code"), address.get("city"))))
    return ", ".join(filter(None, (address.get("line1"), address.get("line2"), town)))


def seller_footer(seller: Mapping[str, Any], mentions: DocumentMentions) -> str:
    """The seller's legal identity on one line, at the foot of every page."""
    vat = f"TVA {seller['vat_number']}" if seller.get("vat_number") else ""
    parts = (
        mentions.seller_name,
        mentions.legal_form.text if mentions.legal_form else "",
        one_line_address(seller["address"]),
        seller_company_number(seller),
        mentions.registration.text if mentions.registration else "",
        vat,
    )
    return " · ".join(part for part in parts if part)


def printed_lines(lines: list[dict], mentions: DocumentMentions) -> list[dict]:
    """Lines with the number of the note giving their exemption reason, if any."""
    return [
        {
            **line,
            "note": mentions.note_number(index),
            "discounted": bool(to_decimal(line.get("discount_rate") or 0)),
        }
        for index, line in enumerate(lines)
    ]


def _luminance(colour: str) -> float:
    """WCAG relative luminance of `#rrggbb`."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def brand_colours(colour: str | None) -> dict[str, str]:
    """The brand colour for fills, the text colour on it, and a shade of it readable as text.

    A pale brand (yellow...) still fills the table header, with black text on it, but
    titles printed in it on white paper are darkened until they reach a 4.5:1 contrast.
    """
    colour = colour if colour and BRAND_RE.match(colour) else DEFAULT_BRAND
    on_brand = "#000000" if _luminance(colour) > 0.4 else "#ffffff"
    text = colour
    factor = 1.0
    while (1.05 / (_luminance(text) + 0.05)) < 4.5:
        factor -= 0.05
        text = "#" + "".join(f"{round(int(colour[i : i + 2], 16) * factor):02x}" for i in (1, 3, 5))
    return {"brand": colour, "on_brand": on_brand, "brand_text": text}


def logo_file(logo_path: str | None) -> Path | None:
    """The logo's absolute path, or None when there is none or its file is missing."""
    logo = Path(logo_path).resolve() if logo_path else None
    return logo if logo and logo.is_file() else None


def layout_context(content: Mapping[str, Any], *, logo_path: str | None = None) -> dict[str, Any]:
    """What the blocks of templates/documents/pdf/ read, from a document's sealed content.

    The document's own template adds its `title` and whatever its own blocks print.
    """
    seller = content["seller"]
    mentions = document_mentions(content)
    lines = printed_lines(content["lines"], mentions)
    return {
        "doc": content,
        "mentions": mentions,
        "seller_name": mentions.seller_name,
        "seller_company_number": seller_company_number(seller),
        "seller_footer": seller_footer(seller, mentions),
        "is_business": content["buyer"]["kind"] == "entreprise",
        "lines": lines,
        "has_discount": any(line["discounted"] for line in lines),
        **brand_colours(seller.get("brand_color")),
        "logo": logo_file(logo_path),
    }


# Rendering ---------------------------------------------------------------------------------


class LocalFileFetcher:
    """Gives WeasyPrint the fonts, the logo and the page's own PNG images (`data:` URIs), and
    nothing else: a PDF never goes online.

    Also faster: WeasyPrint's default fetcher builds an SSL context on every render
    (about 70 ms, loading the CA bundle) for HTTPS it never needs here.
    """

    _fail_on_errors = False  # a missing logo is a warning, not a failed document

    def __init__(self, allowed: set[Path]):
        self.allowed = allowed

    def __call__(self, url: str):
        # WeasyPrint loads Pango when imported: only the processes that render pay for it.
        from weasyprint.urls import URLFetcherResponse

        if url.startswith(PNG_DATA_URI):
            # An image made by the page itself (the EPC QR code, pgi.epc): nothing is fetched.
            return URLFetcherResponse(
                url, body=base64.b64decode(url.removeprefix(PNG_DATA_URI)),
                headers={"Content-Type": "image/png"},
            )  # fmt: skip
        path = Path(url2pathname(url.removeprefix("file://"))) if url.startswith("file:") else None
        if path not in self.allowed:
            raise ValueError(f"not a resource of this document: {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


@cache
def font_paths() -> dict[str, Path]:
    folder = Path(settings.BASE_DIR).resolve() / "static" / "fonts"
    return {weight: folder / name for weight, name in FONTS.items()}


_local = threading.local()


def stylesheet():
    """The parsed stylesheet and the font configuration holding its @font-face fonts.

    Parsed once per thread (Pango's font map is not to be shared between threads), then
    reused by every document: WeasyPrint's own documentation shares them the same way.
    """
    cached = getattr(_local, "stylesheet", None)
    if cached is None:
        # WeasyPrint loads Pango when imported: only the processes that render pay for it.
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts = font_paths()
        font_config = FontConfiguration()
        urls = {weight: path.as_uri() for weight, path in fonts.items()}
        css = CSS(
            string=render_to_string(STYLESHEET, {"fonts": urls}),
            font_config=font_config,
            url_fetcher=LocalFileFetcher(set(fonts.values())),
        )
        cached = _local.stylesheet = (css, font_config)
        if threading.current_thread() is threading.main_thread():
            atexit.register(_forget_stylesheet)
    return cached


def _forget_stylesheet() -> None:
    """Lets WeasyPrint delete its temporary font folder before the interpreter tears down."""
    _local.__dict__.pop("stylesheet", None)


def render_pdf(html: str, *, logo: Path | None = None, variant: str = "pdf/a-3b") -> bytes:
    """The page `html` as PDF bytes, with the shared stylesheet; `logo` is the only file
    the page may load besides the fonts. PDF/A-3b by default: it can carry attachments
    (the Factur-X XML of an invoice)."""
    # WeasyPrint loads Pango when imported: only the processes that render pay for it.
    from weasyprint import HTML

    css, font_config = stylesheet()
    fetcher = LocalFileFetcher({logo} if logo else set())
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[css], font_config=font_config, pdf_variant=variant
    )
