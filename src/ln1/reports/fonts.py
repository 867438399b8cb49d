"""The report's font: DejaVu Sans, embedded, so "Región", "Junín" and "ñ" print everywhere.

The PDF base fonts (Helvetica …) carry no embedded glyphs and only Latin-1, and a reader
without them substitutes; DejaVu Sans ships with matplotlib, so the PDF text and the charts
use the same face and no extra package is needed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique": "DejaVuSans-BoldOblique.ttf",
}


def font_path(filename: str) -> Path:
    """Where matplotlib keeps one of its bundled DejaVu files."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / filename


@lru_cache(maxsize=1)
def register_fonts() -> frozenset[int]:
    """Register the DejaVu family with reportlab once; return the code points it can draw.

    The code points let text be checked before drawing: a character the font lacks would
    print as an empty box, so it is replaced by a visible stand-in instead.
    """
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, filename in _FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(font_path(filename))))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, "DejaVuSans-Oblique")
    addMapping(REGULAR, 1, 1, "DejaVuSans-BoldOblique")
    font = pdfmetrics.getFont(REGULAR)
    return frozenset(font.face.charToGlyph)  # type: ignore[attr-defined]
