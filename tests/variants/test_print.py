"""Print: booklets that waste no paper, the print shop's PDF/X-4, drafts out of print.

Everything is read back from the PDFs the command line writes: text per page, the
position of the page numbers, the catalog's OutputIntents, the XMP packet, qpdf's check.
Articles are generated here (fictional text); the sample article comes from the repo.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from pdfcheck import REPO, page_texts, text_runs

SAMPLE = "recovering-mentally-from-a-miscarriage"
GS_CMYK = Path("/usr/share/color/icc/ghostscript")
MM = 72 / 25.4

PARA = ("Resting after an invented illness helps the body recover at its own pace. "
        "Drink water through the day, keep meals light, and sleep when you feel tired. "
        "Ask someone you trust to help with chores for a few days so you can rest.")

TOML = """publisher = "Example Health Press"
disclaimer = "Example Health Press is a fictional publisher and gives no medical advice."
{extra}
[clinics.harbour]
name = "Harbour Example Clinic"
address = "2 Fictional Quay, Nowhere"
phone = "+1 555 0199"
"""


def article(paragraphs: int, *, draft: bool = False) -> str:
    """A fictional article of `paragraphs` paragraphs, a heading every four."""
    lines = ["---", "title: Resting Well at Home", "subtitle: A Fictional Booklet Test",
             "lang: en", "summary: A fictional article about resting at home.",
             "authors:", "  - name: Ada Placeholder"]
    if draft:
        lines += ["draft: true"]
    else:
        lines += ["reviewers:", "  - name: Dr. Test Reviewer", "    credential: MD",
                  "    specialty: Imaginary Medicine", "    reviewed: 2024-03-01"]
    lines += ["updated: 2024-03-02", "edition: 3", "---", ""]
    for i in range(paragraphs):
        if i % 4 == 0:
            lines += [f"## Part {i // 4 + 1}", ""]
        lines += [PARA, ""]
    return "\n".join(lines)


def make_project(root: Path, articles: dict[str, str], extra: str = "") -> Path:
    for slug, text in articles.items():
        (root / "source" / slug).mkdir(parents=True)
        (root / "source" / slug / "article.md").write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "styles", root / "styles")
    (root / "handouts.toml").write_text(TOML.format(extra=extra), encoding="utf-8")
    return root


def build(cli, root: Path, *args: str):
    return cli("--root", root, "-q", "--jobs", "1", *args)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """Every variant of the repo's sample article."""
    from handouts.cli import main

    root = tmp_path_factory.mktemp("sample")
    for name in ("source", "styles", "handouts.toml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    assert main(["--root", str(root), "--variant", "all", "-q", "--jobs", "1"]) == 0
    return root / "dist"


def numbers(path: Path) -> list[tuple[int, int, float, float] | None]:
    """Per page: (N, of, x of the number's text, page width), or None when unnumbered."""
    out = []
    for page in PdfReader(path).pages:
        found = None
        for x, y, text in text_runs(page):
            if m := re.search(r"Page (\d+) of (\d+)", text):
                found = (int(m.group(1)), int(m.group(2)), x, float(page.mediabox.width))
        out.append(found)
    return out


# ---------------------------------------------------------------------------------------
# Booklets


def test_sample_booklet_has_no_blank_page_and_pads_with_notes(sample):
    pages = page_texts(sample / f"{SAMPLE}-booklet-pages.pdf")
    assert len(pages) % 4 == 0
    assert all(text.strip() for text in pages), "a blank page in the sample's booklet"
    padding = [i for i, text in enumerate(pages) if re.search(r"^Notes$", text, re.M)]
    assert padding, "no Notes page"
    # The padding sits between the content (references) and the back cover.
    refs = max(i for i, text in enumerate(pages) if "References" in text)
    assert refs < min(padding) and max(padding) == len(pages) - 2
    assert "Medical disclaimer" in pages[-1]


def test_booklet_page_numbers_sit_on_outer_corners_and_count_the_booklet(sample):
    path = sample / f"{SAMPLE}-booklet-pages.pdf"
    found = numbers(path)
    total = len(found)
    assert found[0] is None and found[-1] is None, "the covers carry no page number"
    inner = found[1:-1]
    assert all(inner), "every inside page is numbered"
    for index, (number, of, x, width) in enumerate(inner, start=2):
        assert number == index and of == total  # "of N" is the booklet's own page count
        if number % 2 == 0:  # a left-hand page: its number at the left (outer) edge
            assert x < width * 0.25, (number, x)
        else:  # a right-hand page: at the right edge
            assert x > width * 0.6, (number, x)
    # The number moves: left pages and right pages are not at the same place.
    xs = {n % 2: x for n, _, x, _ in inner}
    assert abs(xs[0] - xs[1]) > 150


def test_imposed_booklet_note_names_the_padding(cli, tmp_path):
    root = make_project(tmp_path, {"rest": article(20)})
    code, out, err = cli("--root", root, "--variant", "booklet", "--jobs", "1")
    assert code == 0, err
    assert "padded with 2 Notes pages" in out


def test_clinic_booklet_asks_questions_for_the_care_team(cli, tmp_path):
    root = make_project(tmp_path, {"rest": article(20)})
    code, _, err = build(cli, root, "--variant", "booklet", "--clinic", "harbour")
    assert code == 0, err
    pages = [t.replace("\xa0", " ") for t in
             page_texts(root / "dist" / "clinics" / "harbour" / "rest-booklet-pages.pdf")]
    assert len(pages) == 8
    questions, notes = pages[5], pages[6]
    assert re.search(r"Questions for (your|my) care team", questions)
    assert "Harbour Example Clinic" in questions and "+1 555 0199" in questions
    assert re.search(r"^Notes$", notes, re.M)
    assert [n and n[:2] for n in numbers(root / "dist" / "clinics" / "harbour" /
                                          "rest-booklet-pages.pdf")][5:7] == [(6, 8), (7, 8)]


def test_blank_padding_when_the_project_asks_for_it(cli, tmp_path):
    root = make_project(tmp_path, {"rest": article(20)}, extra='booklet_padding = "blank"')
    code, _, err = build(cli, root, "--variant", "booklet")
    assert code == 0, err
    path = root / "dist" / "rest-booklet-pages.pdf"
    pages = page_texts(path)
    assert len(pages) == 8
    assert [bool(t.strip()) for t in pages] == [True] * 5 + [False, False, True]
    assert all(n[1] == 8 for n in numbers(path) if n)  # the blanks are counted


def test_bad_booklet_padding_setting_is_one_line(cli, tmp_path):
    root = make_project(tmp_path, {"rest": article(4)}, extra='booklet_padding = "lines"')
    code, _, err = build(cli, root, "--variant", "booklet")
    assert code == 1
    assert re.search(r"handouts\.toml:3: error: 'booklet_padding' must be \"notes\" or \"blank\"", err)


def _body_size(path: Path) -> float:
    """The size of most of the long text runs on the inside pages: the body text."""
    sizes = []
    for page in PdfReader(path).pages[1:-1]:
        def visit(text, cm, tm, font, size):
            if len(text.strip()) > 30:
                sizes.append(round(size * tm[0] * cm[0], 1))
        page.extract_text(visitor_text=visit)
    return max(set(sizes), key=sizes.count)


@pytest.mark.parametrize("paragraphs, pages, step", [(33, 8, 1), (36, 8, 2), (38, 12, 0)])
def test_a_tighter_layout_saves_a_sheet_when_one_or_two_pages_overflow(cli, tmp_path,
                                                                       paragraphs, pages, step):
    """33 and 36 paragraphs lay out on 9 and 10 pages in the house layout (measured with
    TIGHTER_STEPS switched off, below); step 1 or 2 brings them to 8. 38 paragraphs stay
    on 10 pages with every step, so the booklet gets a third sheet and padding instead."""
    root = make_project(tmp_path, {"rest": article(paragraphs)})
    code, out, err = cli("--root", root, "--variant", "booklet", "--jobs", "1")
    assert code == 0, err
    path = root / "dist" / "rest-booklet-pages.pdf"
    assert len(PdfReader(path).pages) == pages
    if step:
        assert f"tighter layout step {step}" in out and "saved a sheet" in out
    else:
        assert "would not save a sheet" in out and "padded with 2 Notes pages" in out
    assert _body_size(path) == 12.0  # never below 12 pt body


def test_the_house_layout_overflows_where_the_tighter_step_was_taken(tmp_path, monkeypatch):
    """The premise of the test above: without the tighter steps those articles need 9 and
    10 pages."""
    from handouts.variants import kinds as variants
    from handouts.batch.build import build_one
    from handouts.project.config import load_config

    monkeypatch.setattr(variants, "TIGHTER_STEPS", ())
    root = make_project(tmp_path, {"nine": article(33), "ten": article(36)})
    config = load_config(root)
    for slug, padding in (("nine", 3), ("ten", 2)):
        result = build_one(config, root / "source" / slug / "article.md", "booklet")
        assert result.ok, result.error
        assert f"padded with {padding} Notes pages" in result.files[0].note


def test_a_booklet_laid_out_several_times_writes_only_the_layout_it_keeps(tmp_path, monkeypatch):
    """The tighter steps and the padding lay a booklet out again; only the layout it keeps
    is written as a PDF and repaired (tags, text layer), once."""
    import handouts.batch.build as build
    import handouts.pdf.render as render
    from handouts.project.config import load_config

    laid, repaired = [], []
    real_render, real_repair = render.render_pdf, render.repair
    monkeypatch.setattr(render, "render_pdf", lambda html, **kw: laid.append(html) or
                        real_render(html, **kw))
    monkeypatch.setattr(render, "repair", lambda data, html: repaired.append(html) or
                        real_repair(data, html))
    root = make_project(tmp_path, {"nine": article(33)})
    result = build.build_one(load_config(root), root / "source" / "nine" / "article.md", "booklet")
    assert result.ok, result.error
    assert len(laid) >= 2, "the premise: this booklet is laid out more than once"
    assert len(repaired) == 1 and repaired[0] in laid
    assert result.files[1].pages % 4 == 0


# ---------------------------------------------------------------------------------------
# Press: PDF/X-4


def _xmp(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")


def test_press_is_pdfx4_with_an_output_intent(sample):
    path = sample / f"{SAMPLE}-press.pdf"
    reader = PdfReader(path)
    assert path.read_bytes().startswith(b"%PDF-1.6")
    root = reader.trailer["/Root"]
    intents = root["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/Type"] == "/OutputIntent" and intent["/S"] == "/GTS_PDFX"
    assert intent["/OutputConditionIdentifier"] == "Custom"
    assert intent["/OutputCondition"] == "Artifex CMYK SWOP Profile"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 4
    icc = profile.get_data()
    assert icc[36:40] == b"acsp" and icc[16:20] == b"CMYK" and icc[12:16] == b"prtr"
    assert icc == (GS_CMYK / "default_cmyk.icc").read_bytes()
    xmp = _xmp(reader)
    assert re.search(r"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>", xmp)
    assert 'pdfuaid:part="1"' in xmp  # still tagged and identified as PDF/UA-1
    assert "<pdf:Trapped>False</pdf:Trapped>" in xmp
    info = reader.metadata
    assert info["/Trapped"] == "/False"
    # Fixed dates: the article's updated date, the same in Info and XMP.
    assert info["/CreationDate"] == info["/ModDate"] == "D:20220726000000Z"
    for key in ("CreateDate", "ModifyDate", "MetadataDate"):
        assert f"<xmp:{key}>2022-07-26T00:00:00Z</xmp:{key}>" in xmp
    assert re.search(r"<xmpMM:DocumentID>uuid:[0-9a-f-]{36}</xmpMM:DocumentID>", xmp)
    for page in reader.pages:
        assert "/TrimBox" in page and "/BleedBox" in page and "/ArtBox" not in page
        spaces = page["/Resources"]["/ColorSpace"]
        assert spaces["/DefaultRGB"][0] == "/ICCBased"  # DeviceRGB is sRGB
        assert spaces["/DefaultRGB"][1].get_object()["/N"] == 3
        assert "/Annots" not in page  # PDF/X: no annotations in the printable area


def _structure(reader: PdfReader) -> list[str]:
    """Every structure element's type (or /OBJR) in the tag tree."""
    found, stack = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        element = stack.pop()
        element = element.get_object() if hasattr(element, "get_object") else element
        if isinstance(element, dict):
            found.append(str(element.get("/S") or element.get("/Type")))
            kids = element.get("/K")
            if kids is not None:
                stack.extend(kids if isinstance(kids, list) else [kids])
    return found


def test_press_drops_links_but_stays_tagged(sample):
    handout = _structure(PdfReader(sample / f"{SAMPLE}.pdf"))
    press = _structure(PdfReader(sample / f"{SAMPLE}-press.pdf"))
    assert "/Link" in handout and "/OBJR" in handout  # the download keeps its links
    assert "/Link" not in press and "/OBJR" not in press
    assert press.count("/P") == handout.count("/P") and press.count("/H2") == handout.count("/H2")


def test_the_other_variants_make_no_pdfx_claim(sample):
    for suffix in ("", "-booklet-pages", "-large-print"):
        reader = PdfReader(sample / f"{SAMPLE}{suffix}.pdf")
        assert "/OutputIntents" not in reader.trailer["/Root"]
        assert "GTS_PDFXVersion" not in _xmp(reader)


@pytest.mark.parametrize("suffix", ["", "-booklet", "-booklet-pages", "-press", "-large-print"])
def test_qpdf_check_passes_on_every_variant(sample, suffix):
    result = subprocess.run(["qpdf", "--check", str(sample / f"{SAMPLE}{suffix}.pdf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_crop_marks_are_artifacts(sample):
    """The marks drawn outside the bleed are not content a screen reader reads."""
    page = PdfReader(sample / f"{SAMPLE}-press.pdf").pages[0]
    contents = page["/Contents"]
    last = contents[-1].get_object().get_data()
    assert last.index(b"/Artifact BMC") < last.index(b"0 0 0 1 K") < last.index(b"EMC")


def test_a_print_shops_profile_from_handouts_toml(cli, tmp_path):
    root = make_project(tmp_path, {"rest": article(4)}, extra='press_profile = "icc/shop.icc"')
    (root / "icc").mkdir()
    shutil.copy(GS_CMYK / "ps_cmyk.icc", root / "icc" / "shop.icc")
    code, _, err = build(cli, root, "--variant", "press")
    assert code == 0, err
    intent = PdfReader(root / "dist" / "rest-press.pdf").trailer["/Root"]["/OutputIntents"][0]
    assert intent["/OutputCondition"] == "Artifex PS CMYK Profile"
    assert intent["/DestOutputProfile"].get_object().get_data() == \
        (GS_CMYK / "ps_cmyk.icc").read_bytes()


@pytest.mark.parametrize("setting, message", [
    ('"missing.icc"', r"cannot read the press variant's CMYK output profile .*missing\.icc"),
    ('"rgb.icc"', r"rgb\.icc is not a CMYK output profile: its colour space is RGB"),
    ('"../outside.icc"', r"press_profile .*outside\.icc is outside the project"),
])
def test_a_bad_press_profile_is_one_line(cli, tmp_path, setting, message):
    root = make_project(tmp_path / "p", {"rest": article(4)}, extra=f"press_profile = {setting}")
    shutil.copy(GS_CMYK / "srgb.icc", root / "rgb.icc")
    shutil.copy(GS_CMYK / "ps_cmyk.icc", tmp_path / "outside.icc")
    code, _, err = build(cli, root, "--variant", "press")
    assert code == 1
    assert re.search(r"handouts\.toml:3: error: " + message, err), err
    assert "Traceback" not in err
    assert not (root / "dist" / "rest-press.pdf").exists()


def test_press_variant_wants_300_ppi_images():
    from handouts.variants.kinds import VARIANTS, make_variant

    wanted = {name: make_variant(name, "a4").min_image_ppi for name in VARIANTS}
    assert wanted == {"handout": 150, "booklet": 150, "press": 300, "large-print": 150}


# ---------------------------------------------------------------------------------------
# Drafts stay out of print


@pytest.mark.parametrize("args, refused", [
    (("--variant", "press"), "the press variant"),
    (("--variant", "handout", "--clinic", "harbour"), "a clinic build (clinic 'harbour')"),
    (("--variant", "booklet", "--clinic", "harbour"), "a clinic build (clinic 'harbour')"),
])
def test_a_draft_is_refused_for_print(cli, tmp_path, args, refused):
    root = make_project(tmp_path, {"rest": article(4, draft=True)})
    code, _, err = build(cli, root, *args)
    assert code == 1
    # The error points at the front matter's draft line (line 8 of the generated article).
    assert re.search(r"source/rest/article\.md:8: error: a draft \('draft: true'\) cannot go "
                     r"to print: refused for " + re.escape(refused), err), err
    assert "--allow-draft" in err
    assert not list((root / "dist").rglob("*.pdf")) if (root / "dist").exists() else True


def test_a_draft_still_builds_for_the_desk_and_with_allow_draft(cli, tmp_path):
    root = make_project(tmp_path, {"rest": article(4, draft=True)})
    code, _, err = build(cli, root, "--variant", "handout", "--variant", "booklet")
    assert code == 0, err
    code, _, err = build(cli, root, "--variant", "press", "--clinic", "harbour", "--allow-draft")
    assert code == 0, err
    reader = PdfReader(root / "dist" / "clinics" / "harbour" / "rest-press.pdf")
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert "DRAFT" in (reader.pages[0].extract_text() or "").upper()


def test_an_image_sharp_enough_for_the_office_printer_warns_only_in_press(cli, tmp_path):
    """1200 px across the 150 mm text width is 203 ppi: fine at 150, not at 300."""
    from PIL import Image

    text = article(2).replace("## Part 1\n", "## Part 1\n\n![A calm room](images/room.png)\n")
    root = make_project(tmp_path, {"rest": text})
    (root / "source" / "rest" / "images").mkdir()
    Image.new("RGB", (1200, 800), (200, 220, 230)).save(root / "source" / "rest" / "images" / "room.png")
    code, _, err = build(cli, root, "--variant", "handout")
    assert code == 0 and "ppi" not in err, err
    code, _, err = build(cli, root, "--variant", "press")
    assert code == 0
    assert re.search(r"warning: .*room\.png prints at 2\d\d ppi .*below the 300 ppi", err), err
    code, _, err = build(cli, root, "--variant", "press", "--strict", "--force")
    assert code == 1 and re.search(r"error: .*room\.png prints at 2\d\d ppi", err), err
