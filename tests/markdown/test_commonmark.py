"""CommonMark conformance of the handout Markdown converter.

Two kinds of tests live here:

* focused source/expected pairs for the constructs `handouts.markdown.commonmark` adds
  (lists after paragraphs, CommonMark-style nesting, backslash hard breaks, ...);
* a ratchet over selected sections of the CommonMark spec: every example is run
  through `handouts.markdown.body.new_markdown()`, compared after normalizing harmless HTML
  differences, and the pass count per section must not drop below
  ``tests/commonmark_baseline.json``. Run with ``COMMONMARK_UPDATE_BASELINE=1`` to
  rewrite the baseline after an improvement.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from textwrap import dedent

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handouts.markdown.body import new_markdown
from handouts.markdown.commonmark import reindent_lists

from pdfcheck import TESTS

#: The spec ships with the tests (CC BY-SA 4.0, see tests/data/README.md).
SPEC_PATH = TESTS / "data" / "commonmark-spec.txt"
BASELINE_PATH = TESTS / "commonmark_baseline.json"
SECTIONS = (
    "Lists",
    "List items",
    "Paragraphs",
    "Emphasis and strong emphasis",
    "Links",
    "Images",
    "Block quotes",
    "ATX headings",
    "Autolinks",
)


def render(source: str) -> str:
    """Convert with a fresh converter, exactly as the product does."""
    return new_markdown().convert(source)


# --------------------------------------------------------------------------------------
# Focused tests for handouts.markdown.commonmark (exact output, as Python-Markdown's test_tools does)
# --------------------------------------------------------------------------------------

CASES = {
    "bullet list directly after paragraph": (
        """
        Para
        - a
        - b
        """,
        """
        <p>Para</p>
        <ul>
        <li>a</li>
        <li>b</li>
        </ul>
        """,
    ),
    "ordered list starting at 1 after paragraph": (
        """
        Para
        1. a
        2. b
        """,
        """
        <p>Para</p>
        <ol>
        <li>a</li>
        <li>b</li>
        </ol>
        """,
    ),
    "ordered list starting at 3 cannot interrupt a paragraph": (
        """
        Take 2 tablets
        3. times a day
        """,
        """
        <p>Take 2 tablets
        3. times a day</p>
        """,
    ),
    "ordered list starting at 3 after paragraph and blank line": (
        """
        Para

        3. a
        4. b
        """,
        """
        <p>Para</p>
        <ol start="3">
        <li>a</li>
        <li>b</li>
        </ol>
        """,
    ),
    "ordered list start number is kept": (
        """
        7. seven
        8. eight
        """,
        """
        <ol start="7">
        <li>seven</li>
        <li>eight</li>
        </ol>
        """,
    ),
    "list inside blockquote after paragraph": (
        """
        > Para
        > - a
        """,
        """
        <blockquote>
        <p>Para</p>
        <ul>
        <li>a</li>
        </ul>
        </blockquote>
        """,
    ),
    "two-space nesting three levels deep": (
        """
        - one
          - two
            - three
        - back
        """,
        """
        <ul>
        <li>one<ul>
        <li>two<ul>
        <li>three</li>
        </ul>
        </li>
        </ul>
        </li>
        <li>back</li>
        </ul>
        """,
    ),
    "three-space nesting under ordered items": (
        """
        1. one
           1. two
              - three
        2. back
        """,
        """
        <ol>
        <li>one<ol>
        <li>two<ul>
        <li>three</li>
        </ul>
        </li>
        </ol>
        </li>
        <li>back</li>
        </ol>
        """,
    ),
    "two-space nesting inside a block quote": (
        """
        > - one
        >   - two
        """,
        """
        <blockquote>
        <ul>
        <li>one<ul>
        <li>two</li>
        </ul>
        </li>
        </ul>
        </blockquote>
        """,
    ),
    "block quote inside a tight two-space item": (
        """
        - one
          > quoted
        - two
        """,
        """
        <ul>
        <li>one<blockquote>
        <p>quoted</p>
        </blockquote>
        </li>
        <li>two</li>
        </ul>
        """,
    ),
    "four-space nesting still works": (
        """
        - one
            - two
                - three
        """,
        """
        <ul>
        <li>one<ul>
        <li>two<ul>
        <li>three</li>
        </ul>
        </li>
        </ul>
        </li>
        </ul>
        """,
    ),
    "continuation paragraph at the content column": (
        """
        1. first

           more about first
        2. second
        """,
        """
        <ol>
        <li>
        <p>first</p>
        <p>more about first</p>
        </li>
        <li>
        <p>second</p>
        </li>
        </ol>
        """,
    ),
    "under-indented text after blank line ends the list": (
        """
        1. item

          not in the item
        """,
        """
        <ol>
        <li>item</li>
        </ol>
        <p>not in the item</p>
        """,
    ),
    "ordered list written 1) as Word users type it, with a nested bullet": (
        """
        1) Rest in bed
        2) Drink water
           - oral rehydration salts
        3) Check the temperature
        """,
        """
        <ol>
        <li>Rest in bed</li>
        <li>Drink water<ul>
        <li>oral rehydration salts</li>
        </ul>
        </li>
        <li>Check the temperature</li>
        </ol>
        """,
    ),
    "1) list right after a paragraph line": (
        """
        Steps:
        1) First
        2) Second
        """,
        """
        <p>Steps:</p>
        <ol>
        <li>First</li>
        <li>Second</li>
        </ol>
        """,
    ),
    "changing the delimiter starts a new list": (
        """
        1. foo
        2. bar
        3) baz
        """,
        """
        <ol>
        <li>foo</li>
        <li>bar</li>
        </ol>
        <ol start="3">
        <li>baz</li>
        </ol>
        """,
    ),
    "a list with one blank line between items is loose throughout": (
        """
        - a
        - b

        - c
        """,
        """
        <ul>
        <li>
        <p>a</p>
        </li>
        <li>
        <p>b</p>
        </li>
        <li>
        <p>c</p>
        </li>
        </ul>
        """,
    ),
    "autolink": (
        "<https://example.org/a?b=c>",
        '<p><a href="https://example.org/a?b=c">https://example.org/a?b=c</a></p>',
    ),
    "tel autolink keeps the number": (
        "Call <tel:+15550100>.",
        '<p>Call <a href="tel:+15550100">+15550100</a>.</p>',
    ),
    "quotes separated by a blank line stay two quotes": (
        "> a\n\n> b",
        "<blockquote>\n<p>a</p>\n</blockquote>\n<blockquote>\n<p>b</p>\n</blockquote>",
    ),
    "backslash hard line break": (
        "foo\\\nbar",
        "<p>foo<br>\nbar</p>",
    ),
    "two-space hard line break": (
        "foo  \nbar",
        "<p>foo<br>\nbar</p>",
    ),
    "backslash at end of paragraph stays literal": (
        "foo\\",
        "<p>foo\\</p>",
    ),
    "backslash break inside code span is literal": (
        "`foo\\\nbar`",
        "<p><code>foo\\\nbar</code></p>",
    ),
    "fenced code is left alone": (
        """
        ```
        Para
        - a
          - b
        foo\\
        bar
        ```
        """,
        """
        <pre><code>Para
        - a
          - b
        foo\\
        bar
        </code></pre>
        """,
    ),
    "indented code is left alone": (
        """
        Para

            text
            - a
              - b
            foo\\
            bar
        """,
        """
        <p>Para</p>
        <pre><code>text
        - a
          - b
        foo\\
        bar
        </code></pre>
        """,
    ),
    "indented code inside a two-space list item": (
        """
        - item

              code
                - kept
        """,
        """
        <ul>
        <li>
        <p>item</p>
        <pre><code>code
          - kept
        </code></pre>
        </li>
        </ul>
        """,
    ),
    "footnotes tables and attr_list still work": (
        """
        Text[^1]
        {: #intro }

        | a | b |
        |---|---|
        | 1 | 2 |

        [^1]: Note.
        """,
        """
        <p id="intro">Text<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup></p>
        <table>
        <thead>
        <tr>
        <th>a</th>
        <th>b</th>
        </tr>
        </thead>
        <tbody>
        <tr>
        <td>1</td>
        <td>2</td>
        </tr>
        </tbody>
        </table>
        <div class="footnote">
        <hr>
        <ol>
        <li id="fn:1">
        <p>Note.&#160;<a class="footnote-backref" href="#fnref:1" title="Jump back to footnote 1 in the text">&#8617;</a></p>
        </li>
        </ol>
        </div>
        """,
    ),
}


@pytest.mark.parametrize(("source", "expected"), CASES.values(), ids=CASES.keys())
def test_renders(source, expected):
    assert render(dedent(source).strip("\n")) == dedent(expected).strip("\n")


LINE_PIECES = st.sampled_from(["", " ", "  ", "   ", "    ", "- ", "* ", "1. ", "7. ", "2) ", "> ",
                               "# ", "---", "a", "b c", "`", "\\"])


@given(st.lists(st.lists(LINE_PIECES, max_size=5).map("".join), max_size=30))
def test_reindent_lists_only_moves_text(lines):
    """Re-indenting changes leading spaces and adds blank lines, nothing else."""
    def content(ls):
        return [line.strip() for line in ls if line.strip()]

    assert content(reindent_lists(lines)) == content(lines)
    render("\n".join(lines))  # and never breaks the converter


# --------------------------------------------------------------------------------------
# CommonMark spec ratchet
# --------------------------------------------------------------------------------------

EXAMPLE_FENCE = "`" * 32 + " example"


@dataclass(frozen=True)
class Example:
    number: int
    section: str
    markdown: str
    html: str


def parse_spec(text: str) -> list[Example]:
    """Examples are fenced by 32 backticks; `.` separates source and HTML; `→` is a tab."""
    examples, section, state, parts = [], "", 0, [[], []]
    for line in text.splitlines(keepends=True):
        if state == 0:
            if line.startswith(EXAMPLE_FENCE):
                state, parts = 1, [[], []]
            elif m := re.match(r"#{1,6} (.+)", line):
                section = m.group(1).strip()
        elif line.strip() == "`" * 32:
            md, html = ("".join(p).replace("→", "\t") for p in parts)
            examples.append(Example(len(examples) + 1, section, md, html))
            state = 0
        elif state == 1 and line.strip() == ".":
            state = 2
        else:
            parts[state - 1].append(line)
    return examples


BLOCK_TAGS = frozenset(
    "address article aside blockquote body br dd details div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol p pre section summary "
    "table tbody td tfoot th thead tr ul".split()
)
# smarty's typographic replacements, mapped back to the ASCII the spec expects.
SMARTY = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "--", "—": "---",
                        "…": "...", "«": "<<", "»": ">>"})


class _Normalizer(HTMLParser):
    """Re-serialize HTML canonically so only meaningful differences remain.

    Entities are decoded and re-escaped uniformly, attributes sorted, void tags written
    as ``<br>``, whitespace collapsed (outside ``<pre>``) and dropped around block tags,
    smarty's curly quotes/dashes mapped back, and heading ``id`` attributes (toc) ignored.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.in_pre = 0
        self.strip_next = True

    def _tag(self, tag: str, closing: bool = False, attrs=()):
        if tag in BLOCK_TAGS and self.out and not self.out[-1].startswith("<"):
            self.out[-1] = self.out[-1].rstrip()
        if closing:
            self.out.append(f"</{tag}>")
        else:
            if re.fullmatch(r"h[1-6]", tag):
                attrs = [(k, v) for k, v in attrs if k != "id"]
            attr_text = "".join(
                f' {k}' if v is None else f' {k}="{escape(v)}"' for k, v in sorted(attrs)
            )
            self.out.append(f"<{tag}{attr_text}>")
        if tag == "pre":
            self.in_pre += -1 if closing else 1
        self.strip_next = tag in BLOCK_TAGS

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs=attrs)

    def handle_startendtag(self, tag, attrs):  # <br /> is just <br>
        self._tag(tag, attrs=attrs)

    def handle_endtag(self, tag):
        self._tag(tag, closing=True)

    def handle_data(self, data):
        if not self.in_pre:
            data = re.sub(r"\s+", " ", data.translate(SMARTY))
            if self.strip_next:
                data = data.lstrip()
        if data:
            self.out.append(escape(data, quote=False))
            self.strip_next = False

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def normalize_html(html: str) -> str:
    parser = _Normalizer()
    parser.feed(html)
    parser.close()
    return "".join(parser.out).strip()


def test_normalize_html():
    assert normalize_html('<h2 id="x">“a” – b</h2>\n<p>a<br />\n  b &amp; &quot;</p>') == (
        normalize_html('<h2>"a" -- b</h2><p>a<br>b &#38; "</p>')
    )
    assert normalize_html('<a title="t" href="/u">x</a>') == '<a href="/u" title="t">x</a>'
    assert normalize_html("<pre><code>a\n  b</code></pre>") == "<pre><code>a\n  b</code></pre>"


def spec_pass_counts(examples: list[Example]) -> dict[str, tuple[int, int]]:
    """Per section: (examples passing, examples run)."""
    counts = {}
    for section in SECTIONS:
        run = [ex for ex in examples if ex.section == section]
        passed = sum(normalize_html(render(ex.markdown)) == normalize_html(ex.html) for ex in run)
        counts[section] = (passed, len(run))
    return counts


def format_table(counts: dict[str, tuple[int, int]], baseline: dict) -> str:
    rows = [f"{'section':<30} {'pass':>5} {'total':>5} {'rate':>6} {'baseline':>8}"]
    for section, (passed, total) in counts.items():
        base = baseline.get(section, {}).get("passed", "-")
        rows.append(f"{section:<30} {passed:>5} {total:>5} {passed / total:>6.0%} {base:>8}")
    return "\n".join(rows)


@pytest.fixture
def terminal_summary(request):
    """Lines appended here are shown in pytest's terminal summary (no ``-s`` needed)."""
    lines: list[str] = []

    class Summary:
        def pytest_terminal_summary(self, terminalreporter):
            terminalreporter.write_sep("-", "CommonMark spec pass rates")
            for line in lines:
                terminalreporter.write_line(line)

    plugins = request.config.pluginmanager
    if not plugins.has_plugin("commonmark-summary"):
        plugins.register(Summary(), "commonmark-summary")
    return lines


def test_commonmark_spec_ratchet(terminal_summary):
    assert SPEC_PATH.is_file(), f"the CommonMark spec ships with the tests: {SPEC_PATH} is missing"
    counts = spec_pass_counts(parse_spec(SPEC_PATH.read_text(encoding="utf-8")))
    assert all(total for _, total in counts.values()), f"section missing from spec: {counts}"

    if os.environ.get("COMMONMARK_UPDATE_BASELINE"):
        BASELINE_PATH.write_text(json.dumps(
            {s: {"passed": p, "total": t} for s, (p, t) in counts.items()}, indent=2) + "\n")
    baseline = json.loads(BASELINE_PATH.read_text()) if BASELINE_PATH.is_file() else {}

    table = format_table(counts, baseline)
    print(table)
    terminal_summary.extend(table.splitlines())

    regressed = [s for s, (p, _) in counts.items() if p < baseline.get(s, {}).get("passed", 0)]
    improved = [s for s, (p, _) in counts.items() if p > baseline.get(s, {}).get("passed", 0)]
    if improved:
        terminal_summary.append(
            f"Improved: {', '.join(improved)}. Ratchet the baseline up with "
            "COMMONMARK_UPDATE_BASELINE=1 python -m pytest tests/markdown/test_commonmark.py"
        )
    assert not regressed, f"CommonMark pass count fell below baseline in {regressed}:\n{table}"
