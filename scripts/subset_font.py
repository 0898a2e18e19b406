"""Cuts DejaVu Sans (regular and bold) down to the characters French invoices use.

WeasyPrint spends most of a page subsetting fonts (PERFORMANCE.md); a font that is already
small leaves it almost nothing to do. Run from the project root, once, after a font change:

    .venv/bin/python scripts/subset_font.py

and commit the files it writes under static/fonts/.
"""

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path("/usr/share/fonts/truetype/dejavu")
TARGET = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONTS = {
    "DejaVuSans.ttf": "DejaVuSans-Latin.ttf",
    "DejaVuSans-Bold.ttf": "DejaVuSans-Bold-Latin.ttf",
}

# Latin-1, the rest of Latin-9 (Œ œ Š š Ž ž Ÿ €), typographic quotes and dashes, the
# spaces French typography needs (U+202F is the thousands separator of `format_eur`).
UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x100),
    0x152, 0x153, 0x160, 0x161, 0x178, 0x17D, 0x17E,
    0x2009, 0x2010, 0x2011, 0x2013, 0x2014,
    0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E,
    0x2022, 0x2026, 0x2039, 0x203A, 0x202F, 0x20AC, 0x2212,
]  # fmt: skip


def cut(source: Path, target: Path) -> int:
    options = subset.Options()
    # Kerning only: the PDF never needs ligatures (they also spoil text extraction), and
    # hinting is dropped by WeasyPrint anyway.
    options.layout_features = ["kern"]
    options.hinting = False
    options.drop_tables += ["FFTM", "MATH"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.name_languages = [0x409]
    options.notdef_outline = True
    options.glyph_names = False
    font = TTFont(source, recalcTimestamp=False)  # same bytes on every run
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    font.save(target)
    return target.stat().st_size


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for source, target in FONTS.items():
        size = cut(SOURCE / source, TARGET / target)
        print(f"{TARGET / target}: {size / 1024:.1f} KiB")  # noqa: T201


if __name__ == "__main__":
    main()
