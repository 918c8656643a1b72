"""Every variant of the sample, read back: page boxes, page order, text, metadata."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from pdfcheck import (REPO, half_texts, line_segments, page_texts, pdf_text, text_runs,
                      unhyphenated)

SLUG = "recovering-mentally-from-a-miscarriage"
MM = 72 / 25.4
A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from handouts.cli import main

    root = tmp_path_factory.mktemp("variants")
    for name in ("source", "styles", "handouts.toml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    assert main(["--root", str(root), "--variant", "all", "-q"]) == 0
    return root / "dist"


def out(built, suffix):
    return built / f"{SLUG}{suffix}.pdf"


def test_all_variants_are_written(built):
    assert sorted(p.name for p in built.glob("*.pdf")) == sorted(
        f"{SLUG}{s}.pdf" for s in ("", "-booklet", "-booklet-pages", "-press", "-large-print"))


@pytest.mark.parametrize("suffix", ["", "-booklet-pages", "-press", "-large-print"])
def test_every_variant_keeps_credit_disclaimer_references_and_page_numbers(built, suffix):
    path = out(built, suffix)
    text = " ".join(unhyphenated(pdf_text(path)).split())
    assert "Medically reviewed by Rubilyn Saldana-Santiago, MD · Pediatrics" in text
    assert "Hello Health Group does not provide medical advice, diagnosis or treatment." in text
    assert "5. Source 5 of the original article." in text
    pages = page_texts(path)
    numbered = [t for t in pages if re.search(r"Page \d+ of \d+", t)]
    blanks = [t for t in pages if not t.strip()]
    covers = 2 if suffix == "-booklet-pages" else 0  # the booklet's covers carry no number
    assert len(numbered) + len(blanks) + covers == len(pages)
    reader = PdfReader(path)
    assert reader.metadata.title == "Recovering Mentally From a Miscarriage: How to Cope With Loss"
    assert "/StructTreeRoot" in reader.trailer["/Root"], "not tagged"
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_booklet_pages_are_a5_padded_with_notes_before_the_back_cover(built):
    pages = page_texts(out(built, "-booklet-pages"))
    reader = PdfReader(out(built, "-booklet-pages"))
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(148 * MM, abs=1)
        assert float(page.mediabox.height) == pytest.approx(210 * MM, abs=1)
    assert len(pages) % 4 == 0
    assert "How to Cope With Loss" in pages[0] and "Page 1 of" not in pages[0]  # the cover
    assert "Medical disclaimer" in pages[-1] and "Page" not in pages[-1]  # the back cover
    first_notes = next(i for i, t in enumerate(pages) if t.startswith("Notes"))
    assert first_notes > 1 and all(t.startswith("Notes") for t in pages[first_notes:-1])


def _identify(text: str, cover_title: str) -> str:
    """Name a booklet page by what it shows: cover, page N, back or blank."""
    if not text:
        return "blank"
    if re.search(r"(^|\s)Notes(\s|$)", text) and (m := re.search(r"Page (\d+) of \d+", text)):
        return f"notes {m.group(1)}"
    if "Medical disclaimer" in text and "References" not in text and len(text) < 400:
        return "back"
    if m := re.search(r"Page (\d+) of \d+", text):
        return f"page {m.group(1)}"
    return "cover" if cover_title in text else "?"


def test_imposed_sheets_put_the_right_page_on_each_half(built):
    reader = PdfReader(out(built, "-booklet"))
    reading = PdfReader(out(built, "-booklet-pages"))
    n = len(reading.pages)
    for page in reader.pages:  # landscape A4 sheets
        assert float(page.mediabox.width) == pytest.approx(A4[1], abs=1)
        assert float(page.mediabox.height) == pytest.approx(A4[0], abs=1)
    names = [_identify(" ".join(t.split()), "How to Cope With Loss")
             for t in page_texts(out(built, "-booklet-pages"))]
    sides = [half_texts(out(built, "-booklet"), i) for i in range(1, len(reader.pages) + 1)]
    found = [(_identify(l, "How to Cope With Loss"), _identify(r, "How to Cope With Loss"))
             for l, r in sides]
    # Sheet 1 front: back cover on the left, the cover (page 1) on the right; its back:
    # page 2 on the left and page n-1 on the right; and so inwards.
    expected = []
    for i in range(n // 4):
        expected.append((names[n - 1 - 2 * i], names[2 * i]))
        expected.append((names[2 * i + 1], names[n - 2 - 2 * i]))
    assert found[0] == ("back", "cover")
    assert found == expected


def test_press_boxes_and_crop_marks(built):
    reader = PdfReader(out(built, "-press"))
    bleed = 3 * MM
    for page in reader.pages:
        trim = [float(v) for v in page.trimbox]
        bleedbox = [float(v) for v in page.bleedbox]
        media = [float(v) for v in page.mediabox]
        assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.5)
        assert trim[3] - trim[1] == pytest.approx(A4[1], abs=0.5)
        assert bleedbox == pytest.approx([trim[0] - bleed, trim[1] - bleed,
                                          trim[2] + bleed, trim[3] + bleed], abs=0.1)
        assert media[0] < bleedbox[0] - 5 and media[2] > bleedbox[2] + 5  # a slug
        # Crop marks: segments entirely outside the bleed, in line with the trim edges.
        marks = [s for s in line_segments(page)
                 if max(s[0], s[2]) <= bleedbox[0] or min(s[0], s[2]) >= bleedbox[2]
                 or max(s[1], s[3]) <= bleedbox[1] or min(s[1], s[3]) >= bleedbox[3]]
        assert len(marks) == 8
        for x0, y0, x1, y1 in marks:
            on_trim_x = any(abs(x0 - t) < 0.01 and abs(x1 - t) < 0.01 for t in (trim[0], trim[2]))
            on_trim_y = any(abs(y0 - t) < 0.01 and abs(y1 - t) < 0.01 for t in (trim[1], trim[3]))
            assert on_trim_x or on_trim_y
        # Text stays at least 5 mm inside the trim.
        for x, y, text in text_runs(page):
            assert trim[0] + 5 * MM <= x <= trim[2] - 5 * MM, text
            assert trim[1] + 5 * MM <= y <= trim[3] - 5 * MM, text


def _body_size_pt(path: Path) -> float:
    sizes = []
    page = PdfReader(path).pages[1]

    def visit(text, cm, tm, font, size):
        if len(text.strip()) > 20:
            sizes.append(round(size * tm[0] * cm[0], 1))

    page.extract_text(visitor_text=visit)
    return max(set(sizes), key=sizes.count)


def test_body_sizes(built):
    assert _body_size_pt(out(built, "")) == pytest.approx(12, abs=0.2)
    assert _body_size_pt(out(built, "-large-print")) == pytest.approx(18, abs=0.2)


def test_large_print_has_the_same_words(built):
    def words(path):
        return set(re.findall(r"[\w’']+", unhyphenated(pdf_text(path)).lower()))

    handout, large = words(out(built, "")), words(out(built, "-large-print"))
    raw_large = pdf_text(out(built, "-large-print")).lower()
    raw_handout = pdf_text(out(built, "")).lower()
    # A word hyphenated across a page break is split by the page furniture; allow those.
    assert all(w[:3] in raw_large and "\u2010" in raw_large for w in handout - large)
    assert all(w[:3] in raw_handout for w in large - handout)
    assert len(handout ^ large) <= 6


def test_rebuild_of_every_variant_is_byte_identical(built, tmp_path):
    from handouts.cli import main

    root = built.parent
    assert main(["--root", str(root), "--variant", "all", "--out", str(tmp_path), "-q"]) == 0
    for path in built.glob("*.pdf"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_press_content_sits_on_the_trim_as_laid_out(built):
    """The title starts at the trim's left edge plus the 30 mm page margin, as on the handout."""
    press = PdfReader(out(built, "-press")).pages[0]
    trim_left, trim_top = float(press.trimbox[0]), float(press.trimbox[3])
    handout = PdfReader(out(built, "")).pages[0]

    def title_position(page):
        return next((x, y) for x, y, t in text_runs(page) if t.startswith("Recovering Mentally From a")
                    and y < float(page.mediabox.top) - 60)

    hx, hy = title_position(handout)
    px, py = title_position(press)
    assert px - trim_left == pytest.approx(hx, abs=0.5) == pytest.approx(30 * MM, abs=0.5)
    # press.css gives the masthead 3 mm more room under the colour band.
    assert trim_top - py == pytest.approx(float(handout.mediabox.top) - hy + 3 * MM, abs=0.5)


def _render_ppm(path: Path, page: int, dpi: int):
    """Page `page` as (width, height, rgb bytes) via poppler's pdftoppm (binary PPM)."""
    import subprocess

    data = subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi),
                           str(path)], check=True, capture_output=True).stdout
    header = data.split(b"\n", 3)  # P6, "w h", 255, pixels
    width, height = (int(v) for v in header[1].split())
    return width, height, header[3]


def test_press_band_fills_the_bleed_and_the_slug_stays_clear(built):
    path = out(built, "-press")
    page = PdfReader(path).pages[0]
    dpi = 72
    width, height, rgb = _render_ppm(path, 1, dpi)

    def pixel(x_pt, y_pt_from_top):
        x, y = int(x_pt * dpi / 72), int(y_pt_from_top * dpi / 72)
        i = (y * width + x) * 3
        return tuple(rgb[i:i + 3])

    bleed = [float(v) for v in page.bleedbox]
    trim = [float(v) for v in page.trimbox]
    top = float(page.mediabox.top)
    band = (0x0B, 0x4F, 0x6C)
    # Inside the bleed, above the trim line, near both side edges: the band colour. Poppler
    # proofs the sRGB colour through the PDF/X output intent (CMYK), so it comes back a
    # little lighter: #0b4f6c is out of the SWOP gamut.
    y_bleed = top - (bleed[3] + trim[3]) / 2
    for x in (bleed[0] + 1, bleed[2] - 2):
        assert all(abs(a - b) <= 32 for a, b in zip(pixel(x, y_bleed), band)), pixel(x, y_bleed)
    # Outside the bleed, away from the marks: white slug.
    assert pixel(bleed[0] - 6, top - trim[3] + 40) == (255, 255, 255)
    assert pixel((bleed[0] + bleed[2]) / 2, top - bleed[3] - 4) == (255, 255, 255)
