"""PDF/UA-1 self-check (handouts/checks/pdfua.py), cross-checked with the independent PyPI
`pdfua` package, on every screen variant of the sample and of a fixture with an image and a
table; and each checkpoint shown to fail on a PDF broken in exactly that way.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pikepdf
import pytest

from pdfcheck import FIXTURES, REPO

SCREEN_VARIANTS = ("", "-large-print", "-booklet-pages")  # handout, large print, booklet pages
SAMPLE = "recovering-mentally-from-a-miscarriage"
FIXTURE = "fictional-fever-care"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The sample and the checks fixture, built in the screen variants through the CLI."""
    from handouts.cli import main

    root = tmp_path_factory.mktemp("pdfua") / "proj"
    shutil.copytree(FIXTURES / "checks" / "clean", root)
    shutil.copytree(REPO / "styles", root / "styles")
    shutil.copytree(REPO / "source" / SAMPLE, root / "source" / SAMPLE)
    code = main(["--root", str(root), "-q", "--variant", "handout", "--variant", "large-print",
                 "--variant", "booklet"])
    assert code == 0
    return {f"{slug}{suffix}": root / "dist" / f"{slug}{suffix}.pdf"
            for slug in (SAMPLE, FIXTURE) for suffix in SCREEN_VARIANTS}


ALL = [f"{slug}{suffix}" for slug in (SAMPLE, FIXTURE) for suffix in SCREEN_VARIANTS]


def fixed_as_integer(value):
    """pdfua 0.1.3's `as_integer` with its pikepdf 10 bug fixed (see the test below)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    return None


@pytest.mark.parametrize("name", ALL)
def test_self_check_passes_every_screen_variant(built, name):
    from handouts.checks.pdfua import check_pdf

    findings = check_pdf(built[name])
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("name", ALL)
def test_independent_checker_passes_every_screen_variant(built, name, monkeypatch):
    """The PyPI `pdfua` package: no findings. Its heading rule UA-14-001 crashes on any
    heading whose /K is an array: `getattr(value, "is_integer", False)` on a pikepdf.Array
    raises ValueError (pikepdf turns attribute access into a dictionary lookup), which getattr
    does not swallow. With that one line fixed, the rule runs and passes too."""
    import pdfua
    import pdfua.rules.structure

    report = pdfua.validate(str(built[name]))
    assert report.findings == () or list(report.findings) == []
    assert [o.rule_id for o in report.skipped] == ["UA-14-001"]
    assert "is_integer" in report.skipped[0].skipped_reason
    monkeypatch.setattr(pdfua.rules.structure, "as_integer", fixed_as_integer)
    report = pdfua.validate(str(built[name]))
    assert list(report.findings) == [] and list(report.skipped) == []
    assert report.exit_code == 0


def test_fixture_pdf_has_a_figure_with_alt_and_a_table_with_scoped_headers(built):
    from handouts.checks.pdfua import _attr
    from handouts.pdf.structure import PdfModel

    with pikepdf.open(built[FIXTURE]) as pdf:
        model = PdfModel(pdf)
        figures = [e for e in model.elements if e.type == "/Figure"]
        assert [str(f.obj.Alt) for f in figures] == ["A glass of water on a bedside table"]
        ths = [e for e in model.elements if e.type == "/TH"]
        assert [str(_attr(t.obj, "/Scope")) for t in ths] == ["/Column", "/Column"]
        # running header and footer text: artifacts, never tagged
        assert all(page.margin_tagged == 0 and page.untagged == 0 for page in model.content)


def test_bookmarks_of_headings_with_citations_have_no_number(tmp_path):
    from pypdf import PdfReader

    from handouts.cli import main

    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "checks" / "clean", root)
    shutil.copytree(REPO / "styles", root / "styles")
    article = root / "source" / FIXTURE / "article.md"
    article.write_text(article.read_text().replace("## How warm is too warm",
                                                   "## How warm is too warm [@rest2023]"))
    assert main(["--root", str(root), "-q"]) == 0
    reader = PdfReader(root / "dist" / f"{FIXTURE}.pdf")
    titles = [item.title for item in reader.outline[1]]
    assert "How warm is too warm" in titles
    assert not any(t[-1].isdigit() for t in titles), titles
    text = "".join(page.extract_text() for page in reader.pages)
    assert "How warm is too warm1" in text.replace(" ", "").replace("\n", "") or \
        "How warm is too warm" in text  # the superscript stays in the page text


# ---------------------------------------------------------------------------------------
# Each checkpoint fails on a PDF broken in exactly that way


def broken(source: Path, tmp_path: Path, damage) -> Path:
    with pikepdf.open(source) as pdf:
        damage(pdf)
        out = tmp_path / "broken.pdf"
        pdf.save(out)
    return out


def _elements(pdf, kind):
    from handouts.pdf.structure import PdfModel

    return [e.obj for e in PdfModel(pdf).elements if e.type == kind]


def _unmark(pdf):
    pdf.Root.MarkInfo.Marked = False


def _no_lang(pdf):
    del pdf.Root["/Lang"]


def _no_display_title(pdf):
    pdf.Root.ViewerPreferences.DisplayDocTitle = False


def _no_pdfuaid(pdf):
    xmp = pdf.Root.Metadata.read_bytes()
    assert b'pdfuaid:part="1"' in xmp
    pdf.Root.Metadata.write(xmp.replace(b'pdfuaid:part="1"', b""))


def _no_alt(pdf):
    for fig in _elements(pdf, "/Figure"):
        del fig["/Alt"]


def _th_to_td(pdf):
    for th in _elements(pdf, "/TH"):
        th.S = pikepdf.Name.TD


def _no_scope_no_headers(pdf):
    for kind, key in (("/TH", "/Scope"), ("/TD", "/Headers")):
        for cell in _elements(pdf, kind):
            if "/A" in cell and key in cell.A:
                del cell.A[key]


def _skip_heading(pdf):
    _elements(pdf, "/H2")[0].S = pikepdf.Name.H4


def _link_without_contents(pdf):
    for page in pdf.pages:
        for annot in page.get("/Annots", []):
            if "/Contents" in annot:
                del annot["/Contents"]


def _no_tabs(pdf):
    for page in pdf.pages:
        if "/Tabs" in page.obj:
            del page.obj["/Tabs"]


def _unembed(pdf):
    for page in pdf.pages:
        for _, font in page.Resources.Font.items():
            desc = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in desc.FontDescriptor:
                    del desc.FontDescriptor[key]


def _untagged_drawing(pdf):
    page = pdf.pages[0]
    page.contents_add(pdf.make_stream(b"0 0 1 rg 10 10 20 20 re f"), prepend=False)


def _no_struct_tree(pdf):
    del pdf.Root["/StructTreeRoot"]


DAMAGE = [
    ("pdfua/marked", _unmark, "UA-01-002"),
    ("pdfua/struct-tree", _no_struct_tree, "UA-01-005"),
    ("pdfua/lang", _no_lang, "UA-06-001"),
    ("pdfua/title", _no_display_title, "UA-07-002"),
    # pdfua's UA-28-004 only looks for the substring "pdfuaid" (the namespace declaration
    # left behind satisfies it), so only ours sees this one.
    ("pdfua/pdfuaid", _no_pdfuaid, None),
    ("pdfua/figure-alt", _no_alt, "UA-13-004"),
    ("pdfua/table-headers", _th_to_td, "UA-15-003"),
    ("pdfua/table-headers", _no_scope_no_headers, "UA-15-003"),
    ("pdfua/headings", _skip_heading, None),
    ("pdfua/links", _link_without_contents, "UA-18-005"),
    ("pdfua/links", _no_tabs, None),
    ("pdfua/fonts-embedded", _unembed, None),
    # pdfua's UA-01-003 counts untagged text and XObjects only, not path painting.
    ("pdfua/tagged-content", _untagged_drawing, None),
]


@pytest.mark.parametrize("rule,damage,theirs", DAMAGE, ids=[d[1].__name__ for d in DAMAGE])
def test_each_checkpoint_fails_on_a_pdf_broken_that_way(built, tmp_path, rule, damage, theirs):
    import pdfua

    from handouts.checks.pdfua import check_pdf

    good = built[FIXTURE]
    assert not [f for f in check_pdf(good) if f.rule == rule]
    bad = broken(good, tmp_path, damage)
    rules = {f.rule for f in check_pdf(bad)}
    assert rule in rules, rules
    if theirs:  # the independent checker sees the same damage
        found = {f.rule_id for f in pdfua.validate(str(bad)).findings}
        assert theirs in found, found


def test_weasyprint_margin_boxes_fail_until_repaired(tmp_path):
    """WeasyPrint 70 tags @page margin text outside the structure tree; the self-check
    catches it (the independent checker does not), and the tag repair, WeasyPrint's
    finisher, turns it into pagination artifacts."""
    from weasyprint import HTML

    from handouts.checks.pdfua import check_pdf
    from handouts.pdf.fixes import tags

    html = ("<html lang=en><head><title>T</title><style>@page { @bottom-right { content: "
            "'Page ' counter(page) } }</style></head><body><h1>Title</h1><p>Text.</p>"
            "<table><tr><th>Dose</th><th>When</th></tr><tr><th>Child</th><td>5 ml</td></tr>"
            "</table></body></html>")
    raw = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    (tmp_path / "raw.pdf").write_bytes(raw)
    messages = [f.text for f in check_pdf(tmp_path / "raw.pdf") if f.rule == "pdfua/tagged-content"]
    assert any("not in the structure tree" in m for m in messages)
    assert any("top or bottom margin are tagged content" in m for m in messages)
    assert b"/Pagination" not in raw and b"/Scope" not in raw

    def fixed_pdf():
        return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=b"0" * 16,
                                           uncompressed_pdf=True, finisher=tags.finisher(html))

    fixed = fixed_pdf()
    assert fixed == fixed_pdf()  # deterministic
    (tmp_path / "fixed.pdf").write_bytes(fixed)
    assert check_pdf(tmp_path / "fixed.pdf") == []
    assert fixed.count(b"/Artifact\n<</Type /Pagination>>\nBDC") == 1
    # the column headers and the row header of the second row, as HTML's scope="auto"
    assert fixed.count(b"/Scope /Column") == 2 and fixed.count(b"/Scope /Row") == 1
    from pypdf import PdfReader

    assert "Page 1" in PdfReader(io.BytesIO(fixed)).pages[0].extract_text()


def test_check_command_runs_the_self_check_on_any_pdf(built, tmp_path):
    import json

    from handouts.checks import check_command
    from handouts.project.config import load_config

    bad = broken(built[FIXTURE], tmp_path, _no_lang)
    out, err = io.StringIO(), io.StringIO()
    code = check_command(load_config(tmp_path), [], fmt="json", pdfs=[built[FIXTURE], bad], out=out,
                         err=err)
    data = json.loads(out.getvalue())
    assert code == 1
    assert [len(p["findings"]) for p in data["pdfs"]] == [0, 1]
    assert data["pdfs"][1]["findings"][0]["rule"] == "pdfua/lang"
    out, err = io.StringIO(), io.StringIO()
    code = check_command(load_config(tmp_path), [], pdfs=[tmp_path / "missing.pdf"], out=out, err=err)
    assert code == 1 and "error: [pdfua/readable] cannot read the PDF" in err.getvalue()
    assert err.getvalue().endswith("checked 0 article(s) and 1 PDF(s): 1 failing, 0 with warnings\n")


# ---------------------------------------------------------------------------------------
# Hostile PDFs: the check is bounded in memory, time and depth


def _inflation_bomb(pdf):
    """Page 1's content becomes a 48 MB stream of painting operators, deflated to ~50 KB."""
    import zlib

    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(b"")
    page.obj.Contents.write(zlib.compress(b"0 0 1 1 re f\n" * 3_700_000, 9),
                            filter=pikepdf.Name.FlateDecode)


def _inflation_bomb_twice(pdf):
    """The same bytes deflated twice (a /Filter chain): each step is bounded."""
    import zlib

    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(b"")
    once = zlib.compress(b"0 0 1 1 re f\n" * 3_700_000, 9)
    page.obj.Contents.write(zlib.compress(once, 9),
                            filter=pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode]))


@pytest.mark.parametrize("damage", [_inflation_bomb, _inflation_bomb_twice])
def test_check_pdf_on_an_inflation_bomb_is_bounded(built, tmp_path, damage):
    """`check --pdf` as a user runs it, under 2 GiB and 60 s: the page is reported as not
    checked (naming the limit), the other pages are checked, exit 1, no traceback."""
    from test_hardening import run_cli

    bad = broken(built[FIXTURE], tmp_path, damage)
    assert bad.stat().st_size < 200_000
    code, out, err, seconds = run_cli("check", "--root", str(tmp_path), "--pdf", str(bad))
    assert code == 1, err
    assert "Traceback" not in err and "MemoryError" not in err
    assert "page 1 not checked" in err and "pdf_content_bytes" in err
    assert seconds < 30


def _self_containing_k(pdf):
    root = pdf.Root.StructTreeRoot
    document = root.K if isinstance(root.K, pikepdf.Dictionary) else root.K[0]
    kids = pdf.make_indirect(pikepdf.Array([document.K]))
    kids.append(kids)  # an array that contains itself
    kids.append(document)  # and the element that contains it
    document.K = kids


def _parent_tree_kids_cycle(pdf):
    tree = pdf.Root.StructTreeRoot.ParentTree
    tree.Kids = pikepdf.Array([tree] * 8)  # 8 ** 50 visits if each path is walked


def _form_drawing_itself(pdf):
    page = pdf.pages[0]
    form = pdf.make_stream(b"")
    form.Subtype, form.BBox = pikepdf.Name.Form, [0, 0, 1, 1]
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary())
    form.Resources.XObject.X0 = form
    form.Resources.XObject.X1 = form
    xobjects = page.obj.Resources.get("/XObject") or pikepdf.Dictionary()
    xobjects.Loop = form
    page.obj.Resources.XObject = xobjects


@pytest.mark.parametrize("damage", [_self_containing_k, _parent_tree_kids_cycle, _form_drawing_itself])
def test_cycles_in_the_pdf_are_read_once(built, tmp_path, damage):
    """A /K that contains itself, a number tree whose /Kids repeat it, a form that draws
    itself: findings (or none) in well under a second, no RecursionError."""
    import time

    from handouts.checks.pdfua import check_pdf

    bad = broken(built[FIXTURE], tmp_path, damage)
    started = time.monotonic()
    findings = check_pdf(bad)
    assert time.monotonic() - started < 5
    assert all(f.rule != "pdfua/readable" for f in findings), findings
    if damage is _self_containing_k:
        with pikepdf.open(bad) as pdf:
            from handouts.pdf.structure import PdfModel

            elements = PdfModel(pdf).elements
            assert len({e.obj.objgen for e in elements}) == len(elements)  # each element once
