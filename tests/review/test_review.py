"""The reviewer's packet: build edition 1, change a sentence and a reference, bump to
edition 2 (the build archives edition 1), and the packet shows exactly those changes."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from pdfcheck import FIXTURES, REPO

SLUG = "fictional-fever-care"
TODAY = dt.date(2026, 11, 26)
STAMP = "REVIEW COPY — NOT FOR PATIENTS"


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "checks" / "clean", root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def pages_text(path: Path) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages]


def build(root: Path) -> None:
    from handouts.cli import main

    assert main(["--root", str(root), "-q"]) == 0


def test_packet_shows_exactly_the_changes_since_the_reviewed_edition(proj):
    from handouts.project.config import load_config
    from handouts.review import packet_html, write_packet

    article = proj / "source" / SLUG / "article.md"
    refs = article.with_name("references.yaml")
    build(proj)  # edition 1, published: the sign-off (no 'content:') is bound to it
    replace(article, "Wear light clothes.", "Wear loose cotton clothes.")
    replace(refs, "title: Drinking water when you are unwell", "title: Drinking fluids when you are unwell")
    replace(article, "edition: 1", "edition: 2")  # not publishable before it is reviewed

    config = load_config(proj)
    _, edition, facts = packet_html(config, SLUG, today=TODAY)
    assert edition == 2 and facts["base"] == 1
    assert [(c.where, c.removed, c.added) for c in facts["changes"]] == [
        ("How to feel better at home", "light", "loose cotton")]
    assert len(facts["added"]) == 1 and "Drinking fluids when you are unwell" in facts["added"][0]
    assert len(facts["removed"]) == 1 and "Drinking water when you are unwell" in facts["removed"][0]

    path = write_packet(config, SLUG, today=TODAY)
    assert path == proj / "dist" / "review" / f"{SLUG}-edition-2.pdf"
    pages = pages_text(path)
    assert all(STAMP in page for page in pages)  # never mistaken for a handout
    text = " ".join(pages)
    assert (f"Changes since edition 1, reviewed by Dana Sample, MD on 2025-10-01 (content "
            f"{facts['basis'].content}, dist/source/{SLUG}/)") in text
    assert "Summary of changes (1)" in text
    assert re.search(r"1 How to feel better at home light loose cotton", text)
    assert "Wear light loose cotton clothes." in text  # the redline: deletion, then insertion
    assert "Added since edition 1 (1)" in text and "Removed since edition 1 (1)" in text
    assert "Medical review sign-off" in text and "Signature" in text
    assert "[credibility/content-changed]" in text  # the check report is in the packet
    # Marked in colour (green insertions, red deletions) in the page content
    content = b"".join(p.get_contents().get_data() for p in PdfReader(path).pages)
    assert b"0 0.392157 0 rg" in content and b"0.690196 0 0 rg" in content


def test_first_review_packet_has_the_full_text(proj):
    from handouts.project.config import load_config
    from handouts.review import write_packet

    path = write_packet(load_config(proj), SLUG, today=TODAY)
    assert path.name == f"{SLUG}-edition-1.pdf"
    text = " ".join(pages_text(path))
    assert ("No earlier text to compare with: Dana Sample's review of 2025-10-01 has no 'content:' "
            "and names no text that was published, so the full text follows.") in text
    assert "The full text (first review)" in text
    assert "A fever means your body is warmer than usual." in text
    assert "Summary of changes" not in text


def test_unknown_slug_is_an_input_error(proj):
    from handouts.project.config import load_config
    from handouts.errors import InputError
    from handouts.review import write_packet

    with pytest.raises(InputError) as info:
        write_packet(load_config(proj), "fictional-fever-car")
    assert "did you mean 'fictional-fever-care'" in info.value.problems[0].hint


def test_word_level_redline():
    from handouts.review import Block, redline

    old = [Block("h2", "Rest"), Block("p", "Drink water often. Rest a lot.")]
    new = [Block("h2", "Rest"), Block("p", "Drink water often. Sleep a lot."), Block("li", "New item")]
    blocks, changes = redline(old, new)
    assert [(b.kind, b.parts) for b in blocks] == [
        ("h2", [("equal", "Rest")]),
        ("p", [("equal", "Drink water often."), ("delete", "Rest"), ("insert", "Sleep"), ("equal", "a lot.")]),
        ("li", [("insert", "New item")]),
    ]
    assert [(c.where, c.removed, c.added) for c in changes] == [("Rest", "Rest", "Sleep"),
                                                                 ("Rest", "", "New item")]


def test_review_on_the_command_line(proj, cli, monkeypatch):
    monkeypatch.chdir(proj)
    code, out, err = cli("review", SLUG)
    assert code == 0, err
    assert f"dist/review/{SLUG}-edition-1.pdf" in out + err
    assert (proj / "dist" / "review" / f"{SLUG}-edition-1.pdf").is_file()


def test_packet_text_keeps_phone_numbers_and_captions_without_attribute_syntax():
    """The reviewer signs off what patients read: a tel: autolink's number, an image's
    caption; never the raw `{width=50%}` of an attribute list."""
    from handouts.review import blocks_of

    text = " ".join(b.text for b in blocks_of(
        'Call <tel:+15550100> now. ![A chart](images/c.png "Figure 1. Fever chart")'
        '{width=50%} See <https://example.org/x>.'))
    assert "+15550100" in text
    assert "Figure 1. Fever chart" in text
    assert "{width" not in text and "https://example.org/x" in text


def test_packet_shows_the_article_as_the_patient_reads_it(proj):
    """Word-habit steps keep their numbers, nested items their depth, a footnote its
    letter and text, a table its caption, a citation key with underscores its number —
    read back from the packet PDF the reviewer signs."""
    from handouts.project.config import load_config
    from handouts.review import write_packet

    article = proj / "source" / SLUG / "article.md"
    refs = article.with_name("references.yaml")
    replace(refs, "- id: drinks2024", "- id: example_drinks_2024")
    replace(article, "[@drinks2024]", "[@example_drinks_2024]")
    text = article.read_text(encoding="utf-8")
    article.write_text(text + "\n\n## Steps at home\n\n1) Rest in bed\n2) Drink water\n"
                       "   - small sips\n3) Check the temperature[^t]\n\n"
                       "| Age | Cups a day |\n|---|---|\n| Adult | 8 |\n\nTable: Water by age\n\n"
                       "[^t]: Use the thermometer your nurse showed you.\n", encoding="utf-8")
    packet = write_packet(load_config(proj), SLUG, today=TODAY)
    text = " ".join(pages_text(packet))
    for shown in ("1. Rest in bed", "2. Drink water", "– small sips",
                  "3. Check the temperature[a]", "a. Use the thermometer your nurse showed you.",
                  "Table: Water by age", "Adult · 8", "if your nurse says it is safe for you[2]"):
        assert shown in text, shown
    for raw in ("1)", "[^t]", "example_drinks", "exampledrinks", "@"):
        assert raw not in text.split("Sign-off")[0].split("References")[0], raw
