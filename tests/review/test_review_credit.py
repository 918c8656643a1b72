"""A review credit means this exact text was reviewed: an editor's year with a fictional
asthma-like handout, through the command line, reading every PDF and the reviewer's
packet back.

The walk (one project, built once, in order): a draft listing its future reviewer; the
packet and its sign-off lines; edition 1 in every variant, plain and for a clinic; the
dose changed from 10 to 12 puffs (refused, then a stamped proof); the packet of the
change; the sign-off pasted without raising the edition (refused); a second reviewer and
edition 2 (the whole set rebuilt, edition 1 archived as it was). Brethamol, its doses,
the reviewers and the clinic are invented.

The handouts are built with the fast test builder (tests/fakebuild.py: everything real but
WeasyPrint's layout; its PDFs carry the document's text, read back here); the reviewer's
packets are real renders.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

SLUG = "fictional-wheeze"
TODAY = dt.date.today().isoformat()
STAMP = "Changed since medical review — not for patients"

ARTICLE = """\
---
title: Using a Reliever Inhaler for Fictional Wheeze
subtitle: A Guide for Parents
lang: en
summary: How and when to give a Brethamol reliever inhaler to a child with fictional wheeze.
keywords: [wheeze, inhaler, fictional]
authors:
  - name: Ada Placeholder
reviewers:
  - name: Dr. Ima Testwell
    credential: MD
    specialty: Imaginary Pediatrics
    reviewed: 2025-03-10
draft: true
updated: 2025-03-10
edition: 1
---

Brethamol is an invented reliever medicine. It opens the airways within minutes.
This sheet tells you how to give it during a wheeze attack [@placeholder2024].

## During a wheeze attack

Give 2 puffs of Brethamol through a spacer. If your child still wheezes, give
1 puff every minute, up to 10 puffs.

![A spacer attached to an inhaler](images/spacer.png){width=40%}

## When to get help

Call the emergency number if your child is too breathless to talk, or if the
puffs do not help.
"""

REFERENCES = """\
- id: placeholder2024
  type: article-journal
  title: An invented study of reliever inhalers in fictional wheeze
  author:
    - family: Placeholder
      given: Ada
  container-title: Journal of Imaginary Medicine
  issued:
    date-parts: [[2024]]
  volume: 3
  page: 1-9
"""

TOML = """\
# A fictional project: nothing here is medical advice.
publisher = "Example Health Press"
disclaimer = "Example Health Press is a fictional publisher and gives no medical advice."

[clinics.riverside]
name = "Riverside Example Clinic"
address = "1 Fictional Road, Nowhere"
phone = "+1 555 0100"
"""


def cli(*args: str) -> tuple[int, str, str]:
    import fakebuild
    from handouts.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args], builder=fakebuild.build)
    return int(code), out.getvalue(), err.getvalue()


def text_of(pdf: Path | bytes) -> list[str]:
    """Each page's text, whitespace collapsed."""
    data = pdf if isinstance(pdf, bytes) else pdf.read_bytes()
    return [" ".join((p.extract_text() or "").replace("\xa0", " ").split())
            for p in PdfReader(io.BytesIO(data)).pages]


def snapshot(folder: Path) -> dict[str, bytes]:
    """dist/ but the reviewer's packets (editors' files, rewritten by `handouts review`)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()
            and not p.relative_to(folder).as_posix().startswith("review/")}


def signoff_of(out: str) -> str:
    """The YAML lines `handouts review` ends with."""
    head, _, lines = out.partition("dated the day they signed):\n")
    assert lines.startswith("  - name: "), out
    return lines.rstrip("\n") + "\n"


def fingerprint_in(lines: str) -> str:
    return re.search(r"content: ([0-9a-f]{12})", lines).group(1)


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """Walk the editor's year once; each step's results for the tests to read."""
    from PIL import Image

    root = tmp_path_factory.mktemp("credit") / "project"
    folder = root / "source" / SLUG
    (folder / "images").mkdir(parents=True)
    (root / "handouts.toml").write_text(TOML)
    (folder / "references.yaml").write_text(REFERENCES)
    Image.new("RGB", (1800, 1200), (200, 220, 235)).save(folder / "images" / "spacer.png")
    article = folder / "article.md"
    article.write_text(ARTICLE)
    dist = root / "dist"
    base = ("--root", root)
    build = (*base, "--jobs", "1")  # in this process: no pool to start
    steps: dict = {"root": root, "dist": dist}

    def edit(old: str, new: str) -> None:
        text = article.read_text()
        assert old in text, old
        article.write_text(text.replace(old, new, 1))

    # A draft that already names its future reviewer.
    steps["draft"] = cli(*build, "-q")
    steps["draft_pages"] = text_of(dist / f"{SLUG}.pdf")

    # The packet of the first review, and its sign-off lines pasted in place of the draft's.
    steps["packet1"] = cli("review", SLUG, *base)
    lines = signoff_of(steps["packet1"][1])
    steps["signed1"] = fingerprint_in(lines)
    text = article.read_text()
    start, end = text.index("  - name: Dr. Ima Testwell"), text.index("draft: true\n")
    article.write_text(text[:start] + lines + text[end:].replace("draft: true\n", "", 1))
    edit("updated: 2025-03-10", f"updated: {TODAY}")

    # Edition 1 in every variant, for readers and for the clinic.
    steps["edition1"] = [cli(*build, "--variant", "all", "-q"),
                         cli(*build, "--variant", "all", "--clinic", "riverside", "-q")]
    steps["published1"] = snapshot(dist)
    steps["manifest1"] = json.loads((dist / "manifest.json").read_text())

    # Story 1: the dose changes; a plain build (handout only, no clinic).
    edit("up to 10 puffs", "up to 12 puffs")
    steps["changed"] = cli(*build, "-q")
    steps["after_changed"] = snapshot(dist)
    steps["proof"] = cli(*build, "--allow-unreviewed", "-q")
    steps["after_proof"] = snapshot(dist)

    # Story 3: the packet of the change.
    steps["packet2"] = cli("review", SLUG, *base)
    packet = dist / "review" / f"{SLUG}-edition-1.pdf"
    steps["packet2_pages"] = text_of(packet)
    steps["packet2_content"] = b"".join(p.get_contents().get_data() for p in PdfReader(packet).pages)

    # Story 4: the sign-off pasted, the edition not raised.
    lines = signoff_of(steps["packet2"][1])
    steps["signed2"] = fingerprint_in(lines)
    edit("updated: ", lines + "updated: ")
    steps["no_new_edition"] = cli(*build, "-q")
    steps["after_no_new_edition"] = snapshot(dist)

    # Story 2: a second reviewer signs the same text; edition 2; a plain build.
    second = (f"  - name: Dr. Otto Placebo\n    credential: DO\n    specialty: Imaginary Pulmonology\n"
              f"    reviewed: {TODAY}\n    content: {steps['signed2']}\n")
    edit("updated: ", second + "updated: ")
    edit("edition: 1", "edition: 2")
    steps["edition2"] = cli(*build, "-q")
    steps["manifest2"] = json.loads((dist / "manifest.json").read_text())
    steps["packet3"] = cli("review", SLUG, *base)
    steps["packet3_pages"] = text_of(dist / "review" / f"{SLUG}-edition-2.pdf")
    return steps


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


def test_a_draft_that_lists_a_reviewer_prints_no_review_credit(walk):
    code, _, err = walk["draft"]
    assert code == 0, err
    page1 = walk["draft_pages"][0]
    assert "DRAFT — not medically reviewed" in page1
    assert "Medically reviewed by" not in page1 and "Ima Testwell" not in page1


def test_the_first_packet_prints_the_lines_to_paste(walk):
    code, out, err = walk["packet1"]
    assert code == 0, err
    lines = signoff_of(out)
    assert lines == ("  - name: Dr. Ima Testwell\n    credential: MD\n    specialty: Imaginary Pediatrics\n"
                     f"    reviewed: {TODAY}\n    content: {walk['signed1']}\n")
    assert f"(content {walk['signed1']})" in out


def test_edition_1_every_output_carries_the_reviewed_dose_credit_and_fingerprint(walk):
    assert [c for c, _, _ in walk["edition1"]] == [0, 0], walk["edition1"]
    manifest = walk["manifest1"]
    outputs = manifest["outputs"]
    assert len(outputs) == 10  # 4 variants (the booklet in 2 files), plain and for the clinic
    assert {o["clinic"] for o in outputs} == {None, "riverside"}
    for o in outputs:  # as they were then (the walk went on to edition 2)
        text = " ".join(text_of(walk["published1"][o["path"]]))
        assert "up to 10 puffs" in text, o["path"]
        assert f"Edition 1 · content {walk['signed1']}" in text, o["path"]
        assert o["edition"] == 1 and o["content"] == walk["signed1"]
    page1 = text_of(walk["published1"][f"{SLUG}.pdf"])[0]
    assert "Medically reviewed by Dr. Ima Testwell, MD" in page1
    assert f"Edition 1 · content {walk['signed1']}" in page1  # small print on page 1


def test_story_1_a_changed_dose_is_never_published_under_the_old_credit(walk):
    code, _, err = walk["changed"]
    assert code == 1
    line, = errors(err)  # one line for the article, though ten files were due
    assert line.startswith(f"{walk['root'] / 'source' / SLUG / 'article.md'}:")
    assert (f"error: body changed since Dr. Ima Testwell's review of {TODAY} (content "
            f"{walk['signed1']} signed") in line
    assert "nothing was published" in line and f"handouts review {SLUG}" in line
    assert "--allow-unreviewed" in line
    assert walk["after_changed"] == walk["published1"]  # every file byte for byte


def test_story_1_allow_unreviewed_builds_a_stamped_proof_that_is_never_published(walk):
    code, _, err = walk["proof"]
    assert code == 0, err
    dist = walk["dist"]
    after = walk["after_proof"]
    proofs = sorted(p for p in after if p.startswith("proof/"))
    # the whole set, as proofs: every variant, plain and for the clinic
    assert len(proofs) == 10 and f"proof/clinics/riverside/{SLUG}-large-print.pdf" in proofs
    assert {p: d for p, d in after.items() if not p.startswith("proof/")} == walk["published1"]
    for name in proofs:
        pages = text_of(dist / name)
        assert all(STAMP in page for page in pages), name
        text = " ".join(pages)
        assert "up to 12 puffs" in text and "Medically reviewed by" not in text, name
    manifest = json.loads((dist / "manifest.json").read_text())
    assert not any(o["path"].startswith("proof/") for o in manifest["outputs"])
    site = (dist / "index.html").read_text() + (dist / SLUG / "index.html").read_text()
    assert "proof/" not in site


def test_story_3_the_packet_redlines_against_the_text_the_reviewer_signed(walk):
    code, out, err = walk["packet2"]
    assert code == 0, err
    text = " ".join(walk["packet2_pages"])
    assert "unchanged" not in text
    assert (f"Changes since edition 1, reviewed by Dr. Ima Testwell, MD on {TODAY} (content "
            f"{walk['signed1']}, dist/source/{SLUG}/)") in text
    assert "Summary of changes (1)" in text
    assert re.search(r"1 During a wheeze attack 10 12", text)
    assert "up to 10 12 puffs" in text  # the redline: deleted, then inserted
    content = walk["packet2_content"]
    assert b"0 0.392157 0 rg" in content and b"0.690196 0 0 rg" in content  # green and red
    assert walk["signed2"] != walk["signed1"]
    assert f"content: {walk['signed2']}" in text  # the lines to paste, in the packet too
    assert out.rstrip().endswith(f"content: {walk['signed2']}")


def test_story_4_a_re_review_without_a_raised_edition_stops_with_one_line(walk):
    code, _, err = walk["no_new_edition"]
    assert code == 1
    line, = errors(err)
    assert (f"error: newly reviewed content (content {walk['signed2']}) differs from edition 1 as "
            f"published (content {walk['signed1']}) — set 'edition: 2'") in line
    assert re.search(r"article\.md:\d+: error", line)
    assert walk["after_no_new_edition"] == walk["published1"] | {
        p: d for p, d in walk["after_proof"].items() if p.startswith("proof/")}


def test_story_2_edition_2_is_a_whole_set_and_edition_1_is_archived_as_it_was(walk):
    code, _, err = walk["edition2"]
    assert code == 0, err
    dist, manifest = walk["dist"], walk["manifest2"]
    # every output edition 1 had is rebuilt, though the build named no variant or clinic
    assert sorted(o["path"] for o in manifest["outputs"]) == sorted(
        o["path"] for o in walk["manifest1"]["outputs"])
    for o in manifest["outputs"]:
        text = " ".join(text_of(dist / o["path"]))
        assert "up to 12 puffs" in text and "10 puffs" not in text, o["path"]
        assert f"Edition 2 · content {walk['signed2']}" in text, o["path"]
        assert (o["edition"], o["content"]) == (2, walk["signed2"])
    # the credit: the sign-offs of this text only (the edition-1 entry is history)
    page1 = text_of(dist / f"{SLUG}.pdf")[0]
    assert page1.count("Medically reviewed by") == 2
    assert "Dr. Ima Testwell, MD" in page1 and "Dr. Otto Placebo, DO" in page1
    covers = [(r["name"], r["covers"]) for r in manifest["articles"][SLUG]["reviewers"]]
    assert covers == [("Dr. Ima Testwell", False), ("Dr. Ima Testwell", True),
                      ("Dr. Otto Placebo", True)]
    # as the next build reads it back (the site of a later run credits from this record)
    from handouts.dist.manifest import read_manifest

    again = read_manifest(dist).articles[SLUG].reviewers
    assert [(r.name, r.covers, r.content) for r in again] == [
        ("Dr. Ima Testwell", False, walk["signed1"]), ("Dr. Ima Testwell", True, walk["signed2"]),
        ("Dr. Otto Placebo", True, walk["signed2"])]

    # the archive of edition 1: exactly what edition 1 published, byte for byte
    archived = dist / "archive" / SLUG / "edition-1"
    before = walk["published1"]
    pdfs = sorted(p.relative_to(archived).as_posix() for p in archived.rglob("*.pdf"))
    assert pdfs == sorted(o["path"] for o in walk["manifest1"]["outputs"])
    for name in pdfs:
        assert (archived / name).read_bytes() == before[name], name
        assert "up to 10 puffs" in " ".join(text_of(archived / name))
    for name in ("article.md", "references.yaml", "images/spacer.png"):
        assert (archived / "source" / name).read_bytes() == before[f"source/{SLUG}/{name}"]
    assert "up to 10 puffs" in (archived / "source" / "article.md").read_text()
    assert "12 puffs" not in (archived / "source" / "article.md").read_text()


def test_story_2_the_site_names_each_earlier_file_with_its_review(walk):
    page = (walk["dist"] / SLUG / "index.html").read_text()
    earlier = page[page.index('id="editions"'):]
    assert "Edition 1</strong> · Medically reviewed by Dr. Ima Testwell, MD" in earlier
    assert f"content <code>{walk['signed1']}</code>" in earlier
    labels = re.findall(r'type="application/pdf">([^<]+)</a>', earlier)
    assert len(labels) == 10 and len(set(labels)) == 10  # each file named by what it is
    assert "Large print · A4 — Riverside Example Clinic" in labels
    credit = page[:page.index('id="editions"')]
    assert credit.count("Medically reviewed by") == 2


def test_after_edition_2_the_packet_says_the_text_is_what_was_signed(walk):
    code, out, err = walk["packet3"]
    assert code == 0, err
    text = " ".join(walk["packet3_pages"])
    assert f"The text is unchanged since Dr. Otto Placebo signed it (content {walk['signed2']})" in text
