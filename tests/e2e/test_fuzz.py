"""Property tests: whatever an author writes, the CLI answers 0 or 1, never crashes.

Random Markdown bodies (Markdown syntax, raw HTML, citation-like strings, unicode, control
characters) and random front matter (YAML-ish text, right and wrong values for the known
keys, bad dates, unknown keys) go through ``main``. The outcome must be exit 0 with a PDF
that pypdf opens (for ``build``) or exit 1 with every stderr line shaped
``path[:line]: error|warning: message`` — never exit 3, never a traceback, and never a
``.*.tmp`` file left in the output folder. Most examples only run ``check`` (validation);
a smaller number run the whole build.

Inputs that once crashed the engine (YAML tags, impossible dates, non-scalar keys, control
characters, lone surrogates, U+2029) are part of the generated values and are also
pinned as explicit regression cases at the end of the file.
"""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from handouts.cli import main

from pdfcheck import REPO

SLUG = "fuzzed"

REFERENCES = """\
- id: alpha
  type: document
  author: [{family: Example, given: Fictional}]
  title: A fictional source for the fuzz tests
  issued: 2020
- id: beta-2
  type: webpage
  title: Another fictional source
  URL: https://example.org/fictional
"""

VALID_FRONT = {
    "title": "Test Handout",
    "authors": "\n  - name: Dr. Test Author",
    "reviewers": ("\n  - name: Dr. Test Reviewer\n    credential: MD\n"
                  "    specialty: Testing\n    reviewed: 2024-01-02"),
    "updated": "2024-01-02",
}

# ---------------------------------------------------------------------------------------
# Strategies

MD_FRAGMENTS = [
    "# Heading", "## Sub heading {#custom-id}", "### Third", "#### Fourth ####", "Setext\n===",
    "- item\n- item", "1. one\n2. two", "  - nested\n    - deeper", "* a\n\n* b", "10) ten",
    "> quote\n> more", "> > nested quote", "```\ncode [@alpha]\n```", "~~~python\nx = 1\n",
    "```", "    indented code", "`code [@alpha]`", "``tick ` tick``", "*em*", "**strong**",
    "_under_", "***both***", "~~strike~~", "[link](https://example.org)",
    "[link](https://example.org \"title\")", "[ref link][r]", "[r]: https://example.org",
    "![img](images/missing.png)", "![alt](<images/a b.png>)", "![x][img]", "[img]: images/x.png",
    "<https://example.org>", "<mailto:test@example.org>", "line\\\nbreak", "hard  \nbreak",
    "---", "***", "| a | b |\n|---|:-:|\n| 1 | 2 |", "| broken | table\n|--",
    "Term\n: definition", "Footnote[^1].", "[^1]: The note.", "[^missing]", "*[HTML]: Hyper",
    "{: .class }", "{: #id style=\"x\" }", "\\*escaped\\*", "&amp; &copy; &#0; &#x110000; &bogus;",
    "<!-- comment -->", "<!--", "-->", "<![CDATA[ x ]]>", "<?php echo 1 ?>",
]
HTML_FRAGMENTS = [
    "<div>", "</div>", "<div markdown=\"1\">*md*</div>", "<span class='x'>s</span>",
    "<script>alert(1)</script>", "<style>p{color:red}</style>", "<img src=x onerror=alert(1)>",
    "<img src=\"images/missing.png\">", "<img src='data:image/png;base64,AAAA'>",
    "<iframe src=\"about:blank\"></iframe>", "<table><tr><td>cell", "</td></tr></table>",
    "<a href=\"javascript:alert(1)\">j</a>", "<a href=\"#ref-1\">internal</a>", "<svg><g/></svg>",
    "<math><mi>x</mi></math>", "<template>t</template>", "<noscript>n</noscript>",
    "<p", "<", ">", "</", "<br/>", "<hr>", "<details><summary>s</summary>d</details>",
    "<ol start=\"-5\" type=\"i\"><li>x</ol>", "<td colspan=\"99999999\">c</td>",
    "<sup>1</sup>", "<abbr title=\"t\">a</abbr>", "<h1>raw h1</h1>", "<h7>no</h7>",
]
CITATIONS = [
    "[@alpha]", "[@beta-2]", "[@alpha; @beta-2]", "[@alpha, p. 4]", "[see @alpha, pp. 3-5; @beta-2]",
    "[-@alpha]", "[@alpha]", "[@unknown]", "[@]", "[@@alpha]", "[@alpha", "@alpha]",
    "[@alpha](https://example.org)", "[@alpha][x]", "[@alpha]:", "[@alpha, chap. 2]",
    "[@ALPHA]", "[@alpha.]", "[@a<b>]", "[@é]", "[ @alpha ]", "[@alpha;]", "[;@alpha]",
    "[@alpha, p. [4]]", "[@1]", "[@_x]", "[^@alpha]",
]
WEIRD_TEXT = [
    "\u200b", "\u200e\u202e", "\ufeff", "\u00a0", "\u2028", "\x00", "\x0b", "\x0c",
    "\x1b[31m", "\x7f", "\x85", "\t", "\r", "\r\n", " \u2029 ", "\u2029", "🧪💊", "ﷺ", "עברית", "中文", "e\u0301",
    "𝕏", "\uffff", "\ufffd", " " * 40, "a" * 500, "-" * 3, "...", "'", '"', "\\",
]

# Nesting and sizes around the limits (handouts/limits.py): each is built, or refused with
# one located line naming its limit -- never a RecursionError, a hang or a crash.
DEEP_FRAGMENTS = [
    *("> " * n + "deep" for n in (31, 33, 300)),
    *("".join("\n" + "  " * i + "- x" for i in range(n)) for n in (31, 40)),
    *("*a " * n + "b" + " a*" * n for n in (30, 40, 2000)),
    *("<div>" * n + "x" + "</div>" * n for n in (31, 40)),
    *("[" * n for n in (20, 60, 3000)), "*" * 60, "_" * 49, "|" * 70, "![" * 500,
    "<img " * 400, "`" * 1001, "word " * 900, '<td colspan="101">x</td>',
]

# One line of any text (control characters, U+2028/U+2029 included), for bodies and
# front matter alike.
line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    max_size=40)
fragment = st.one_of(
    st.sampled_from(MD_FRAGMENTS), st.sampled_from(HTML_FRAGMENTS),
    st.sampled_from(CITATIONS), st.sampled_from(WEIRD_TEXT), line_text,
    st.sampled_from(DEEP_FRAGMENTS))
separator = st.sampled_from(["", " ", "\n", "\n\n", "\n    ", "\n> ", "\n- "])
bodies = st.lists(st.tuples(fragment, separator), max_size=14).map(
    lambda parts: "".join(f + s for f, s in parts))

# Fragments that are input errors on their own (unknown keys, missing images).
ERRORING = {"<td colspan=\"99999999\">c</td>", "{: .class }", "{: #id style=\"x\" }",
            "![img](images/missing.png)", "![alt](<images/a b.png>)", "<img src=x onerror=alert(1)>",
            "<img src=\"images/missing.png\">", "[@unknown]", "[@ALPHA]", "[@1]", "[@_x]", "[@é]",
            "[@a<b>]", "[@@alpha]"}
clean_fragment = st.one_of(
    st.sampled_from([f for f in MD_FRAGMENTS + HTML_FRAGMENTS + CITATIONS if f not in ERRORING]),
    st.sampled_from(WEIRD_TEXT), line_text.filter(lambda t: "@" not in t and "](" not in t))
clean_bodies = st.lists(st.tuples(clean_fragment, separator), min_size=1, max_size=14).map(
    lambda parts: "".join(f + s for f, s in parts) + "\n\nClosing sentence.")

DATES_GOOD = ["2024-01-02", "1999-12-31", "2024-02-29"]
DATES_BAD = ["2023-02-29", "2024-13-01", "24-01-02", "01/02/2024", "'2024-01-02'",
             "2024-01-02T10:00:00", "20240102", "yesterday", "[2024, 1, 2]", "{}", "~", ""]
SCALARS = ["plain text", "'single quoted'", '"double \\"quoted\\""', "\"tab\\there\"",
           "\"line\\nbreak\"", "|\n  literal block\n  two lines", ">-\n  folded\n  block",
           "123", "-1", "0", "1.5", "1e400", ".nan", "true", "no", "null", "~", "''",
           "[]", "{}", "[a, b]", "{a: 1}", "[unclosed", "{unclosed", "'unclosed", "\"unclosed",
           "&anchor value", "*undefined_alias", "a: b: c", "- item", "# only a comment",
           "x #comment", "@reserved", "`backtick", "%directive", "!!str 12", "!!binary aGk=",
           "\"\\u00e9\\u4e2d\"", "very " * 30]
# Values YAML cannot build (tags, impossible implicit dates) and escapes for characters no
# value may hold (control characters, line separators, lone surrogates).
UNBUILDABLE = ["!!bool maybe", "!custom x", "!!python/name:os.system x", "2024-13-45",
               "2024-02-30", "!!binary not-base64!", "!!timestamp nope", "!!float x",
               "!!int abc", "!custom 3", "!!omap [1]"]
BAD_ESCAPES = ['"a\\x01b"', '"\\f"', '"Test \\P Handout"', '"\\L"', '"a\\ud800b"', '"\\udfff"',
               '["\\ud800"]', '"\\0"']
YAML_VALUES = SCALARS + DATES_GOOD + DATES_BAD + UNBUILDABLE + BAD_ESCAPES

KNOWN_KEYS = ["title", "subtitle", "short_title", "lang", "summary", "keywords", "authors",
              "reviewers", "updated", "edition", "publisher", "disclaimer", "source_url",
              "draft", "references"]
UNKNOWN_KEYS = ["titel", "reviewer", "Title", "author", "date", "tags", "x", "draft ", "ñ",
                "123", "'quoted key'", "null", "~", "true",
                "? [complex, key]", "{flow: key}", '"new\\nline key"', '"\\f"']
PERSON_VALUES = [
    "\n  - name: Dr. Test Author", "\n  - Dr. Test Author", "\n  - name: ''",
    "\n  - name: Dr. Test Author\n    credential: PhD\n    extra: 1", "\n  - {}", "\n  - []",
    "\n  - name: [a]", "[]", "Dr. Single String", "\n  -", "\n  - name: Dr. A\n  - name: Dr. A",
    "\n  - {? [x] : y}", "\n  - name: \"Dr. \\x07\"",
]
REVIEWER_VALUES = [
    VALID_FRONT["reviewers"],
    "\n  - name: Dr. Test Reviewer\n    credential: MD\n    specialty: Testing",
    "\n  - name: Dr. Test Reviewer\n    credential: MD\n    specialty: Testing\n    reviewed: 03/2024",
    "\n  - name: Dr. Test Reviewer\n    credential: MD\n    specialty: Testing\n    reviewed: 2024-02-30",
    "\n  - name: Dr. Test Reviewer\n    reviewd: 2024-01-02", "\n  - Dr. Test Reviewer",
    "[]", "\n  - {name: Dr. R, credential: MD, specialty: S, reviewed: 2024-01-02, x: 1}",
]
SPECIFIC = {
    "lang": ["en", "en-US", "vi", "e", "english", "en_US", "x-klingon", "zh-Hant-TW", "123"],
    "edition": ["1", "2", "0", "-3", "1.5", "true", "'2'", "99999999999999999999999",
                *UNBUILDABLE],
    "draft": ["true", "false", "yes", "'true'", "1", "null", "[true]", *UNBUILDABLE],
    "updated": DATES_GOOD + DATES_BAD,
    "keywords": ["[a, b]", "[]", "[[nested]]", "[{a: 1}, x]", "plain", "\n  - one\n  - ''"],
    "authors": PERSON_VALUES,
    "reviewers": REVIEWER_VALUES,
    "source_url": ["https://example.org/x", "http://example.org", "ftp://example.org",
                   "javascript:alert(1)", "example.org", "file:///etc/passwd", "https://"],
    "references": ["references.yaml", "missing.yaml", "../../handouts.toml", "/etc/passwd", ".",
                   "article.md"],
}


@st.composite
def front_matters(draw, max_changes: int = 4, raw: bool = True) -> str:
    """Front matter YAML text: mostly valid keys with random values, sometimes junk."""
    mode = draw(st.sampled_from(["mutated", "mutated", "mutated"] + (["raw"] if raw else [])))
    if mode == "raw":
        pieces = draw(st.lists(st.one_of(
            st.sampled_from(YAML_VALUES), line_text,
            st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(KNOWN_KEYS + UNKNOWN_KEYS),
                      st.sampled_from(YAML_VALUES))), max_size=8))
        return "\n".join(pieces)
    fields = dict(VALID_FRONT)
    if draw(st.booleans()):
        fields["draft"] = "true"
    for _ in range(draw(st.integers(0, max_changes))):
        key = draw(st.sampled_from(KNOWN_KEYS + UNKNOWN_KEYS))
        choice = draw(st.sampled_from(["specific", "any", "remove"]))
        if choice == "remove":
            fields.pop(key, None)
        elif choice == "specific" and key in SPECIFIC:
            fields[key] = draw(st.sampled_from(SPECIFIC[key]))
        else:
            fields[key] = draw(st.sampled_from(YAML_VALUES))
    lines = [f"{k}: {v}" for k, v in fields.items()]
    if draw(st.booleans()):
        lines = draw(st.permutations(lines))
    return "\n".join(lines)


WRAPPERS = ["normal", "normal", "normal", "normal", "crlf", "bom", "no-close", "no-open",
            "dots-close", "empty-front", "latin1-byte"]


def article_bytes(front: str, body: str, wrapper: str) -> bytes:
    if wrapper == "no-open":
        text = f"{front}\n---\n{body}\n"
    elif wrapper == "no-close":
        text = f"---\n{front}\n{body}\n"
    elif wrapper == "dots-close":
        text = f"---\n{front}\n...\n{body}\n"
    elif wrapper == "empty-front":
        text = f"---\n---\n{body}\n"
    else:
        text = f"---\n{front}\n---\n{body}\n"
    if wrapper == "crlf":
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8", "surrogatepass")
    if wrapper == "bom":
        data = b"\xef\xbb\xbf" + data
    if wrapper == "latin1-byte":
        data = data.replace(b"\n", b"\n\xe9", 1)
    return data


# ---------------------------------------------------------------------------------------
# Running the CLI on one example

LINE = re.compile(r"^(?P<path>\S[^\n]*?)(?::(?P<line>\d+))?: (?P<severity>error|warning): \S")
SUMMARY = re.compile(r"^(checked \d+ article\(s\): \d+ failing, \d+ with warnings"
                     r"|\d+ built, \d+ unchanged(, \d+ failed)? in [\d.]+ s)$")

_counter = itertools.count()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def make_project(workspace: Path, data: bytes, references: str | None, with_image: bool) -> Path:
    """A project whose one article is `data`, with `references` as references.yaml."""
    root = workspace / f"p{next(_counter)}"
    shutil.copytree(REPO / "styles", root / "styles")
    (root / "handouts.toml").write_text(
        'publisher = "Example Clinic"\n'
        'disclaimer = "Example Clinic does not provide medical advice."\n', encoding="utf-8")
    folder = root / "source" / SLUG
    folder.mkdir(parents=True)
    (folder / "article.md").write_bytes(data)
    if references is not None:
        (folder / "references.yaml").write_text(references, encoding="utf-8")
    if with_image:
        (folder / "images").mkdir()
        (folder / "images" / "x.png").write_bytes(
            bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010800000000"
                          "3a7e9b550000000a49444154789c63f80f00010101001b2db6a10000000049454e44ae426082"))
    return root


def run_cli(capsys, root: Path, command: str) -> tuple[int, str]:
    out_dir = root / "dist"
    capsys.readouterr()
    code = main([command, "--root", str(root), "--out", str(out_dir), "-q"])
    _, err = capsys.readouterr()
    return int(code), err


def run_example(workspace: Path, capsys, command: str, front: str, body: str,
                wrapper: str = "normal", references: str | None = None,
                with_image: bool = False) -> tuple[int, str]:
    """Run `command` on a fresh project; checks it behaved, returns (exit code, stderr)."""
    root = make_project(workspace, article_bytes(front, body, wrapper), references, with_image)
    try:
        code, err = run_cli(capsys, root, command)
        assert_well_behaved(root, command, code, err)
        return code, err
    finally:
        shutil.rmtree(root, ignore_errors=True)


def assert_well_behaved(root: Path, command: str, code: int, err: str) -> None:
    article = root / "source" / SLUG / "article.md"
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert code in (0, 1), f"exit {code}: {err}"
    for line in err.splitlines():
        if SUMMARY.match(line):
            continue
        m = LINE.match(line)
        assert m, f"stderr line not in 'path[:line]: error|warning: message' form: {line!r}"
        assert m["path"] in (str(article), str(root / "source" / SLUG / "references.yaml")), line
    if code == 1:
        assert ": error: " in err, err
    out_dir = root / "dist"
    if out_dir.exists():
        leftovers = [p.name for p in out_dir.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
        assert leftovers == [], leftovers
    pdf = out_dir / f"{SLUG}.pdf"
    if command == "build" and code == 0:
        reader = pypdf.PdfReader(pdf)
        assert len(reader.pages) >= 1
        assert "".join(page.extract_text() or "" for page in reader.pages).strip()
    if code == 1 and command == "build":
        assert not pdf.exists()
    if command == "check":
        assert not out_dir.exists(), "check must not write anything"


FUZZ = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
FUZZ_BUILD = settings(FUZZ, max_examples=20)


def _front_with(key: str, value: str) -> str:
    """The valid front matter with `key` set to `value` (YAML source text)."""
    return "\n".join(f"{k}: {v}" for k, v in {**VALID_FRONT, key: value}.items())


VALID_TEXT = _front_with("title", VALID_FRONT["title"])
maybe_references = st.sampled_from([None, REFERENCES])
examples_in = st.tuples(front_matters(), st.one_of(bodies, clean_bodies),
                        st.sampled_from(WRAPPERS), maybe_references, st.booleans())


@FUZZ
@given(case=examples_in)
@example(case=(VALID_TEXT, "Plain text [@alpha].", "normal", REFERENCES, False))
@example(case=(VALID_TEXT, "Text [@nope] ![x](../../x.png) <img src=\"http://example.org/a.png\">",
               "normal", None, False))
@example(case=("title: [x\nupdated: 2024-02-30\nfoo: 1", "", "normal", None, False))
def test_check_never_crashes(workspace, capsys, case):
    code, _ = run_example(workspace, capsys, "check", *case)
    event(f"check exit {code}")


@FUZZ_BUILD
@given(case=st.tuples(front_matters(max_changes=1, raw=False),
                      st.one_of(clean_bodies, clean_bodies, bodies),
                      st.sampled_from(WRAPPERS[:6]), st.just(REFERENCES), st.booleans()))
@example(case=(VALID_TEXT,
               "# Title\n\nText [@alpha; @beta-2] with <script>x</script> and ![i](images/x.png)"
               "\n\n| a | b |\n|--|--|\n| 1 | 2 |\n\n\x00\x0c\x1b 🧪 [^1]\n\n[^1]: Note.",
               "normal", REFERENCES, True))
def test_build_never_crashes(workspace, capsys, case):
    code, _ = run_example(workspace, capsys, "build", *case)
    event(f"build exit {code}")


# ---------------------------------------------------------------------------------------
# Regressions: inputs that once crashed the engine (exit 3) or printed an unlocated,
# multi-line message. Each is now an answer: a PDF, or located one-line errors.


ERROR = re.compile(r"^\S[^\n]*/(article\.md|references\.yaml):\d+: error: ", re.M)
BAD_REFERENCES = REFERENCES.replace("Another fictional", "Another\x01fictional")

# (id, command, front matter, body, references.yaml, expected exit): exit 1 must come
# with an error located on a line of the article or its references file.
REGRESSIONS = [
    *[(f"{key}={value}", "check", _front_with(key, value), "Body.", None, 1)
      for key in ("draft", "edition") for value in UNBUILDABLE],
    *[(f"key {key}", "check", _front_with(key, "value"), "Body.", None, 1)
      for key in ("? [complex, key]", "{flow: key}", '"new\\nline key"')],
    ("authors-complex-key", "check", _front_with("authors", "\n  - {? [x] : y}"), "Body.", None, 1),
    # Control characters, raw or from escapes; lone surrogates from escapes.
    ("raw-control-character", "check", _front_with("summary", "a\x01b"), "Body.", None, 1),
    *[(f"{key}={value}", "build", _front_with(key, value), "Body.", None, 1)
      for key, value in [("title", '"a\\ud800b"'), ("summary", '"\\udfff"'),
                         ("keywords", '["\\ud800"]'), ("title", '"Test \\P Handout"'),
                         ("summary", '"a\\fb"')]],
    # U+2029 after a space in the body (a WeasyPrint assertion) now reads as a line break.
    ("body-paragraph-separator", "build", VALID_TEXT, "Some text \u2029 more text.", None, 0),
    ("references-control-character", "check", VALID_TEXT, "Text [@alpha].", BAD_REFERENCES, 1),
    ("article-as-references", "check", _front_with("references", "article.md"),
     "Text \uffff here.", None, 1),
]


@pytest.mark.parametrize("command,front,body,references,expected",
                         [case[1:] for case in REGRESSIONS], ids=[case[0] for case in REGRESSIONS])
def test_regression(workspace, capsys, command, front, body, references, expected):
    code, err = run_example(workspace, capsys, command, front, body, references=references)
    assert code == expected, err
    if expected == 1:
        assert ERROR.search(err), err
