"""References as reference managers export them: read, resolved, bounded, and printed in the PDF.

Fixtures in tests/fixtures/references/ are shaped as Zotero (BibTeX, CSL-JSON, RIS), Better
BibTeX (CSL-YAML) and PubMed (RIS) write them; every reference in them is fictional.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from handouts.references.bibliography import format_bibliography
from handouts.references.citations import scan_citations
from handouts.errors import InputError
from handouts.guard.limits import Limits
from handouts.references.bibtex import latex_to_text
from handouts.references.dates import csl_date
from handouts.references.readers import load_references, resolve_bibliography
from pdfcheck import FIXTURES, REPO, pdf_text

REFS = FIXTURES / "references"
AMA = "american-medical-association"

EXPORTS = {
    "zotero.bib": [
        ("quill_sleep_2019",
         "Quill A, Müller J, van der Berg A. Sleep in infants <6 months – a COVID-19 era ‘pretend’ "
         "study. Fictional Reports. 2019;12(3):1123-1131. doi:10.5555/fict.2019.045"),
        ("doe_handbook_2018",
         "Doe J, Roe R, eds. Handbook of Invented Care & Pretend Cures. 2nd ed. Placeholder Publishing; 2018."),
        ("noauthor_how_2021",
         "How to wash your hands | Example Health Portal. Example Health Portal. March 2021. "
         "Accessed May 1, 2024. https://example.org/handwashing"),
        ("example_clinic_heat_2023",
         "Example Clinic. Heat-related illness — when to seek care > 40 °C. Example Clinic. June 1, 2023. "
         "Accessed May 1, 2024. https://example.org/heat_illness~x"),
        ("park_outcomes_2020",
         "Park MJ, King ML Jr. Invented Outcomes in Österreich: ~5 Pretend Clinics. "
         "Example Institute of Health; 2020."),
    ],
    "betterbibtex.yaml": [
        ("quillSleepInfants2019",
         "Quill A, Müller J. Sleep in infants <6 months – a pretend study. Fict Rep. 2019;12(3):1123-1131. "
         "doi:10.5555/fict.2019.045"),
        ("doeHandbookInventedCare2018",
         "Doe J, Roe R, eds. Handbook of Invented Care & Pretend Cures. 2nd ed. Placeholder Publishing; 2018."),
        ("HowWashYour2021",
         "How to wash your hands. Example Health Portal. March 2, 2021. Accessed May 1, 2024. "
         "https://example.org/handwashing"),
    ],
    "zotero.json": [
        ("quill_sleep_2019",
         "Quill A, Park MJ. Is coffee bad for your heart? Fict Rep. 2019;12(3):1123-1131. doi:10.5555/fict.2019.045"),
        ("noauthor_allergy",
         "Seasonal allergy tips. Example Health Portal. Spring 2019. Accessed May 1, 2024. "
         "https://example.org/allergy"),
        ("example_guidance_2017",
         "Example Health Organization. Guidance on Evidence-Based Hand Hygiene. Example Health Organization; 2017."),
    ],
    "pubmed.ris": [
        ("gum2019",
         "Gum G, Park MJ. Abbreviated page ranges in invented journals. Fict Rep. 2019;12(3):1123-1131. "
         "doi:10.5555/fict.2019.1123"),
        ("placeholder2020",
         "Placeholder Study Group. Is coffee bad for your heart? Fict Rep. 2020;1(1):5-9. "
         "https://pubmed.ncbi.nlm.nih.gov/00000002"),
    ],
    # PubMed's own export (Cite > Download .nbib): MEDLINE tags, FAU/AU pairs, CN, LID/AID.
    "pubmed.nbib": [
        ("gum2019",
         "Gum G, Park MJ, Tremblay MÈ. Abbreviated page ranges in invented journals: a fictional cohort "
         "followed over a title long enough to wrap. Fict Rep. 2019;12(3):1123-1131. doi:10.5555/fict.2019.1123"),
        ("king2020",
         "King ML Jr, Placeholder Study Group. Is coffee bad for your heart? Fict Rep. 2020;1(1):5-9. "
         "https://pubmed.ncbi.nlm.nih.gov/00000002/"),
        ("quill2021",
         "Quill A, van der Berg A. Sleep diaries of pretend patients. Example One. 2021;14(2):e0212345. "
         "doi:10.5555/pone.0212345"),
        ("lefevre2018",
         "Lefèvre JP. [Home blood pressure in an invented cohort]. Rev Fict. 2018;45(6):401-409. "
         "https://pubmed.ncbi.nlm.nih.gov/00000004/"),
        ("poe2021",
         "Poe A. Fevers that never were. In: Doe J, ed. Textbook of Imaginary Medicine. Placeholder "
         "Publishing; 2021. https://www.ncbi.nlm.nih.gov/books/NBK000005/"),
    ],
    "zotero.ris": [
        ("poe2017",
         "Poe A. Fevers that never were. In: Doe J, ed. Textbook of Imaginary Medicine. 5th ed. "
         "Nowhere Press; 2017:10-20."),
        ("rook",
         "Rook B. What to pack for a hospital stay. Example Health Portal. Accessed January 15, 2024. "
         "https://example.org/pack"),
    ],
}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_exports_print_as_ama(name):
    references = load_references(REFS / name)
    expected = EXPORTS[name]
    assert list(references.lines) == [key for key, _ in expected]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # citeproc's UserWarning for unused fields must not escape
        bib = format_bibliography(references, tuple(references.lines), AMA)
    assert [(e.key, e.text) for e in bib.entries] == expected


def test_entry_lines_are_where_the_entries_start():
    assert load_references(REFS / "zotero.bib").lines["doe_handbook_2018"] == 22
    assert load_references(REFS / "betterbibtex.yaml").lines["doeHandbookInventedCare2018"] == 30
    assert load_references(REFS / "zotero.json").lines["noauthor_allergy"] == 45
    assert load_references(REFS / "pubmed.ris").lines["placeholder2020"] == 22
    assert load_references(REFS / "pubmed.nbib").lines["king2020"] == 50


@pytest.mark.parametrize("latex, text", [
    (r"infants {\textless}6 months", "infants <6 months"),
    (r"{\textgreater}{\textbar}{\textasciitilde}", ">|~"),
    (r"a {\textendash} b {\textemdash} c", "a – b — c"),
    (r"pages 1--9", "pages 1–9"),
    (r"M{\"u}ller Jos{\'e} {\c c}a {\o}", "Müller José ça ø"),
    (r"Parents{\textquoteright} {\&} kids", "Parents’ & kids"),
    (r"{COVID}-19 in {Example} {Clinic}", "COVID-19 in Example Clinic"),
    (r"50\% of", "50% of"),
    ("plain text", "plain text"),
])
def test_latex_escapes_become_unicode(latex, text):
    assert latex_to_text(latex) == text


@pytest.mark.parametrize("value, expected", [
    ("2022", {"date-parts": [[2022]]}),
    ({"date-parts": [["2022", "3"]]}, {"date-parts": [[2022, 3]]}),
    ({"raw": "2017-10-05"}, {"date-parts": [[2017, 10, 5]]}),
    ({"raw": "October 5, 2017"}, {"date-parts": [[2017, 10, 5]]}),
    ({"raw": "Spring 2019"}, {"literal": "Spring 2019"}),
    ({"literal": "Spring 2019"}, {"literal": "Spring 2019"}),
    ([{"year": 2018, "month": 6}], {"date-parts": [[2018, 6]]}),
    ({"year": 2018}, {"date-parts": [[2018]]}),
])
def test_csl_dates_in_the_forms_exports_write(value, expected):
    assert csl_date(value) == (expected, "")


# ---------------------------------------------------------------------------------------
# Which file


def article_in(tmp_path: Path, *files: str) -> Path:
    folder = tmp_path / "article"
    folder.mkdir()
    for name in files:
        shutil.copy(REFS / "zotero.json", folder / name)
    return folder / "article.md"


def test_bibliography_names_the_file_with_spaces_and_lists(tmp_path):
    article = article_in(tmp_path, "My Library.json", "extra.json")
    assert resolve_bibliography(article, "My Library.json", 3) == ((article.parent / "My Library.json",), [])
    paths, problems = resolve_bibliography(article, ["My Library.json", "extra.json"], 3)
    assert len(paths) == 2 and not problems


def test_two_candidates_without_bibliography_is_an_error_naming_both(tmp_path):
    article = article_in(tmp_path, "references.json", "references.bib")
    paths, [problem] = resolve_bibliography(article, None, None)
    assert paths == ()
    assert "references.yaml" not in problem.message
    assert "references.json and references.bib" in problem.message
    assert "bibliography:" in problem.hint


def test_a_missing_file_suggests_the_one_that_is_there(tmp_path):
    article = article_in(tmp_path, "My Library.json")
    _, [problem] = resolve_bibliography(article, "My Libary.json", 7)
    assert problem.line == 7 and "not found" in problem.message and "My Library.json" in problem.hint


def test_a_file_outside_the_article_folder_is_refused(tmp_path):
    article = article_in(tmp_path)
    (tmp_path / "outside.json").write_text("[]")
    (article.parent / "link.json").symlink_to(tmp_path / "outside.json")
    for name in ("../outside.json", "link.json"):
        _, [problem] = resolve_bibliography(article, name, 2)
        assert "outside the article's folder" in problem.message


def test_the_same_key_in_two_files_is_an_error(tmp_path):
    folder = tmp_path
    shutil.copy(REFS / "zotero.json", folder / "a.json")
    shutil.copy(REFS / "zotero.json", folder / "b.json")
    with pytest.raises(InputError, match=r"b.json:2: error: entry 'quill_sleep_2019': duplicate key "
                                         r"\(first on a.json:2\)"):
        load_references([folder / "a.json", folder / "b.json"])


# ---------------------------------------------------------------------------------------
# Errors: file, line, entry key; all in one pass


def test_bibtex_errors_name_file_line_and_entry_all_at_once(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text("@book{ok, title = {Fine}, year = {2001}}\n\n"
                    "@article{who2013,\n  title = {No year},\n  year = {soon}\n}\n\n"
                    "@misc{web, url = {https://example.org}, urldate = {yesterday}}\n\n"
                    "@article{open,\n  title = {Never closed}\n")
    with pytest.raises(InputError) as exc:
        load_references(path)
    lines = str(exc.value).splitlines()
    assert lines[0] == (f"{path}:3: error: entry 'who2013': 'year' is not a year: 'soon' — "
                        "write e.g. year = {2019}")
    assert any(f"{path}:8: error: entry 'web': 'urldate' is not a date" in line for line in lines)
    assert any(f"{path}:8: error: entry 'web': has no 'title'" in line for line in lines)
    assert any(f"{path}:10: error: entry 'open': BibTeX syntax: not closed" in line for line in lines)


def test_csl_errors_name_the_entry_and_its_line(tmp_path):
    path = tmp_path / "references.yaml"
    path.write_text("- id: a\n  type: book\n  title: Fine\n"
                    "- id: b\n  type: bok\n  title: Typo\n"
                    "- id: c\n  type: book\n  issued: 2020-13\n")
    with pytest.raises(InputError) as exc:
        load_references(path)
    text = str(exc.value)
    assert f"{path}:4: error: entry 'b': unknown type 'bok' — did you mean 'book'?" in text
    assert f"{path}:7: error: entry 'c': 'issued' is not a date" in text
    assert f"{path}:7: error: entry 'c': has no 'title'" in text


# ---------------------------------------------------------------------------------------
# Citations as pandoc users write them


def cite(tmp_path, body, name="zotero.json"):
    shutil.copy(REFS / name, tmp_path / name)
    refs = load_references(tmp_path / name)
    order, problems, warns = scan_citations(tmp_path / "article.md", body, 10, refs)
    return refs, order, problems, warns


def test_prefix_locator_suppressed_author_and_narrative(tmp_path):
    from handouts.markdown.body import convert

    refs, order, problems, _ = cite(
        tmp_path, "Coffee [see @quill_sleep_2019, p. 3]. Tips [-@noauthor_allergy]. "
                  "As @example_guidance_2017 says, wash. Mail me@example.org or @someone.")
    assert order == ("quill_sleep_2019", "noauthor_allergy", "example_guidance_2017") and not problems
    bib = format_bibliography(refs, order, AMA)
    html = convert("Coffee [see @quill_sleep_2019, p. 3]. Tips [-@noauthor_allergy]. "
                   "As @example_guidance_2017 says, and @quill_sleep_2019 [p. 4] too. "
                   "Mail me@example.org or @someone.", bib.numbers).html
    assert 'Coffee<sup class="citation">see <a href="#ref-1">1</a>(p3)</sup>.' in html
    assert 'Tips<sup class="citation"><a href="#ref-2">2</a></sup>.' in html
    assert ('As <span class="citation-narrative">Example Health Organization<sup class="citation">'
            '<a href="#ref-3">3</a></sup></span> says') in html
    assert ('<span class="citation-narrative">Quill and Park<sup class="citation"><a href="#ref-1">1</a>'
            '(p4)</sup></span> too') in html
    assert "me@example.org" in html and "or @someone." in html


def test_numbers_follow_first_use_whether_narrative_or_bracketed(tmp_path):
    _, order, problems, _ = cite(tmp_path, "As @example_guidance_2017 said [see @quill_sleep_2019].\n"
                                           "Later [@noauthor_allergy; @example_guidance_2017].")
    assert order == ("example_guidance_2017", "quill_sleep_2019", "noauthor_allergy") and not problems


def test_narrative_names_follow_ama(tmp_path):
    refs = load_references(REFS / "corpus.yaml")
    bib = format_bibliography(refs, ("one-author", "two-authors", "three-authors", "org-author",
                                     "no-author-web", "particle-van-der"), AMA)
    assert bib.names == {"one-author": "Quill", "two-authors": "Quill and Rook",
                         "three-authors": "Quill et al", "org-author": "Example Health Organization",
                         "no-author-web": "How to wash your hands", "particle-van-der": "van der Berg"}


def test_an_at_word_that_looks_like_a_key_warns(tmp_path):
    _, order, problems, warns = cite(tmp_path, "Line one.\nAs @quill_sleep_2018 found, and @home.")
    assert not problems and order == ()
    [warn] = [w for w in warns if "@quill_sleep_2018" in w.message]
    assert warn.line == 11 and "did you mean '@quill_sleep_2019'?" in warn.hint
    assert not any("@home" in w.message for w in warns)


def test_language_picks_the_csl_locale(tmp_path):
    refs = load_references(REFS / "zotero.json")
    texts = {lang: format_bibliography(refs, ("noauthor_allergy",), AMA, lang=lang).entries[0].text
             for lang in ("en", "fil", "vi", "id", "ms", "th")}
    assert "Accessed May 1, 2024" in texts["en"]
    assert "Inakses noong ika-1 ng Mayo 2024" in texts["fil"]
    assert "Truy cập 1 Tháng Năm 2024" in texts["vi"]
    assert "Diakses 1 Mei 2024" in texts["id"] and "Diakses 1 Mei 2024" in texts["ms"]
    assert "สืบค้น 1 พฤษภาคม 2567" in texts["th"]  # the page's calendar: Buddhist Era


# ---------------------------------------------------------------------------------------
# Bounds (issue 8): every hostile input ends in <= 60 s and <= 2 GiB with one clear line

BOUND_SCRIPT = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
    from handouts.references.readers import load_references
    from handouts.references.citations import scan_citations
    from handouts.errors import InputError
    path, body = sys.argv[1], sys.stdin.read()
    try:
        refs = load_references(path)
        _, problems, _ = scan_citations(__import__("pathlib").Path("article.md"), body, 1, refs)
        print("\\n".join(str(p) for p in problems) or f"ok {len(refs.lines)}")
    except InputError as exc:
        print(exc)
        sys.exit(1)
""")


def run_bounded(path: Path, body: str = "") -> tuple[int, str, float]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", BOUND_SCRIPT, str(path)], input=body, capture_output=True,
                          text=True, timeout=60, cwd=REPO)
    elapsed = time.monotonic() - start
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # never a crash or a signal
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr[-2000:]
    return proc.returncode, proc.stdout, elapsed


HOSTILE_IDS = ["json-deep", "yaml-flow-deep", "yaml-block-deep", "yaml-alias-bomb", "json-lone-surrogate",
               "bib-missing-brace", "bib-comment-unclosed", "bib-string-bomb"]


@pytest.mark.parametrize("name, content, message", [
    ("references.json", "[" * 100_000 + "]" * 100_000, "nested more than 64 levels deep (reference_depth)"),
    ("references.yaml", "[" * 100_000 + "]" * 100_000, "nested more than 64 levels deep (reference_depth)"),
    ("references.yaml", "- " * 100_000 + "x\n", "nested more than 64 levels deep (reference_depth)"),
    ("references.yaml", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
     + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)),
     "YAML aliases (*name) are not allowed"),
    ("references.json", '[{"id": "a", "type": "book", "title": "x\\ud800y"}]', "lone surrogate"),
    ("references.bib", "@article{a,\n  title = {x},\n", "not closed: a '}' is missing at the end of the file"),
    ("references.bib", "@article{a, title = {x}, year = 2000}\n@comment{trailing", "@comment: BibTeX syntax: not closed"),
    ("references.bib", "@string{s0 = {xxxxxxxxxx}}\n" + "".join(f"@string{{s{i + 1} = s{i} # s{i}}}\n"
                                                            for i in range(60)) + "@misc{k, title = s60}\n",
     "expands to more than 100,000 characters (reference_field_chars)"),
], ids=HOSTILE_IDS)
def test_hostile_reference_files_end_with_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, elapsed = run_bounded(path)
    assert code == 1 and message in out and elapsed < 60
    assert out.startswith(f"{path}:")


def test_comment_at_the_end_without_newline_is_fine(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text("@book{a, title = {T}, publisher = {P}, year = 2000}\n@comment{jabref-meta: x;}")
    assert run_bounded(path)[:2] == (0, "ok 1\n")


def test_size_and_entry_limits_say_which_limit_and_how_to_raise_it(tmp_path):
    path = tmp_path / "references.json"
    path.write_text('[{"id": "a", "type": "book", "title": "T"}, {"id": "b", "type": "book", "title": "T"}]')
    with pytest.raises(InputError, match=r"over the limit of 10 \(reference_file_bytes\) — .*"
                                         r"raise 'reference_file_bytes' in the \[limits\] table"):
        load_references(path, Limits(reference_file_bytes=10))
    with pytest.raises(InputError, match=r"2 entries, over the limit of 1 \(reference_entries\)"):
        load_references(path, Limits(reference_entries=1))


def test_thirty_thousand_bibtex_entries_load_in_linear_time(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text("".join(f"@article{{k{i},\n  author = {{Doe, Jane and Roe, Rick}},\n"
                            f"  title = {{Invented {{\\textless}}6 title {i}}},\n  journal = {{J Fict}},\n"
                            f"  year = {{2019}}, month = mar,\n  pages = {{1--9}}\n}}\n\n" for i in range(30_000)))
    code, out, elapsed = run_bounded(path)
    assert (code, out) == (0, "ok 30000\n")
    assert elapsed < 45, elapsed


def test_fifty_megabytes_of_csl_json_load_in_linear_time(tmp_path):
    import json

    item = {"type": "article-journal", "title": "An invented title " * 5, "container-title": "J Fict",
            "author": [{"family": "Doe", "given": "Jane"}] * 3, "issued": {"date-parts": [[2019, 3]]},
            "abstract": "lorem ipsum " * 100}
    path = tmp_path / "references.json"
    path.write_text(json.dumps([dict(item, id=f"k{i}") for i in range(30_000)], indent=1))
    assert path.stat().st_size > 40 * 2**20
    code, out, elapsed = run_bounded(path)
    assert (code, out) == (0, "ok 30000\n") and elapsed < 45, (out, elapsed)


def test_three_thousand_unknown_keys_and_a_hundred_thousand_citations(tmp_path):
    path = tmp_path / "references.json"
    path.write_text(__import__("json").dumps(
        [{"id": f"author{i}2019", "type": "book", "title": "T"} for i in range(5000)]))
    body = " ".join(f"[@nobody{i}x]" for i in range(3000))
    code, out, elapsed = run_bounded(path, body)
    assert out.count("unknown citation key") == 3000 and elapsed < 60
    assert out.count("did you mean") <= 20
    code, out, elapsed = run_bounded(path, "Claim " + "[@author12019] " * 100_000)
    assert "more than 10,000 citations (citations)" in out and elapsed < 60


# ---------------------------------------------------------------------------------------
# Acceptance: an article per export builds, no Python warning, every reference in the PDF


ARTICLE = """---
title: Invented Sleep Advice
lang: en
authors:
  - name: Ada Placeholder
reviewers:
  - name: Dr. Test Reviewer
    credential: MD
    specialty: Imaginary Medicine
    reviewed: 2024-03-01
updated: 2024-03-02
{extra}---

Sleep matters {citations}.
"""


EXPORT_FILES = [("zotero.bib", "My Library.bib"), ("betterbibtex.yaml", None), ("zotero.json", None),
                ("pubmed.ris", "pubmed.ris"), ("pubmed.nbib", None)]


def export_slug(name: str) -> str:
    return "sleep-" + name.replace(".", "-")


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A project with an article citing each export, built once as a user would, in a
    fresh process that shows every Python warning: (root, the finished build)."""
    work = tmp_path_factory.mktemp("exports")
    root = work / "proj"
    shutil.copytree(REPO / "styles", root / "styles")
    (root / "handouts.toml").write_text('publisher = "Example Health Press"\n'
                                        'disclaimer = "Example Health Press is fictional and gives no '
                                        'medical advice."\n')
    for name, bibliography in EXPORT_FILES:
        folder = root / "source" / export_slug(name)
        folder.mkdir(parents=True)
        shutil.copy(REFS / name, folder / (bibliography or f"references{Path(name).suffix}"))
        extra = f"bibliography: {bibliography}\n" if bibliography else ""
        citations = "[" + "; ".join(f"@{key}" for key, _ in EXPORTS[name]) + "]"
        (folder / "article.md").write_text(ARTICLE.format(extra=extra, citations=citations))
    env = {**os.environ, "PYTHONWARNINGS": "default"}  # show every Python warning, if any
    return root, subprocess.run([sys.executable, str(REPO / "build_pdf.py"), "--root", str(root)],
                                capture_output=True, text=True, timeout=300, env=env, cwd=work)


@pytest.mark.parametrize("name, bibliography", EXPORT_FILES)
def test_an_article_builds_from_each_export(exports, name, bibliography):
    root, proc = exports
    assert proc.returncode == 0, proc.stderr
    # No Python warning, and no warning about the references themselves (the editorial
    # checks' advice on the prose, e.g. "[plain-language/you]", is not about the export).
    assert "Warning" not in proc.stderr, proc.stderr
    mine = [line for line in proc.stderr.splitlines()  # the lines about this article's files
            if f"source/{export_slug(name)}/" in line.split(": ", 1)[0]]
    assert mine, proc.stderr  # (its review note at least)
    about_references = [line for line in mine
                        if "warning:" in line and "[" not in line.split("warning:", 1)[1][:3]]
    assert about_references == [], proc.stderr
    pdf = root / "dist" / f"{export_slug(name)}.pdf"
    # Lines break anywhere in a reference; compare without the breaks (and without spaces,
    # which pypdf puts at a line break). A reference never hyphenates (no U+2010).
    text = pdf_text(pdf)
    assert "\u2010" not in text.split("References")[-1]
    flat = re.sub(r"\s+", "", text)
    for number, (key, expected) in enumerate(EXPORTS[name], 1):
        assert re.sub(r"\s+", "", f"{number}. {expected}") in flat, (key, expected, text[-1500:])


# ---------------------------------------------------------------------------------------
# RIS: records cut short, and many records that need a generated key

def _ris_record(title: str, year: int = 2019, author: str = "Gum, Gil", end: bool = True) -> str:
    """One record as PubMed writes it (no ID line: the key is generated)."""
    return (f"TY  - JOUR\nDB  - PubMed\nAU  - {author}\nT1  - {title}.\nY1  - {year}/03/\n"
            "JF  - Fictional reports\nVL  - 1\n" + ("ER  - \n\n" if end else ""))


@pytest.mark.parametrize("which", ["last", "middle", "only"])
def test_a_ris_record_without_er_is_an_error_at_its_line(tmp_path, which):
    """rispy drops a last record without 'ER  - ' and merges a middle one into the next:
    either way a reference would vanish and its key read as unknown."""
    records = {"last": [_ris_record("First"), _ris_record("Second", end=False)],
               "middle": [_ris_record("First"), _ris_record("Second", end=False), _ris_record("Third")],
               "only": [_ris_record("Only", end=False)]}[which]
    path = tmp_path / "references.ris"
    path.write_text("".join(records), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_references(path)
    [problem] = caught.value.problems
    lines = "".join(records).split("\n")
    title = lines.index("T1  - Only." if which == "only" else "T1  - Second.")
    assert problem.line == title - 2  # the record's 'TY  - ' line, counted from 1
    assert "ER  - " in problem.message and "ER  - " in problem.hint


def test_ris_generated_keys_are_linear_in_the_number_of_records(tmp_path):
    """3,000 records by one author in one year: doe2019, doe2019a … doe2019z, doe20190 …,
    all distinct, in about the time of 750 records times four, not sixteen (the best of
    three runs each, and a margin of 2.5, so a busy machine cannot fail it; the quadratic
    generator took over 60 s)."""
    def load(n: int) -> tuple[float, set]:
        path = tmp_path / f"r{n}.ris"
        path.write_text("".join(_ris_record(f"Report {i}") for i in range(n)), encoding="utf-8")
        started = time.perf_counter()
        keys = load_references(path).keys
        return time.perf_counter() - started, keys

    small = min(load(750)[0] for _ in range(3))
    large, keys = min(load(3_000) for _ in range(3))
    assert len(keys) == 3_000
    assert {"gum2019", "gum2019a", "gum2019z", "gum20190", "gum20192972"} <= keys
    assert large < max(small, 0.05) * 4 * 2.5, (small, large)


def test_thai_references_follow_the_page_calendar_and_thai_word_order():
    """On a Thai page every year is Buddhist Era, as the page's own dates are (2019 ->
    2562), and the edition reads "พิมพ์ครั้งที่ 2" (the term first), not "2nd พิมพ์ครั้งที่"."""
    references = load_references(REFS / "thai.yaml")
    bib = format_bibliography(references, tuple(references.lines), AMA, "th")
    assert [e.text for e in bib.entries] == [
        "ตัวอย่าง สมชาย. คู่มือการดูแลความดันโลหิตสูง (สมมติ). พิมพ์ครั้งที่ 2. สำนักพิมพ์สมมติ; 2562.",
        "Gum G. Home blood pressure in an invented cohort. Fict Rep. 2563;12(3):1123–1131.",
        "วิธีวัดความดันโลหิตที่บ้าน. Example Health Portal. 4 พฤษภาคม 2566. สืบค้น 15 มกราคม 2567. "
        "https://example.org/th/bp",
    ]
    # The same file on an English page: Gregorian years, "2nd ed."
    english = format_bibliography(references, tuple(references.lines), AMA, "en")
    assert english.entries[0].text.endswith("2nd ed. สำนักพิมพ์สมมติ; 2019.")


def test_pubmed_nbib_renamed_or_broken_says_what_it_is(tmp_path):
    """A .nbib renamed to .ris is named for what it is; a broken MEDLINE line is located."""
    renamed = tmp_path / "pubmed.ris"
    shutil.copy(REFS / "pubmed.nbib", renamed)
    with pytest.raises(InputError) as exc:
        load_references(renamed)
    assert str(exc.value.problems[0]) == (f"{renamed}:2: error: this is PubMed's MEDLINE format "
                                          "(.nbib), not RIS — name the file pubmed.nbib")
    broken = tmp_path / "pubmed.nbib"
    text = (REFS / "pubmed.nbib").read_text(encoding="utf-8").replace(
        "PG  - 5-9\n", "PG  - 5-9\nthe abstract pasted here\n")
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_references(broken)
    assert str(exc.value.problems[0]).startswith(f"{broken}:58: error: not a MEDLINE line: "
                                                 "'the abstract pasted here' — each line is")
    # references.nbib beside the article is found like any references.* file
    (tmp_path / "article.md").write_text("x")
    shutil.copy(REFS / "pubmed.nbib", tmp_path / "references.nbib")
    broken.unlink()
    renamed.unlink()
    assert resolve_bibliography(tmp_path / "article.md", None, None) == ((tmp_path / "references.nbib",), [])


ZOTERO_TECHREPORT = """
@techreport{tremblay_fever_2022,
	address = {Montr{\\'e}al},
	type = {Technical {Report}},
	title = {Fever in children: a fictional field report},
	number = {FR-22-07},
	institution = {Example Institute of Health},
	author = {Tremblay, Marie-{\\`E}ve and Nguyen, Van An},
	month = jul,
	year = {2022},
}
"""


def test_zotero_techreport_keeps_its_number_and_the_ama_style_file_drops_it(tmp_path):
    """The reader keeps the report number and the hyphenated given name. AMA (and the CSL
    style's initialize-with-hyphen="false") give one initial per part, no hyphen: "MÈ".
    The AMA CSL style prints no report number for type report (its report branch has no
    `number`): the NLM style, fed the same item, prints it (README: References)."""
    path = tmp_path / "My Library.bib"
    path.write_text(ZOTERO_TECHREPORT, encoding="utf-8")
    references = load_references(path)
    item = references.csl("tremblay_fever_2022")
    assert item["number"] == "FR-22-07" and item["genre"] == "Technical Report"
    assert item["author"][0] == {"family": "Tremblay", "given": "Marie-Ève"}
    ama = format_bibliography(references, ("tremblay_fever_2022",), AMA).entries[0].text
    assert ama == ("Tremblay MÈ, Nguyen VA. Fever in Children: A Fictional Field Report. "
                   "Example Institute of Health; 2022.")
    nlm = format_bibliography(references, ("tremblay_fever_2022",), "nlm-citation-sequence").entries[0].text
    assert "Tremblay MÈ, Nguyen VA." in nlm and nlm.endswith("Technical Report FR-22-07.")
