"""The WeasyPrint patches that only make a build cheaper change nothing a reader sees:
each is compared with WeasyPrint's own code on the same documents (pdf/fixes/)."""

from __future__ import annotations

import io
import re
import zlib

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

#: Text that takes every path of a layout's set-up: three languages (and none), bold,
#: italic, small capitals, OpenType features, letter spacing, underlines (font metrics),
#: right-to-left direction, several sizes, table cells and a hyphenated paragraph.
HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>
<body><h1>A fictional heading for layout tests</h1>
<p>Invented text about a placeholder clinic, with <strong>bold</strong>, <em>italic</em>,
<a href="https://example.org/">an underlined link</a>, <span style="font-variant: small-caps">
small capitals</span>, <span style="font-feature-settings: 'tnum'">0123456789</span> and
<span style="letter-spacing: 1pt">spaced letters</span> that wraps over several lines of an
example page so the line breaking is exercised again and again and again.</p>
<p lang="th">ข้อความสมมติสำหรับทดสอบการจัดหน้า ไม่ใช่คำแนะนำทางการแพทย์</p>
<p lang="vi">Văn bản giả định để thử bố cục, không phải lời khuyên y tế.</p>
<p lang="">Text without a language, and <span dir="rtl">שלום עולם</span> in the other direction.</p>
<table><tr><th>Week</th><th>Goal</th></tr><tr><td>One</td><td>A placeholder goal</td></tr></table>
<p style="hyphens: auto; font-size: 15pt">Incomprehensibilities notwithstanding,
characteristically extraordinary internationalisation accompanies representatives.</p>
</body></html>"""
CSS = ('@page { size: 120mm 160mm; margin: 12mm; @bottom-right { content: counter(page) } }'
       ' html { font-family: "Noto Sans", "Noto Sans Thai", "DejaVu Sans"; font-size: 11pt }')


def _pdf(**options) -> bytes:
    from weasyprint import CSS as Sheet, HTML as Page

    return Page(string=HTML).write_pdf(stylesheets=[Sheet(string=CSS)], pdf_variant="pdf/ua-1",
                                       pdf_identifier=b"0" * 16, **options)


def _pixels(data: bytes) -> list[bytes]:
    document = pdfium.PdfDocument(data)
    return [bytes(page.render(scale=1).to_pil().tobytes()) for page in document]


def _texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _contents(data: bytes) -> bytes:
    return b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def unpatched():
    """Run the body with one of handouts.pdf.fixes' patches taken out, then put it back."""
    import handouts.pdf.render  # noqa: F401 -- installs the fixes

    taken = []

    def take_out(module):
        module.uninstall()
        taken.append(module)

    yield take_out
    for module in taken:
        module.install()


def test_cached_pango_setup_lays_out_the_same_bytes(unpatched):
    """The layouts made from cached contexts and font descriptions give the same PDF,
    byte for byte, as WeasyPrint's own set-up; a new font configuration (a new font map)
    starts new caches instead of reusing another configuration's objects."""
    from weasyprint.text.fonts import FontConfiguration

    from handouts.pdf.fixes import pangosetup

    first, second = FontConfiguration(), FontConfiguration()
    patched = _pdf(font_config=first)
    assert pangosetup._FOR[0] is first.font_map
    assert {lang for _, lang in pangosetup._CONTEXTS} >= {"en", "th", "vi"}
    assert {direction for direction, _ in pangosetup._CONTEXTS} == {"ltr", "rtl"}
    assert _pdf(font_config=second) == patched
    assert pangosetup._FOR[0] is second.font_map

    unpatched(pangosetup)
    assert _pdf() == patched


def test_glyph_runs_without_zero_adjustments_print_and_read_the_same(unpatched):
    """Without the zeros WeasyPrint writes after every glyph, the pages render to the same
    pixels and give the same text; the content streams are shorter. If the unpatched
    check starts failing, WeasyPrint stopped writing the zeros and glyphruns.py can go."""
    from handouts.pdf.fixes import glyphruns

    patched = _pdf()
    unpatched(glyphruns)
    original = _pdf()

    assert _texts(patched) == _texts(original)
    assert _pixels(patched) == _pixels(original)
    zeros = re.compile(rb">0<|>0\]")
    assert not zeros.search(_contents(patched))
    assert len(zeros.findall(_contents(original))) > 100
    assert len(_contents(patched)) < 0.9 * len(_contents(original))
    assert len(zlib.compress(_contents(patched))) <= len(zlib.compress(_contents(original)))


def test_pdf_objects_written_once_give_the_same_bytes(unpatched, monkeypatch):
    """pydyf asks every object for its bytes a second time to hash them into the file
    identifier, compressing every stream again; with each object's bytes kept while the
    PDF is written, each stream is compressed once and the file is byte for byte the same."""
    import types

    import pydyf

    from handouts.pdf.fixes import pdfwrite

    compressed = []

    def compressobj(*args, **kwargs):
        compressed.append(1)
        return zlib.compressobj(*args, **kwargs)

    monkeypatch.setattr(pydyf, "zlib", types.SimpleNamespace(compressobj=compressobj))
    patched = _pdf()
    once = len(compressed)
    assert pdfwrite._WRITING.memo is None  # forgotten after writing
    compressed.clear()
    unpatched(pdfwrite)
    assert _pdf() == patched
    assert len(compressed) > 1.5 * once
