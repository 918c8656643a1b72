"""Text in WeasyPrint 70's PDFs without a zero adjustment after every glyph.

WeasyPrint writes each line as a ``TJ`` array of glyph ids and position adjustments. It
compares the glyph's width in the font with Pango's advance as floats, which differ by a
rounding residue almost always, and then writes the adjustment as an integer: ``0``. A
line reads ``[<0037>0<004b>0<0048>0…] TJ`` where ``[<0037004b0048…>] TJ`` means the same
(an adjustment of 0 moves nothing; PDF 32000-1 §9.4.3). The zeros are ~40 % of a page's
content stream, which is then built, compressed and stored for nothing.

`install()` makes WeasyPrint's stream drop them when a ``TJ`` is written: the glyphs, their
positions, the text layer and the rendering are the same (``tests/pdf/test_fixes.py``
compares both), the file is smaller. It is idempotent and is called by the render stage.
"""

from __future__ import annotations

from weasyprint.pdf.stream import Stream

_ORIGINAL = Stream.show_text


def show_text(self, text):
    """WeasyPrint's ``show_text``: the same ``TJ``, without its zero adjustments."""
    text = text.replace(">0<", "")
    _ORIGINAL(self, text[:-1] if text.endswith(">0") else text)


def install() -> None:
    """Write glyph runs without zero adjustments."""
    Stream.show_text = show_text


def uninstall() -> None:
    """Back to WeasyPrint's own arrays (the tests compare both)."""
    Stream.show_text = _ORIGINAL
