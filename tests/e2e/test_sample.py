"""The sample article, built as a user would, read back from the PDF with pypdf."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from pdfcheck import REPO, page_texts, pdf_text

SLUG = "recovering-mentally-from-a-miscarriage"


@pytest.fixture(scope="module")
def sample_pdfs(tmp_path_factory) -> dict[str, Path]:
    """The sample built on A4 and on Letter, from a copy of the repository's project."""
    from handouts.cli import main

    root = tmp_path_factory.mktemp("sample")
    for name in ("source", "styles", "handouts.toml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    out = {}
    for paper in ("a4", "letter"):
        assert main(["--root", str(root), "--paper", paper, "--out", str(root / paper), "-q"]) == 0
        # paper other than handouts.toml's is in the name (batch's output names)
        out[paper] = root / paper / (f"{SLUG}.pdf" if paper == "a4" else f"{SLUG}-{paper}.pdf")
    return out


def test_first_page_carries_title_and_credits(sample_pdfs):
    first = page_texts(sample_pdfs["a4"])[0]
    assert "Recovering Mentally From a Miscarriage" in first
    assert "How to Cope With Loss" in first
    assert "Medically reviewed by Rubilyn Saldana-Santiago, MD · Pediatrics" in first
    assert "Written by Jan Alwyn Batara · Updated July 26, 2022" in first


def test_first_page_small_print_matches_the_printout_to_its_review(sample_pdfs):
    """Edition, content fingerprint and next review as laid out (the edition and review
    tests read the same words from the fast test builder's text)."""
    import json

    article = json.loads((sample_pdfs["a4"].parent / "manifest.json").read_text())["articles"][SLUG]
    first = " ".join(page_texts(sample_pdfs["a4"])[0].replace("\xa0", " ").split())
    assert f"Edition 1 · content {article['content']}" in first
    assert re.fullmatch(r"[0-9a-f]{12}", article["content"])
    assert article["next_review_due"] == "2025-07-26"  # reviewed 2022-07-26, + 36 months
    assert "Next review due July 26, 2025" in first


def test_citations_numbered_in_order_and_listed(sample_pdfs):
    text = pdf_text(sample_pdfs["a4"])
    body, _, end = text.partition("References")
    assert end, "no References heading"
    # Superscript numbers follow the words they support, in order of first use.
    cited = [int(n) for n in re.findall(r"(?:frustration|effort|avoided|move\s+on|baby)(\d)\.", body)]
    assert cited == [1, 2, 3, 4, 5]
    end = " ".join(end.split())
    for n in range(1, 6):
        assert f"{n}. Source {n} of the original article. Not included in the supplied text." in end


def test_last_page_has_disclaimer_after_references(sample_pdfs):
    last = page_texts(sample_pdfs["a4"])[-1]
    assert "Medical disclaimer" in last
    assert "Hello Health Group does not provide medical advice, diagnosis or treatment." in last
    text = pdf_text(sample_pdfs["a4"])
    assert text.index("References") < text.index("Medical disclaimer")


def test_every_page_has_running_title_and_page_x_of_y(sample_pdfs):
    pages = page_texts(sample_pdfs["a4"])
    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Recovering Mentally From a Miscarriage" in text


@pytest.mark.parametrize("paper, size", [("a4", (595.28, 841.89)), ("letter", (612, 792))])
def test_page_size(sample_pdfs, paper, size):
    for page in PdfReader(sample_pdfs[paper]).pages:
        assert float(page.mediabox.width) == pytest.approx(size[0], abs=1)
        assert float(page.mediabox.height) == pytest.approx(size[1], abs=1)


def test_metadata_language_and_tags(sample_pdfs):
    reader = PdfReader(sample_pdfs["a4"])
    meta = reader.metadata
    assert meta.title == "Recovering Mentally From a Miscarriage: How to Cope With Loss"
    assert meta.author == "Jan Alwyn Batara"
    assert meta.subject.startswith("Grief after a miscarriage")
    assert "miscarriage" in meta["/Keywords"]
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712


def test_outline_follows_headings(sample_pdfs):
    reader = PdfReader(sample_pdfs["a4"])

    def titles(items):
        for item in items:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield item.title

    outline = list(titles(reader.outline))
    assert outline[0] == "Recovering Mentally From a Miscarriage"
    for heading in ("Let yourself feel sadness", "Give it time",
                    "Don’t hesitate to seek professional help", "References"):
        assert heading in outline


def test_rebuild_is_byte_identical(sample_pdfs, tmp_path):
    from handouts.cli import main

    root = sample_pdfs["a4"].parents[1]
    assert main(["--root", str(root), "--out", str(tmp_path), "-q"]) == 0
    assert (tmp_path / f"{SLUG}.pdf").read_bytes() == sample_pdfs["a4"].read_bytes()


def test_body_text_is_large_and_lines_are_readable(sample_pdfs):
    """Body 12 pt or more and lines of at most ~70 characters, measured in the PDF."""
    sizes, lengths = [], []
    page = PdfReader(sample_pdfs["a4"]).pages[1]

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes.append(round(size * tm[0], 1))

    extracted = page.extract_text(visitor_text=visit)
    assert max(set(sizes), key=sizes.count) >= 12
    for line in extracted.splitlines():
        if len(line.split()) > 6:
            lengths.append(len(line))
    lengths.sort()
    assert lengths[len(lengths) // 2] <= 72  # the median full line
    assert lengths[-1] <= 80


def test_citation_superscripts_are_clickable_links_to_the_list(sample_pdfs):
    reader = PdfReader(sample_pdfs["a4"])
    links = []
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
            if abs(x1 - x0) > 1 and abs(y1 - y0) > 1:  # a reader can hit it
                links.append(annot)
    assert len(links) >= 5
