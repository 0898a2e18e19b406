"""Chinese or Japanese names print as their characters, not as empty boxes (issue #15).

The page's own font is DejaVu Sans cut to Latin-9 (scripts/subset_font.py); a name in CJK
characters falls back to Droid Sans Fallback (Debian fonts-droid-fallback, installed by
scripts/setup.sh and the Dockerfile), declared in the stylesheet's font stack."""

import io

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from facturation.services import facture_pdf_generer
from tests import factories

NAME = "北京烤鸭有限公司"  # Chinese
PRODUCT = "ラーメン・寿司"  # Japanese: katakana, a middle dot, kanji


def _embedded_fonts(reader: PdfReader) -> dict[str, TTFont]:
    """Every font program embedded in the first page, by its PostScript name."""
    fonts = {}
    resources = reader.pages[0]["/Resources"]["/Font"]
    for ref in resources.values():
        font = ref.get_object()
        for descendant in font.get("/DescendantFonts", [font]):
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            for key in ("/FontFile2", "/FontFile3", "/FontFile"):
                if key in descriptor:
                    data = descriptor[key].get_object().get_data()
                    fonts[str(descriptor["/FontName"])] = TTFont(io.BytesIO(data))
    return fonts


@pytest.mark.django_db
def test_a_cjk_customer_and_line_print_with_a_font_that_has_their_glyphs():
    seller = factories.issuing_company()
    buyer = factories.business_client(seller, name=NAME)
    facture = factories.issued(seller, buyer, lines=[factories.line(designation=PRODUCT)])
    with facture_pdf_generer(facture_id=facture.pk).file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = reader.pages[0].extract_text()
    assert NAME in text and PRODUCT in text
    fonts = _embedded_fonts(reader)
    for character in NAME + PRODUCT:
        drawn_by = [name for name, font in fonts.items() if _draws(font, character)]
        assert drawn_by, f"{character!r} has no outline in {sorted(fonts)}"
        assert all("Droid-Sans-Fallback" in name for name in drawn_by)


def _draws(font: TTFont, character: str) -> bool:
    """The embedded font maps `character` to a glyph with an outline (not an empty box)."""
    glyph = (font.getBestCmap() or {}).get(ord(character))
    if glyph is None or glyph == ".notdef":
        return False
    return font["glyf"][glyph].numberOfContours != 0
