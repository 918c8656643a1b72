"""Rules of the house style that a reader or a print shop relies on."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

from pypdf import PdfWriter

from pdfcheck import REPO, THEME


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_text_colour_reaches_4_5_to_1_on_white():
    for sheet in THEME.glob("*.css"):
        for colour in re.findall(r"(?<![-\w])color:\s*#([0-9a-fA-F]{6})", sheet.read_text()):
            if colour.lower() == "ffffff":
                continue  # white text sits on the press band (#0b4f6c, checked below)
            ratio = 1.05 / (_luminance(colour) + 0.05)
            assert ratio >= 4.5, f"{sheet.name}: #{colour} is {ratio:.1f}:1 on white"
    assert (1.05) / (_luminance("0b4f6c") + 0.05) >= 4.5


def test_body_text_is_never_justified():
    for sheet in THEME.glob("*.css"):
        assert "justify" not in sheet.read_text(), sheet.name


def test_long_booklet_gets_a_warning():
    from handouts.variants.kinds import BOOKLET_MAX_PAGES, make_variant

    writer = PdfWriter()
    for _ in range(BOOKLET_MAX_PAGES + 1):
        writer.add_blank_page(420, 595)
    data = io.BytesIO()
    writer.write(data)
    warnings = []
    article = SimpleNamespace(path=REPO / "article.md")
    files = make_variant("booklet", "a4").finish(data.getvalue(), BOOKLET_MAX_PAGES + 1,
                                                 article, None, warnings)
    assert [w.severity for w in warnings] == ["warning"]
    assert "too many to fold" in str(warnings[0])
    assert files[1][2] == 52  # padded to a multiple of 4
