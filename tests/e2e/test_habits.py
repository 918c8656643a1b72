"""Articles as authors write them, in English, Vietnamese and Thai (tests/fixtures/habits,
fictional): Word-style ``1)`` steps, a seek-care box in the article's own words, Thai
paragraphs and tables, ``<tel:…>`` numbers, footnotes and ``Table:`` captions. The
project is built once; each test reads the PDFs or the messages as a user would.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

from handouts.cli import main
from pdfcheck import FIXTURES, REPO, pdf_text

HABITS = FIXTURES / "habits"
EN, VI, TH = "en-asthma-steps", "vi-dengue-care", "th-blood-pressure"


def copy_habits(parent: Path) -> Path:
    root = parent / "habits"
    shutil.copytree(HABITS, root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


def run(*args) -> tuple[int, str]:
    """The command line in-process: (exit status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in args])
    return code, err.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The project built once: (root, the build's messages)."""
    root = copy_habits(tmp_path_factory.mktemp("habits"))
    code, err = run("--root", root)
    assert code == 0, err
    code, clinic_err = run("--root", root, "--clinic", "all", "-q")
    assert code == 0, clinic_err
    return root, err


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


# ---------------------------------------------------------------------------------------
# Lists


def test_word_style_steps_print_as_numbered_items(built):
    """``1) … 2) …`` with a nested ``- item``: each step on its own numbered line."""
    root, _ = built
    text = pdf_text(root / "dist" / f"{VI}.pdf")
    lines = [flat(line).strip() for line in text.splitlines()]
    steps = ["Cho người bệnh nghỉ ngơi.", "Uống nhiều nước:", "nước lọc", "oresol",
             "Theo dõi nhiệt độ mỗi 4 giờ."]
    start = lines.index(steps[0])
    assert lines[start:start + 5] == steps  # one line each, nothing run together
    # The markers are drawn after the text: numbers for the steps, bullets nested.
    assert ["1.", "2.", "◦", "◦", "3."] in [lines[i:i + 5] for i in range(len(lines))]
    assert not any(re.search(r"\d\)", line) for line in lines), lines


def test_a_line_that_looks_like_a_list_item_but_is_not_warns_with_its_line(built):
    """``4.`` right after a paragraph line stays text (CommonMark): the build says where."""
    root, err = built
    path = root / "source" / VI / "article.md"
    line = line_of(path, "4. Ghi lại")
    assert (f"{path}:{line}: warning: [structure/literal-markup] “4. Ghi lại nhiệt độ vào sổ.” "
            "looks like a list item but prints as plain text") in err
    assert err.count("[structure/literal-markup]") == 1  # the 1) steps are a real list


def test_indented_heading_and_fence_inside_an_item_warn(tmp_path):
    root = copy_habits(tmp_path)
    path = root / "source" / EN / "article.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("## How often", "  ## How often").replace(
        "3) Press once", "3) Count the puffs:\n   ```\n   1 2 3\n   ```\n4) Press once"),
        encoding="utf-8")
    code, err = run("--root", root, "check", path)
    assert code == 0
    heading, fence = line_of(path, "  ## How often"), line_of(path, "   ```")
    assert (f"{path}:{heading}: warning: [structure/literal-markup] “## How often” looks like a "
            "heading but prints as plain text — start the line at the margin") in err
    assert f"{path}:{fence}: warning: [structure/literal-markup] “```” looks like the start" in err


# ---------------------------------------------------------------------------------------
# Seek-care callout in the article's language


def test_seek_care_callout_in_vietnamese_and_thai_is_recognised(built):
    _, err = built
    assert "[structure/seek-care]" not in err


def test_missing_seek_care_callout_asks_in_the_article_language(tmp_path):
    root = copy_habits(tmp_path)
    path = root / "source" / VI / "article.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('!!! warning "Khi nào cần đến bệnh viện ngay"',
                                 '!!! note "Ghi chú"'), encoding="utf-8")
    code, err = run("--root", root, "check", path, "--strict")
    assert code == 1
    assert (f"{path}:1: warning: [structure/seek-care] the article is tagged as symptoms but has "
            "no “Khi nào cần đi khám” callout — write it as a callout: "
            '!!! warning "Khi nào cần đi khám"') in err.replace(": error:", ": warning:")


# ---------------------------------------------------------------------------------------
# Thai: words are not counted by spaces


def test_thai_paragraph_and_table_get_no_word_count_warnings(built):
    """A Thai paragraph is one run of letters (no spaces between words) and its table's
    cells break between words (libthai): neither is "44 words" nor "broken words"."""
    _, err = built
    thai = [line for line in err.splitlines() if TH in line]
    assert not [line for line in thai if "long-sentence" in line or "section-length" in line
                or "words broke" in line], thai


def test_thai_text_in_an_svg_image_is_refused_at_load(tmp_path):
    root = copy_habits(tmp_path)
    folder = root / "source" / TH
    (folder / "images").mkdir()
    (folder / "images" / "chart.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80">'
        '<text x="10" y="50" font-size="28">ความดันปกติ</text></svg>', encoding="utf-8")
    path = folder / "article.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n![แผนภูมิความดัน](images/chart.svg)\n",
                    encoding="utf-8")
    code, err = run("--root", root, path)
    line = line_of(path, "images/chart.svg")
    assert code == 1
    assert (f"{path}:{line}: error: SVG image 'images/chart.svg': the SVG has Thai text "
            "(“ความดันปกติ”), which prints with broken letters: text inside an SVG image is "
            "not shaped — convert the text to paths (Inkscape: Path > Object to Path; "
            "Illustrator: Type > Create Outlines), or save the image as PNG") in err
    assert not (root / "dist" / f"{TH}.pdf").exists()


# ---------------------------------------------------------------------------------------
# Units that must not break


def test_tel_autolink_prints_grouped_and_on_one_line(built):
    """``<tel:+842838000000>`` prints as Vietnam writes it, never the raw E.164 number."""
    root, _ = built
    lines = [flat(line) for line in pdf_text(root / "dist" / f"{VI}.pdf").splitlines()]
    assert any("Gọi phòng khám giả định: +84 28 3800 0000." in line for line in lines), lines
    assert not any("842838000000" in line for line in lines)


def test_next_review_due_and_the_qr_address_break_only_between_phrases(built):
    root, _ = built
    lines = [flat(line).strip() for line in pdf_text(root / "dist" / f"{VI}.pdf").splitlines()]
    # "Thẩm định lại trước: 1 tháng 10, 2028" (next review due) is one unit, twice.
    assert sum("Thẩm định lại trước: 1 tháng 10, 2028" in line for line in lines) == 2, lines
    # Beside the clinic's block the address under the QR code is too long for one line:
    # it breaks after "/" only.
    pdf = root / "dist" / "clinics" / "lotus" / f"{VI}.pdf"
    lines = [flat(line).strip() for line in pdf_text(pdf).splitlines()]
    start = next(i for i, line in enumerate(lines) if line.endswith("Phiên bản mới nhất:")) + 1
    url = "https://example.org/vi/benh-truyen-nhiem/cham-soc-sot-xuat-huyet-tai-nha-cho-nguoi-lon"
    parts = []
    while "".join(parts) != url:
        parts.append(lines[start + len(parts)])
        assert url.startswith("".join(parts)), parts
    assert parts == ["https://example.org/vi/", "benh-truyen-nhiem/",
                     # a slug wider than the caption: cut after a hyphen, not in a word
                     "cham-soc-sot-xuat-huyet-tai-", "nha-cho-nguoi-lon"], parts


def test_clinic_booklet_has_the_clinic_name_at_the_top_of_inside_pages(tmp_path):
    from pdfcheck import page_texts

    root = copy_habits(tmp_path)
    code, err = run("--root", root, "--clinic", "lotus", "--variant", "booklet", "-q",
                    root / "source" / VI / "article.md")
    assert code == 0, err
    pages = page_texts(root / "dist" / "clinics" / "lotus" / f"{VI}-booklet-pages.pdf")
    assert len(pages) == 4
    header = "Chăm sóc sốt xuất huyết tại nhà (giả định) Phòng khám Hoa Sen (ví dụ)"
    for inside in pages[1:-1]:  # the running title and, beside it, the clinic
        assert header in [flat(line).strip() for line in inside.splitlines()], inside


def test_clinic_all_leaves_drafts_out_with_one_note(tmp_path):
    root = copy_habits(tmp_path)
    for slug in (VI, TH):
        path = root / "source" / slug / "article.md"
        path.write_text(path.read_text(encoding="utf-8").replace("edition: 1\n", "edition: 1\ndraft: true\n"),
                        encoding="utf-8")
    code, err = run("--root", root, "--clinic", "all")
    assert code == 0, err
    notes = [line for line in err.splitlines() if "draft" in line]
    assert notes == [f"info: --clinic all: 2 draft(s) left out ({TH}, {VI}) — a draft goes to a "
                     "clinic once 'draft: true' is removed after the medical review, or with "
                     "--allow-draft as a proof"], err
    assert err.rstrip().endswith("0 built, 0 unchanged in " + err.rstrip().rsplit(" in ", 1)[1])
    # Asked for by name, the clinic still refuses a draft.
    code, err = run("--root", root, "--clinic", "lotus", root / "source" / VI / "article.md")
    assert code == 1 and "a draft ('draft: true') cannot go to print" in err


def test_cached_warnings_print_as_fresh_ones(tmp_path, monkeypatch):
    """A rebuild with nothing changed says the same warnings, with the same paths."""
    root = copy_habits(tmp_path)
    monkeypatch.chdir(root)
    target = root / "source" / VI / "article.md"
    fresh = [line for line in run(target)[1].splitlines() if "warning:" in line]
    again = [line for line in run(target)[1].splitlines() if "warning:" in line]
    assert fresh and again == fresh
    assert fresh[0].startswith(f"source/{VI}/article.md:")


def test_an_image_without_alt_text_is_refused_by_the_build(tmp_path):
    """The handout is tagged (PDF/UA): a figure without its text does not ship."""
    root = copy_habits(tmp_path)
    folder = root / "source" / EN
    shutil.copytree(FIXTURES / "checks" / "clean" / "source" / "fictional-fever-care" / "images",
                    folder / "images")
    image = sorted(p.name for p in (folder / "images").iterdir() if p.suffix == ".png")[0]
    path = folder / "article.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "## How often", f"![](images/{image})\n\n## How often"), encoding="utf-8")
    code, err = run("--root", root, path)
    assert code == 1
    assert (f"{path}:{line_of(path, '![](images/')}: error: image 'images/{image}' has no alt "
            "text (the handout is tagged for screen readers) — describe what the image shows") in err
    assert not (root / "dist" / f"{EN}.pdf").exists()


def test_unclosed_quote_in_the_front_matter_is_reported_on_its_line(tmp_path):
    root = copy_habits(tmp_path)
    path = root / "source" / VI / "article.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "subtitle: Tài liệu", 'subtitle: "Tài liệu'), encoding="utf-8")
    assert line_of(path, 'subtitle: "') == 3
    code, err = run("--root", root, path)
    assert code == 1
    assert (f"{path}:3: error: front matter YAML: the quote (\") opened on this line is never "
            'closed — end the value with ", or write it without quotes') in err


# ---------------------------------------------------------------------------------------
# check's summary


def test_check_summary_counts_the_articles_with_warnings(built, tmp_path):
    root = copy_habits(tmp_path)
    code, err = run("--root", root, "check")
    assert code == 0
    assert err.rstrip().endswith("checked 3 article(s): 0 failing, 2 with warnings"), err
    code, err = run("--root", root, "check", "--strict")
    assert code == 1 and err.rstrip().endswith("checked 3 article(s): 2 failing, 2 with warnings")
