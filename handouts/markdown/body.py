"""Markdown stage: article body -> sanitized HTML fragment and heading outline.

Python-Markdown does the parsing; `mdcompat` makes the constructs authors expect from
CommonMark tools work; `citations` turns ``[@key]`` into numbered superscripts; the
handout extensions below add what a printed page needs (`callouts`, captioned and sized
`figures`, page breaks, table classes, bookmark labels); nh3 sanitizes whatever raw HTML
the author wrote (see `sanitize`).

`new_markdown()` is the CommonMark-facing converter (the spec ratchet runs it);
`convert()` adds the handout extensions, which deliberately go beyond CommonMark
(a titled image becomes a figure, ``> [!NOTE]`` a callout).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Mapping
from dataclasses import dataclass

import markdown
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from handouts.markdown.callouts import CalloutExtension
from handouts.references.inline import CitationExtension
from handouts.markdown.figures import FigureExtension
from handouts.markdown.commonmark import CommonMarkCompat
from handouts.guard.sanitize import SafeAttrListExtension, sanitize

#: Extensions every article body is converted with (citations are added per article);
#: attribute lists are the sanitizer's safe ones (classes from its allow-list, no src).
BASE_EXTENSIONS = ("footnotes", "fenced_code", "sane_lists")

#: A table with this many columns or more is set smaller and never hyphenated.
WIDE_TABLE_COLUMNS = 5
MANY_TABLE_COLUMNS = 12  # and set smaller still (base.css table.table-many)


def new_markdown(extra_extensions: list | tuple = ()) -> markdown.Markdown:
    """A Python-Markdown converter configured as the handout body expects."""
    return markdown.Markdown(
        extensions=[
            *BASE_EXTENSIONS,
            SafeAttrListExtension(),
            TableExtension(use_align_attribute=True),
            CommonMarkCompat(),
            TocExtension(permalink=False, toc_depth="1-4"),
            "smarty",
            *extra_extensions,
        ],
        output_format="html",
    )


# ----------------------------------------------------------------------------------------
# Page breaks: pandoc's ``\newpage`` (or ``\pagebreak``) on a line of its own, and an
# attribute paragraph ``{.page-break}`` / ``{: .page-break }``.
# ----------------------------------------------------------------------------------------

PAGE_BREAK_LINE_RE = re.compile(r" {0,3}(\\newpage|\\pagebreak|\{:? *\.page-break *\}) *$")
PAGE_BREAK_HTML = '<div class="page-break"></div>'


class PageBreakPreprocessor(Preprocessor):
    """Replace a page-break line with a stashed empty ``div.page-break`` block."""

    def run(self, lines):
        out = []
        for line in lines:
            if PAGE_BREAK_LINE_RE.match(line):
                placeholder = self.md.htmlStash.store(PAGE_BREAK_HTML)
                out += ["", placeholder, ""]
            else:
                out.append(line)
        return out


# ----------------------------------------------------------------------------------------
# Tables and headings
# ----------------------------------------------------------------------------------------


TABLE_CAPTION_RE = re.compile(r"(?:Table)?: +")


class TableTreeprocessor(Treeprocessor):
    """Mark wide tables so CSS sets them smaller (base.css ``table.table-wide``), and
    take pandoc's caption paragraph (``Table: …`` or ``: …`` right after the table) as
    the table's ``<caption>``."""

    def run(self, root):
        for parent in list(root.iter()):
            children = list(parent)
            for table, after in zip(children, children[1:]):
                if (table.tag == "table" and after.tag == "p" and after.text
                        and TABLE_CAPTION_RE.match(after.text)):
                    caption = etree.Element("caption")
                    caption.text = after.text[TABLE_CAPTION_RE.match(after.text).end():]
                    caption.extend(list(after))
                    table.insert(0, caption)
                    parent.remove(after)
        for table in root.iter("table"):
            row = next(table.iter("tr"), None)
            columns = sum(int(cell.get("colspan", 1)) for cell in row) if row is not None else 0
            if columns >= WIDE_TABLE_COLUMNS:
                wide = ["table-wide"] + (["table-many"] if columns >= MANY_TABLE_COLUMNS else [])
                table.set("class", " ".join(filter(None, [table.get("class"), *wide])))


def _text_without(el: etree.Element, skip_tags=("sup",)) -> str:
    """The text of `el` without its superscripts (citation numbers, footnote marks)."""
    parts = [el.text or ""]
    for child in el:
        if child.tag not in skip_tags:
            parts.append(_text_without(child, skip_tags))
        parts.append(child.tail or "")
    return "".join(parts)


class HeadingTreeprocessor(Treeprocessor):
    """A heading holding a citation gets a ``title`` without the number; base.css uses it
    as the PDF bookmark (``bookmark-label: attr(title)``), so the outline does not read
    "Signs to watch2". Runs after toc, and records the clean names for the outline."""

    def __init__(self, md):
        super().__init__(md)
        self.names: dict[str, str] = {}

    def run(self, root):
        self.names = {}
        for el in root.iter():
            if re.fullmatch(r"h[1-6]", el.tag) and el.find(".//sup") is not None:
                text = " ".join(_text_without(el).split())
                el.set("title", text)
                if el.get("id"):
                    self.names[el.get("id")] = text


class HandoutExtension(Extension):
    """Page breaks, wide tables and bookmark labels."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        # After fenced_code (25) and html_block (20), before the list re-indenting (15).
        md.preprocessors.register(PageBreakPreprocessor(md), "page_break", 17)
        md.treeprocessors.register(TableTreeprocessor(md), "tables", 14)
        md.treeprocessors.register(HeadingTreeprocessor(md), "heading_titles", 4)


# ----------------------------------------------------------------------------------------
# The stage
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Body:
    """The converted article body."""

    html: str
    outline: tuple[Heading, ...]


def _outline(tokens, out: list[Heading], names: Mapping[str, str]) -> list[Heading]:
    for token in tokens:
        out.append(Heading(token["level"], names.get(token["id"], token["name"]), token["id"]))
        _outline(token["children"], out, names)
    return out


_FOOTNOTE_REF = re.compile(r'(<a class="footnote-ref" href="#fn:[^"]*">)(\d+)(</a>)')


def footnote_letter(n: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa (as CSS lower-alpha counts)."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(97 + rem) + out
    return out


def handout_markdown(numbers: Mapping[str, int] | None = None,
                     labels: Mapping[str, str] | None = None) -> markdown.Markdown:
    """The converter `convert` uses: `new_markdown` plus citations and the handout
    extensions (callouts titled from `labels`, figures, page breaks, tables)."""
    return new_markdown([CitationExtension(numbers if numbers is not None else {}), CalloutExtension(labels),
                         FigureExtension(), HandoutExtension()])


def convert(markdown_text: str, numbers: dict[str, int], *, allow_remote_images=False,
            labels: Mapping[str, str] | None = None) -> Body:
    """Convert an article body; `numbers` maps citation keys to their numbers; `labels`
    (the article language's) title callouts that have no title of their own."""
    md = handout_markdown(numbers, labels)
    html = md.convert(markdown_text)
    # Footnote markers become letters: superscript numbers are the citations'.
    html = _FOOTNOTE_REF.sub(lambda m: m.group(1) + footnote_letter(int(m.group(2))) + m.group(3), html)
    names = md.treeprocessors["heading_titles"].names
    return Body(sanitize(html, allow_remote_images=allow_remote_images),
                tuple(_outline(md.toc_tokens, [], names)))
