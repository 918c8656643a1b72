"""Pages a clinic can trust: callouts, phone numbers, images, tables, page breaks and lines
that are not torn apart (issue 9), read back from the PDFs of a fictional fixture
(tests/fixtures/pages/) in the handout, large-print and booklet variants, A4 and Letter.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil

import pytest
from pypdf import PdfReader

from pdfcheck import FIXTURES, REPO, THEME, read_pages

SLUG = "fictional-fever-at-home"
VARIANTS = ("handout", "large-print", "booklet")
PAPERS = ("a4", "letter")
#: The file holding each variant's pages in reading order.
READING = {"handout": "{slug}{paper}.pdf", "large-print": "{slug}-large-print{paper}.pdf",
           "booklet": "{slug}-booklet-pages{paper}.pdf"}
CALLOUTS = {  # first and last words of each callout, which must share a page
    "When to seek care": "cold, clammy skin or fainting",
    "Keep this box together.": "a rough answer is better than none.",
    "Medicines to avoid": "not on the clinic’s list.",
}


def _plain(text: str) -> str:
    """Extracted text as a reader sees it: hyphenated line ends joined, no-break spaces
    and hyphens as plain ones, runs of white space as one space."""
    text = text.replace("\u2010\n", "").replace("\u00ad\n", "")
    text = text.replace("\u00a0", " ").replace("\u2011", "-")
    return " ".join(text.split())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture built in every variant on both papers, in this process: {(variant,
    paper): Path}, the warnings the build printed per paper, and {variant: WeasyPrint
    document} of the A4 build as the render stage laid it out (its layout check is
    observed, not replaced; the last layout of a variant wins: the booklet's steps)."""
    import handouts.pdf.render as render
    from handouts.cli import main

    root = tmp_path_factory.mktemp("pages") / "project"
    shutil.copytree(FIXTURES / "pages", root)
    shutil.copytree(REPO / "styles", root / "styles")
    out, warnings, documents = {}, {}, {}
    original = render.check_layout

    def observe(document, min_ppi):
        documents[_variant_of(document)] = document
        return original(document, min_ppi)

    for paper in PAPERS:
        dist = root / f"dist-{paper}"
        err = io.StringIO()
        render.check_layout = observe if paper == "a4" else original
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["--root", str(root), "--out", str(dist), "--paper", paper, "--jobs",
                             "1", *[a for v in VARIANTS for a in ("--variant", v)]])
        finally:
            render.check_layout = original
        assert code == 0, err.getvalue()
        warnings[paper] = err.getvalue()
        for variant in VARIANTS:
            names = [READING[variant].format(slug=SLUG, paper=suffix)
                     for suffix in ("", f"-{paper}")]
            found = [dist / n for n in names if (dist / n).is_file()]
            assert found, f"{variant} {paper}: none of {names} in {sorted(p.name for p in dist.iterdir())}"
            out[(variant, paper)] = found[0]
    assert set(documents) == set(VARIANTS), "the render stage no longer calls check_layout"
    return out, warnings, documents


CASES = [(v, p) for v in VARIANTS for p in PAPERS]


@pytest.fixture(scope="module")
def read(built):
    """{(variant, paper): [PageRead]}: each built PDF's pages read back once (text, text
    runs, images), for the many tests that read them."""
    return {case: read_pages(path) for case, path in built[0].items()}


@pytest.mark.parametrize(("variant", "paper"), CASES)
def test_each_callout_is_whole_on_one_page(read, variant, paper):
    pages = [_plain(page.text) for page in read[(variant, paper)]]
    for first, last in CALLOUTS.items():
        holding = [i for i, text in enumerate(pages) if first in text]
        assert holding, f"{first!r} missing from the {variant} ({paper})"
        assert last in pages[holding[0]], (
            f"callout {first!r} is split in the {variant} ({paper}): page {holding[0] + 1} "
            f"lacks {last!r}")


@pytest.mark.parametrize(("variant", "paper"), CASES)
def test_phone_numbers_print_whole(read, variant, paper):
    text = _plain(" ".join(page.text for page in read[(variant, paper)]))
    assert "+15550100" in text  # <tel:+15550100>, dropped by the sanitizer before
    assert "+1 555 0199" in text  # [+1 555 0199](tel:+15550199)
    assert "+1 555 0100" in text  # written as text in a table cell
    # and never torn across two lines
    for page in read[(variant, paper)]:
        lines = page.text.splitlines()
        for a, b in zip(lines, lines[1:]):
            assert not (re.search(r"\+1\s?(555)?$", a.strip()) and re.match(r"\d", b.strip())), (a, b)


@pytest.mark.parametrize(("variant", "paper"), CASES)
def test_images_stay_inside_the_content_area(read, variant, paper):
    seen = 0
    for number, page in enumerate(read[(variant, paper)], 1):
        header = [y for x, y, t in page.runs if "Marsh Fever at Home" in t]
        footer = [y for x, y, t in page.runs if re.search(r"Page \d+ of \d+|Edition 2", t)]
        width, height = page.width, page.height
        for x0, y0, x1, y1 in page.images:
            seen += 1
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (number, x0, y0, x1, y1)
            if header:
                assert y1 < min(header), f"page {number}: image over the running head"
            if footer:
                assert y0 > max(footer) + 6, f"page {number}: image over the page foot"
            # the tall chart (600 x 3000 px) is scaled down to the page, not cut off
            assert y1 - y0 < height * 0.9
    assert seen >= 3, "chart, tall chart and thermometer"


def _struct_elements(reader):
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    out = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict):
            if "/S" in node:
                out.append(node)
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                        walk(kid)
        elif isinstance(node, list):
            for kid in node:
                walk(kid)

    walk(root)
    return out


def test_captions_and_figures_are_tagged(built, read):
    reader = PdfReader(built[0][("handout", "a4")])
    elements = _struct_elements(reader)
    tags = [str(e["/S"]) for e in elements]
    assert tags.count("/Caption") >= 3  # two figure captions and the table's caption
    alts = [str(e.get("/Alt")) for e in elements if e["/S"] == "/Figure"]
    assert "Temperature readings over five fictional days" in alts
    assert "/Div" in tags  # the callouts
    text = _plain(" ".join(page.text for page in read[("handout", "a4")]))
    assert "Figure 1. Temperatures over five fictional days" in text
    assert "aligned columns." in text


@pytest.mark.parametrize("paper", PAPERS)
def test_table_columns_are_aligned_as_written(read, paper):
    page = next(p for p in read[("handout", paper)] if "10 cups" in _plain(p.text))
    runs = {_plain(t): (x, y) for x, y, t in page.runs}
    x = lambda label: next(v[0] for k, v in runs.items() if k == label)  # noqa: E731
    assert abs(x("1") - x("3")) < 0.5  # |:----| left
    assert x("10 cups") < x("6 cups") - 3  # |-----:| right: the longer value starts earlier
    assert x("38.9 °C") > x("Morning") + 3  # |:---:| centred under the wider header


@pytest.mark.parametrize(("variant", "paper"), CASES)
def test_page_breaks_start_new_pages(read, variant, paper):
    pages = [_plain(page.text) for page in read[(variant, paper)]]
    for heading in ("The watchful days", "Small print"):
        page = next(t for t in pages if heading in t)
        # the page without its furniture (running head, publisher, edition, page number)
        body = re.sub(r"Marsh Fever at Home|Hello Example Health Group|Edition 2 · Updated "
                      r"March 2, 2024|Page \d+ of \d+", "", page).strip()
        assert body.startswith(heading), f"{heading!r} does not start its page: {body[:80]!r}"


@pytest.mark.parametrize(("variant", "paper"), CASES)
def test_back_links_and_bookmarks(built, read, variant, paper):
    reader = PdfReader(built[0][(variant, paper)])
    text = " ".join(page.text for page in read[(variant, paper)])
    assert "\u21a9" not in text  # footnote back-link arrows do not print
    assert "The back-link arrow only works on screens." in _plain(text)
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    assert "Signs to watch" in titles, titles  # not "Signs to watch2"


@pytest.mark.parametrize("paper", PAPERS)
def test_warnings_name_the_low_resolution_image_and_the_squeezed_table(built, paper):
    warnings = built[1][paper]
    assert re.search(r"image images/thermometer\.png prints at \d+ ppi", warnings)
    assert "images/chart.png" not in warnings  # 1200 px across 90 mm is ~340 ppi
    assert "wider than the page" not in warnings  # tables shrink or wrap, never overflow
    assert "table “Sign”" in warnings  # the six-column table had to squeeze


@pytest.mark.parametrize(("variant", "paper"), CASES)
def test_tables_never_leave_the_page(read, variant, paper):
    for page in read[(variant, paper)]:
        for x, y, t in page.runs:
            assert 0 <= x < page.width - 20, (t, x)


# ------------------------------------------------------------------------------------
# Torn words: the WeasyPrint 70 defect, and the workaround
# ------------------------------------------------------------------------------------

REFERENCE_HTML = (
    '<html lang="en"><body><section class="references"><ol><li><span class="n">1.</span>'
    "Bautista R, Example A. An invented study of fevers at home. <i>Journal of Placeholder "
    "Studies</i>. 2021;12(3):45-52.</li></ol></section></body></html>")
REFERENCE_CSS = ('html { font-family: "Noto Sans" } body { margin: 0 } ol { padding-left: 2em;'
                 " list-style: none } li { text-indent: -2em } .n { display: inline-block;"
                 " width: 2em } section { font-size: 16pt } @page { size: 190mm 297mm;"
                 " margin: 10mm }")


def _first_lines(html, css):
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure import boxes

    document = HTML(string=html).render(stylesheets=[CSS(string=css)])
    lines = []

    def walk(box):
        if isinstance(box, boxes.LineBox):
            lines.append("".join(t.text for t in box.descendants() if isinstance(t, boxes.TextBox)))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    walk(document.pages[0]._page_box)
    return lines


def test_bare_weasyprint_tears_lines_at_inline_boxes():
    """The cause, in bare WeasyPrint: a text box followed by an inline box keeps its
    trailing space; when only that space overhangs the line, WeasyPrint 70 keeps the
    first word alone ("1.Bautista" / "R, Example A. …"). If this starts failing,
    WeasyPrint fixed it and handouts/linebreak.py can go."""
    from handouts.pdf.fixes import linebreak

    linebreak.uninstall()
    try:
        assert _first_lines(REFERENCE_HTML, REFERENCE_CSS)[0] == "1.Bautista"
    finally:
        linebreak.install()
    lines = _first_lines(REFERENCE_HTML, REFERENCE_CSS)
    assert lines[0].startswith("1.Bautista R, Example A. An invented study of fevers at home.")


def test_workaround_never_lets_a_line_overflow():
    """Across many widths, with bold, italic and links, no line is wider than its block
    and no line is left holding a single word when the next one would have fitted."""
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure import boxes

    html = ('<html lang="en"><body><p><strong>Dengue</strong> is a viral infection. The fever '
            "goes <strong>down</strong>, usually after three days; call <a href='tel:1'>+1 555 "
            "0100</a> or read <em>the leaflet</em> from Hello Health Group, and keep "
            "<b>drinking</b> water every hour of the day.</p></body></html>")
    torn = []
    for width in range(60, 200, 3):
        css = f"@page {{ size: {width}mm 400mm; margin: 10mm }} html {{ font: 18pt 'Noto Sans' }}"
        document = HTML(string=html).render(stylesheets=[CSS(string=css)])
        page = document.pages[0]._page_box
        block = page.children[0].children[0].children[0]  # html > body > p
        right_edge = block.content_box_x() + block.width
        lines = [b for b in block.children if isinstance(b, boxes.LineBox)]
        for line in lines:
            texts = [t for t in line.descendants() if isinstance(t, boxes.TextBox)]
            right = max(t.position_x + t.width for t in texts)
            assert right <= right_edge + 0.5, (width, texts[-1].text)
        for a, b in zip(lines, lines[1:]):
            used = max(t.position_x + t.width for t in a.descendants() if isinstance(t, boxes.TextBox))
            first = next(t for t in b.descendants() if isinstance(t, boxes.TextBox) and t.text.strip())
            word = first.text.split(" ")[0]
            word_width = first.width * len(word) / len(first.text)  # proportional estimate
            if right_edge - used > 1.3 * word_width + 18:  # room for a space and the word
                torn.append((width, word))
    assert torn == []


# ------------------------------------------------------------------------------------
# The body stage on its own (fast)
# ------------------------------------------------------------------------------------


def _convert(text, labels=None):
    from handouts.markdown.body import convert

    return convert(text, {"k": 1}, labels=labels).html


def test_tel_autolinks_are_kept():
    html = _convert("Call <tel:+15550100> or <mailto:desk@example.org>.")
    assert '<a href="tel:+15550100">+15550100</a>' in html
    assert '<a href="mailto:desk@example.org">mailto:desk@example.org</a>' in html


@pytest.mark.parametrize(("source", "kind", "title"), [
    ('!!! warning "When to seek care"\n    Go now.', "warning", "When to seek care"),
    ("!!! danger\n    Go now.", "caution", "Caution"),
    ("!!! hint\n    Go now.", "tip", "Tip"),
    ("> [!WARNING]\n> Go now.", "warning", "Warning"),
    ("> [!NOTE] Keeping a diary\n> Go now.", "note", "Keeping a diary"),
    ("> [!IMPORTANT]\n> Go now.", "important", "Important"),
    ("> [!CAUTION]\n> Go now.", "caution", "Caution"),
    ("> [!TIP]\n> Go now.", "tip", "Tip"),
])
def test_callouts_from_both_syntaxes(source, kind, title):
    html = _convert(source)
    assert f'<div class="callout callout-{kind}">' in html
    assert f'<p class="callout-title">{title}</p>' in html
    assert "<p>Go now.</p>" in html
    assert "blockquote" not in html and "admonition" not in html


def test_callout_titles_come_from_the_labels_and_quotes_stay_quotes():
    html = _convert("> [!WARNING]\n> x\n\n> [!TIP]\n> y\n\n> plain\n\n> [!UNKNOWN]\n> z",
                    labels={"callout_warning": "Babala"})
    assert '<p class="callout-title">Babala</p>' in html
    assert '<p class="callout-title">Tip</p>' in html
    assert html.count("<blockquote>") == 2  # a plain quote and an unknown marker


def test_figures_widths_page_breaks_tables_headings():
    html = _convert(
        '![A chart](images/c.png "Figure 1. What\'s a \'chart\'"){width=60%}\n\n'
        '![Small](images/s.png){: width="8cm" }\n\n\\newpage\n\n{.page-break}\n\n'
        "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n\nTable: Caption here.\n\n"
        "## Signs to watch [@k]\n")
    assert ('<figure class="figure w-60"><img alt="A chart" src="images/c.png">'
            "<figcaption>Figure 1. What’s a ‘chart’</figcaption></figure>") in html
    assert '<img alt="Small" class="w-55" src="images/s.png">' in html
    assert html.count('<div class="page-break"></div>') == 2
    assert "<caption>Caption here.</caption>" in html
    assert '<th align="center">b</th>' in html and '<td align="right">3</td>' in html
    assert '<h2 id="signs-to-watch1" title="Signs to watch">' in html


def test_keep_together_units():
    from handouts.markdown.typography import keep_together

    html = keep_together(
        "<p>Call +1 555 0100 at 39 °C. Hello Health Group, March 2, 2024.</p>"
        '<pre>+1 555 0100</pre><p><a href="https://example.org/123-4567-890">'
        "https://example.org/123-4567-890</a></p><p>Table 2 shows 12 rows.</p>"
        '<section class="references"><ol><li>Bautista R, de la Cruz JM. 2021;12(3):45-52.'
        "</li></ol></section>", names=("Hello Health Group",))
    assert ('Call <span class="tel nowrap">+1 555 0100</span> at <span class="nowrap">39 °C'
            '</span>. <span class="nowrap">Hello Health Group</span>, <span class="nowrap">'
            "March 2, 2024</span>.") in html
    assert "<pre>+1 555 0100</pre>" in html
    assert ">https://example.org/123-4567-890</a>" in html
    # nothing inside a link: WeasyPrint 70 would tag it without its Link element
    assert '<a href="tel:+15550100">+1 555 0100</a>' in keep_together(
        '<p><a href="tel:+15550100">+1 555 0100</a></p>')
    assert "<p>Table 2 shows 12 rows.</p>" in html
    assert ('<span class="nowrap">Bautista R</span>, <span class="nowrap">de la Cruz JM.</span>'
            " 2021;12(3):45-52.") in html


def test_image_resolution_thresholds(tmp_path):
    from PIL import Image
    from weasyprint import CSS, HTML

    from handouts.pdf.imagecheck import check_layout

    Image.new("RGB", (600, 400), "white").save(tmp_path / "x.png")
    html = '<html lang="en"><body><img src="x.png" alt="x" style="width:4in"></body></html>'
    document = HTML(string=html, base_url=str(tmp_path) + "/").render(
        stylesheets=[CSS(string="@page { size: A4 }")])
    assert check_layout(document, 150) == []  # 600 px / 4 in = 150 ppi
    (message,) = check_layout(document, 300)
    assert "x.png prints at 150 ppi" in message and "at least 1200 px" in message


# ------------------------------------------------------------------------------------
# The fixture's laid-out boxes (WeasyPrint's document, observed during a real build)
# ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def laid_out(built):
    """{variant: WeasyPrint document} of the fixture on A4, as the build laid it out."""
    return built[2]


def _variant_of(document) -> str:
    """The variant a laid-out document is of (the template's ``variant-<name>`` class)."""
    for box in _boxes(document.pages[0]._page_box):
        for name in _classes(box):
            if name.startswith("variant-"):
                return name.removeprefix("variant-")
    raise AssertionError("no variant-<name> class in the document")


def _boxes(box):
    from weasyprint.formatting_structure import boxes

    yield box
    if isinstance(box, boxes.ParentBox):
        for child in box.children:
            yield from _boxes(child)


def _classes(box):
    return (box.element.get("class") or "").split() if box.element is not None else []


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_line_ends_early_in_the_fixture(laid_out, variant):
    """No line of running text leaves room for the next line's first word."""
    from weasyprint.formatting_structure import boxes

    torn = []
    for number, page in enumerate(laid_out[variant].pages, 1):
        for block in _boxes(page._page_box):
            lines = [c for c in getattr(block, "children", []) if isinstance(c, boxes.LineBox)]
            if len(lines) < 2 or isinstance(block, boxes.TableCellBox):
                continue
            right_edge = block.content_box_x() + block.width
            for line in lines:  # nothing runs past the right edge (long URLs, code)
                ends = [t.position_x + t.width for t in _boxes(line)
                        if isinstance(t, boxes.TextBox) and t.text.strip()]
                assert not ends or max(ends) <= right_edge + 1, (
                    number, "".join(t.text for t in _boxes(line) if isinstance(t, boxes.TextBox)))
            for a, b in zip(lines, lines[1:]):
                texts_a = [t for t in _boxes(a) if isinstance(t, boxes.TextBox)]
                texts_b = [t for t in _boxes(b) if isinstance(t, boxes.TextBox) and t.text.strip()]
                if not texts_a or not texts_b:
                    continue
                first = texts_b[0]
                if first.style["white_space"] in ("nowrap", "pre"):  # a unit: all or nothing
                    # (nested units, "Next review due" + its date, are one unit together)
                    unit = []
                    for t in texts_b:
                        if t.style["white_space"] not in ("nowrap", "pre"):
                            break
                        unit.append(t)
                    word = "".join(t.text for t in unit)
                    word_width = unit[-1].position_x + unit[-1].width - unit[0].position_x
                else:
                    word = first.text.lstrip().split(" ")[0]
                    word_width = first.width * len(word) / max(1, len(first.text))
                used = max(t.position_x + t.width for t in texts_a)
                if right_edge - used > 1.3 * word_width + first.style["font_size"]:
                    torn.append((number, texts_a[-1].text[-20:], word))
    assert torn == [], torn  # (the fixture's prose has no <br>, which would end a line early)


@pytest.mark.parametrize("variant", VARIANTS)
def test_hyphenation_rules(laid_out, variant):
    """Large print is never hyphenated; references and table cells in no variant."""
    from weasyprint.formatting_structure import boxes

    def hyphenated(root):
        return [t.text for t in _boxes(root)
                if isinstance(t, boxes.TextBox) and t.text.rstrip().endswith("\u2010")]

    found_any_table = found_refs = False
    for page in laid_out[variant].pages:
        if variant == "large-print":
            assert hyphenated(page._page_box) == []
        for box in _boxes(page._page_box):
            if isinstance(box, boxes.TableCellBox):
                found_any_table = True
                assert hyphenated(box) == [], box.element.text
            elif "references" in _classes(box):
                found_refs = True
                assert hyphenated(box) == []
    assert found_any_table and found_refs


@pytest.mark.parametrize("variant", VARIANTS)
def test_titles_never_end_a_page(laid_out, variant):
    """A heading, a callout's title or the disclaimer's title is never the last thing
    on a page: it stays with the lines it introduces."""
    from weasyprint.formatting_structure import boxes

    checked = 0
    for number, page in enumerate(laid_out[variant].pages, 1):
        flow = [c for c in page._page_box.children if not isinstance(c, boxes.MarginBox)]
        leaves = [b for root in flow for b in _boxes(root)
                  if isinstance(b, (boxes.LineBox, boxes.ReplacedBox)) and b.element is not None]
        if not leaves:
            continue
        last = max(leaves, key=lambda b: b.position_y + b.margin_height())
        tag, classes = last.element.tag, _classes(last)
        text = " ".join("".join(last.element.itertext()).split())
        if text == "Notes":
            continue  # the booklet's padding page: a title over ruled lines (print's)
        checked += 1
        assert not (tag in ("h2", "h3", "h4") or "callout-title" in classes
                    or "disclaimer-title" in classes), (
            f"{variant} page {number} ends with {tag}.{'.'.join(classes)}: {text[:40]!r}")
    assert checked >= 5


def test_a_callout_taller_than_a_page_breaks_between_items():
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure import boxes

    from handouts.markdown.body import convert

    items = "\n".join(f"    - warning sign number {i} of a long fictional list" for i in range(45))
    body = convert("Intro paragraph.\n\n" * 12 + '!!! warning "When to seek care"\n'
                   "    First line of the box.\n\n" + items + "\n\nAfter.", {}).html
    document = HTML(string=f'<html lang="en"><body>{body}</body></html>').render(
        stylesheets=[CSS(filename=str(THEME / "base.css")),
                     CSS(string="@page { size: A5 }")])
    pages = []
    for page in document.pages:
        pages.append([" ".join("".join(t.text for t in _boxes(line) if isinstance(t, boxes.TextBox)).split())
                      for line in _boxes(page._page_box) if isinstance(line, boxes.LineBox)])
    start = next(i for i, lines in enumerate(pages) if "When to seek care" in lines)
    title_at = pages[start].index("When to seek care")
    assert pages[start][title_at + 1] == "First line of the box."  # title with the first lines
    assert len(pages) - start >= 3  # the box spans pages...
    for lines in pages[start + 1:]:
        assert lines[0].startswith("warning sign number") or lines[0] == "After."  # ...between items


def test_header_rows_repeat_on_every_page_of_a_long_table():
    from weasyprint import CSS, HTML

    from handouts.markdown.body import convert

    rows = "\n".join(f"| Day {i} | {36 + i % 4}.5 °C | a note about day {i} |" for i in range(80))
    body = convert("| Day | Temperature | Note |\n|:--|--:|:-:|\n" + rows, {}).html
    document = HTML(string=f'<html lang="en"><body>{body}</body></html>').render(
        stylesheets=[CSS(filename=str(THEME / "base.css")),
                     CSS(string="@page { size: A5 }")])
    assert len(document.pages) >= 3
    from weasyprint.formatting_structure import boxes

    for page in document.pages:
        texts = [t.text for t in _boxes(page._page_box) if isinstance(t, boxes.TextBox)]
        assert texts[:3] == ["Day", "Temperature", "Note"], texts[:5]


def test_press_variant_asks_300_ppi(tmp_path):
    """The press variant (print's) warns below 300 ppi: the 1200 px chart printed 90 mm
    wide (339 ppi) passes, the 120 px thermometer does not."""
    from handouts.batch.build import build_one
    from handouts.project.config import load_config

    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "pages", root)
    shutil.copytree(REPO / "styles", root / "styles")
    result = build_one(load_config(root), root / "source" / SLUG / "article.md", "press", "a4")
    assert result.error is None, result.error
    messages = " ".join(str(w) for w in result.warnings)
    assert re.search(r"images/thermometer\.png prints at \d+ ppi .* below the 300 ppi", messages)
    assert "chart.png" not in messages


@pytest.mark.parametrize("variant", VARIANTS)
def test_fixture_passes_the_pdfua_self_check(built, variant):
    """Callouts, figures, captions, phone links and no-break spans keep the PDF tagged
    (checks' self-check, handouts/checks/pdfua.py)."""
    from handouts.checks.pdfua import check_pdf

    assert [str(f) for f in check_pdf(built[0][(variant, "a4")])] == []
