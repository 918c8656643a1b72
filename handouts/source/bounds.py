"""Bounds on the body: what the Markdown parser, the sanitizer and WeasyPrint would take
super-linear time or unbounded recursion on, measured here in one linear pass."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from handouts.errors import Diagnostic
from handouts.guard import limits as limits_mod
from handouts.guard import sanitize
from handouts.guard.textscan import prose_lines
from handouts.source.images import shown_src


_QUOTE_PREFIX = re.compile(r" {0,3}>(?: {0,4}>)*")
_LIST_MARKERS = re.compile(r"(?:(?:[*+-]|\d{1,9}[.)])[ \t]+)+")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]{0,30})")
_SPAN_ATTR = re.compile(r"\b(colspan|rowspan)\s*=\s*[\"']?\s*(\d+)", re.IGNORECASE)
_DELIMITERS = re.compile(r"[*_]+")
_MARKUP_TAG = re.compile(r"<[A-Za-z/]")
_DATA_URI = re.compile(r"data:[^\s)\"'<>]*")
_THEMATIC = re.compile(r" {0,3}([-*_])(?: *\1){2,} *$")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "param", "source", "track", "wbr"}


def check_body_bounds(path: Path, body: str, body_line: int, limits=None) -> list[Diagnostic]:
    """The body's sizes and nesting against `limits`, each problem once at its first line.

    Python-Markdown re-scans a paragraph from every unclosed ``[`` (quadratic), recurses
    once per block quote, list level and emphasis level (300 levels: a RecursionError),
    and nh3 and WeasyPrint recurse per HTML element; so these are bounded before parsing.
    """
    scan = _Scan(path, limits)
    # Every line, code included: the parser reads them all.
    for offset, line in enumerate(body.split("\n")):
        if len(line) > scan.max_line:
            scan.report("line_chars", body_line + offset,
                        limits_mod.over("line_chars", len(line), limits, "characters on one line"),
                        "break the line")
    prose = list(prose_lines(body, body_line))
    raw_lines = body.split("\n")
    for number, line in prose:
        raw = raw_lines[number - body_line]  # code spans are blanked in `line`
        if not raw.strip():
            scan.new_paragraph()
        else:
            scan.line(number, line, raw)
    found = scan.found
    # Attribute lists: only the allow-list.
    for number, line in prose:
        if "{" not in line:
            continue
        for m in sanitize.ATTR_LIST_RE.finditer(line):
            refused = sanitize.attr_list_problems(m.group(1))
            if refused:
                found.setdefault(f"attr{number}", Diagnostic(
                    path, number, f"attribute list '{shown_src(m.group())}' sets {', '.join(refused)}, "
                    "which an article may not set",
                    "use only #id, width, height, alt, title, lang and the classes "
                    "of the handout styles (e.g. .page-break)"))
    # One problem is enough: the first, by line (the others are usually its echoes).
    sizes = {"line_chars", "paragraph_chars", "inline_markup"}  # a structure error says more
    return [p for _, p in sorted(found.items(), key=lambda kv: (kv[1].line or 0, kv[0] in sizes))][:1]


class _Scan:
    """One pass over the body's prose lines: the first breach of each limit, by kind."""

    def __init__(self, path: Path, limits):
        get = functools.partial(limits_mod.get, limits)
        self.path, self.limits = path, limits
        self.max_line, self.max_para = get("line_chars"), get("paragraph_chars")
        self.max_depth, self.max_run = get("nesting_depth"), get("delimiter_run")
        self.max_open, self.max_span = get("unclosed_brackets"), get("table_span")
        self.max_columns, self.max_markup = get("table_columns"), get("inline_markup")
        self.found: dict[str, Diagnostic] = {}
        self.markup = 0
        self.lists: list[int] = []  # content columns of the open list items
        self.html_stack: list[str] = []
        self.new_paragraph()

    def new_paragraph(self) -> None:
        self.para_start: int | None = None
        self.para_chars = 0
        self.brackets: list[int] = []  # open '[' of the paragraph (their line numbers)
        self.emphasis = 0

    def report(self, kind: str, line: int, message: str, fix: str) -> None:
        if kind not in self.found:
            self.found[kind] = Diagnostic(self.path, line, message, limits_mod.hint(kind, fix))

    def line(self, number: int, line: str, raw: str) -> None:
        """One non-blank prose line (`raw`: the same with its code spans)."""
        if self.para_start is None:
            self.para_start = number
        self._sizes(number, line, raw)
        self._blocks(number, line)
        self._html(number, line)
        self._tables(number, line)
        if "[" in line or "]" in line:
            self._brackets(number, line)
        if ("*" in line or "_" in line) and not _THEMATIC.match(line):
            self._emphasis(number, line)

    def _sizes(self, number: int, line: str, raw: str) -> None:
        """The paragraph's characters, and the inline markup of the whole article: each
        item is an inline box that WeasyPrint lays out and tags at several milliseconds
        apiece (and Python-Markdown parses at ~1 ms)."""
        self.para_chars += len(line) + 1
        if "data:" in line:  # an embedded image's address is not text to lay out
            self.para_chars -= sum(len(m) for m in _DATA_URI.findall(line))
        if self.para_chars > self.max_para:
            self.report("paragraph_chars", self.para_start, limits_mod.over(
                "paragraph_chars", self.para_chars, self.limits, "characters in one paragraph"),
                "split the paragraph with a blank line")
        self.markup += (line.count("[") + raw.count("`") // 2 + len(_MARKUP_TAG.findall(line))
                        + (len(_DELIMITERS.findall(line)) // 2 if ("*" in line or "_" in line) else 0))
        if self.markup > self.max_markup:
            self.report("inline_markup", number, f"more than {self.max_markup:,} links, citations, "
                        "code spans, emphases and tags in the article (inline_markup)",
                        "split the article")

    def _blocks(self, number: int, line: str) -> None:
        """Block quotes and lists: how deep they nest."""
        quote = _QUOTE_PREFIX.match(line)
        depth_quotes = quote.group().count(">") if quote else 0
        rest = line[quote.end():] if quote else line
        text = rest.lstrip(" ")
        indent = len(rest) - len(text)
        markers = _LIST_MARKERS.match(text)
        lists = self.lists
        if markers:
            while lists and indent < lists[-1]:
                lists.pop()
            count = len(re.findall(r"(?:[*+-]|\d{1,9}[.)])[ \t]+", markers.group()))
            lists.extend([indent + 2] * count)
        elif indent == 0 and not depth_quotes and lists and self.para_start == number:
            lists.clear()  # a paragraph at the margin after a blank line ends the lists
        depth = depth_quotes + len(lists)
        if depth > self.max_depth:
            self.report("nesting_depth", number, f"block quotes and lists nested {depth} levels deep, "
                        f"over the limit of {self.max_depth} (nesting_depth)", "flatten the structure")

    def _html(self, number: int, line: str) -> None:
        """Raw HTML elements (one linear scan; the next '>' is looked up once per tag)."""
        html_stack, next_gt = self.html_stack, -1
        for m in _TAG.finditer(line):
            if next_gt < m.end():
                next_gt = line.find(">", m.end())
                if next_gt < 0:
                    next_gt = len(line)
            closing, name = m.group(1), m.group(2).lower()
            self_closing = line[next_gt - 1:next_gt] == "/"
            if closing:
                if name in html_stack:
                    while html_stack and html_stack.pop() != name:
                        pass
            elif name not in _VOID and not self_closing:
                html_stack.append(name)
                if len(html_stack) > self.max_depth:
                    self.report("nesting_depth", number, f"HTML elements nested {len(html_stack)} deep, "
                                f"over the limit of {self.max_depth} (nesting_depth)", "close the elements")

    def _tables(self, number: int, line: str) -> None:
        if line.count("|") > self.max_columns:
            self.report("table_columns", number, f"a table row of {line.count('|'):,} cells, over the "
                        f"limit of {self.max_columns} (table_columns)", "split the table")
        for m in _SPAN_ATTR.finditer(line):
            if len(m.group(2)) > 9 or int(m.group(2)) > self.max_span:
                self.report("table_span", number, f"a table cell with {m.group(1)}=\"{m.group(2)[:12]}\", "
                            f"over the limit of {self.max_span} (table_span)", "use a smaller span")

    def _brackets(self, number: int, line: str) -> None:
        """Brackets: unclosed ones and their nesting."""
        brackets, escaped = self.brackets, False
        for ch in line:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == "[":
                brackets.append(number)
                if len(brackets) > self.max_depth:
                    self.report("nesting_depth", number, f"brackets nested {len(brackets)} deep, "
                                f"over the limit of {self.max_depth} (nesting_depth)", "close the brackets")
            elif ch == "]" and brackets:
                brackets.pop()
        unclosed = len(brackets)
        if unclosed > self.max_open:
            self.report("unclosed_brackets", self.para_start, f"{unclosed:,} '[' without a matching ']' "
                        f"in one paragraph, over the limit of {self.max_open} (unclosed_brackets)",
                        "close them, or write \\[ for a literal bracket")

    def _emphasis(self, number: int, line: str) -> None:
        """Emphasis: runs of * and _, and how deep the opened ones nest."""
        for m in _DELIMITERS.finditer(line):
            run = m.end() - m.start()
            if run > self.max_run:
                self.report("delimiter_run", number, f"a run of {run:,} '*' or '_', over the limit of "
                            f"{self.max_run} (delimiter_run)", "shorten it, or escape them as \\*")
            before = line[m.start() - 1] if m.start() else " "
            after = line[m.end()] if m.end() < len(line) else " "
            opens, closes = not after.isspace(), not before.isspace()
            if opens and not closes:
                self.emphasis += 1
                if self.emphasis > self.max_depth:
                    self.report("nesting_depth", number, f"emphasis nested {self.emphasis} levels deep, "
                                f"over the limit of {self.max_depth} (nesting_depth)", "close the emphasis")
            elif closes and not opens and self.emphasis:
                self.emphasis -= 1
