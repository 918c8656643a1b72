"""CommonMark compatibility for Python-Markdown.

Authors learn Markdown from CommonMark tools (GitHub, editors, chat apps). Three habits
differ from what Python-Markdown expects, and this extension bridges them:

* Lists nested by the parent item's *content column* (2 spaces under ``- ``, 3 under
  ``1. ``) rather than by 4 spaces. `reindent_lists` rewrites list indentation to
  Python-Markdown's 4-spaces-per-level: for the document (``ListIndentPreprocessor``)
  and for block quote content (``BlockQuoteProcessor``).
* A list directly after a paragraph line, with no blank line between.
  ``ListInterruptsParagraphProcessor`` splits such blocks in two.
* A backslash at the end of a line as a hard line break (``foo\\`` + newline).
* Autolinks of any URI scheme (``<tel:+15550100>``), not only the web's.
* Block quotes separated by a blank line stay two quotes (Python-Markdown joins them).
* Ordered lists written ``1)`` (Word's habit) as well as ``1.``; a change of delimiter
  (``1.`` to ``1)``) or of bullet (``-`` to ``+``) starts a new list; a list is loose
  (every item a paragraph) when any of its items is.

``ListIndentProcessor`` fixes a related stock quirk (``<li>text<pre>``). Fenced code is
already stashed when the preprocessor runs, indented code keeps its indentation
relative to its list item, and code spans are matched before the backslash break, so
code is never altered.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import blockprocessors
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown import util
from markdown.extensions.sane_lists import SaneOListProcessor, SaneUListProcessor
from markdown.inlinepatterns import InlineProcessor, SubstituteTagInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .typography import phone_text

#: A list item line: indent, marker, spaces, then content.
LIST_ITEM_RE = re.compile(r"( *)([*+-]|\d{1,9}[.)])( +)(?=\S)")
#: Lines that end a list item unless indented into it: thematic breaks, ATX headings,
#: block quotes and stashed blocks (fenced code, raw HTML), which start with STX.
BLOCK_START_RE = re.compile(r" {0,3}(([-*_])( *\2){2,} *$|#{1,6}( |$)|>|\x02)")


def reindent_lists(lines: list[str]) -> list[str]:
    """Re-indent list items so each nesting level is exactly 4 spaces.

    CommonMark puts a line inside a list item when it is indented at least to the item's
    content column (where the text after the marker starts), so ``- a`` nests with 2
    spaces and ``1. a`` with 3. Python-Markdown counts 4-space steps. So a line that
    belongs to an item at depth ``d`` is rewritten to:

    * a nested item's marker line: ``4 * d`` spaces;
    * a line of a later block of the item (after a blank line): ``4 * (d + 1)`` spaces;
    * a line continuing the item's first block: ``4 * d + 2`` spaces, because
      Python-Markdown re-parses that text inside the ``<li>`` without dedenting it
      (2 spaces keep ``> quote`` a quote there);

    plus whatever indentation it had beyond the content column, so indented code
    inside an item stays code.
    """
    out = []
    items: list[int] = []  # content columns of the open list items, outermost first
    after_blank = True
    tight = False  # no blank line since the last item marker
    owner = 0  # if the current block continues an item after a blank: its depth + 1
    for line in lines:
        text = line.lstrip(" ")
        indent = len(line) - len(text)
        if not text:
            out.append("")
            after_blank, tight = True, False
            continue
        block_start = BLOCK_START_RE.match(line)
        item = None if block_start else LIST_ITEM_RE.match(line)
        lazy = not (after_blank or item or block_start)  # continues a paragraph
        if not lazy:  # close the items this line is not indented into
            while items and indent < items[-1]:
                items.pop()
        if after_blank:
            owner = 0
        parent_column = items[-1] if items else 0
        if item and indent - parent_column < 4:  # (4 or more would be code)
            if not after_blank and len(items) < owner:
                # A sibling item right after a continuation block: Python-Markdown
                # would glue it onto that block, so separate them (the list is loose
                # anyway).
                out.append("")
            marker, spaces = len(item.group(2)), len(item.group(3))
            items.append(indent + marker + (spaces if spaces <= 4 else 1))
            out.append(" " * 4 * (len(items) - 1) + text)
            tight, owner = True, 0
        elif items and indent >= parent_column:
            if after_blank:
                owner = len(items)
            column = 4 * len(items) - (2 if tight else 0)
            out.append(" " * column + line[parent_column:])
        else:  # outside any list, or a lazy continuation line
            out.append(line)
        after_blank = False
    return out


class ListIndentPreprocessor(Preprocessor):
    """Apply `reindent_lists` to the whole document."""

    def run(self, lines: list[str]) -> list[str]:
        return reindent_lists(lines)


class BlockQuoteProcessor(blockprocessors.BlockQuoteProcessor):
    """Python-Markdown's, but lists inside the quote get `reindent_lists` too.

    A quote's content is only parsed after the ``>`` markers are removed, long after the
    preprocessors ran, so the re-indenting is repeated here on the quoted lines.
    """

    def lastChild(self, parent):  # noqa: N802 (Python-Markdown's name)
        """Never join a quote onto the previous one: blocks are split at blank lines, so
        a quote right after a quote was separated from it by a blank line, and in
        CommonMark (and on GitHub) that makes two quotes. (Only `run` asks.)"""
        return None

    def run(self, parent, blocks):
        start = self.RE.search(blocks[0]).end(1)  # where the first ``>`` line begins
        before, quoted = blocks[0][:start], blocks[0][start:]
        lines = reindent_lists([self.clean(line) for line in quoted.split("\n")])
        blocks[0] = before + "\n".join("> " + line for line in lines)
        super().run(parent, blocks)


class ListInterruptsParagraphProcessor(BlockProcessor):
    """Split ``Para\\n- item`` into a paragraph and a list.

    CommonMark lets a bullet list, or an ordered list starting at 1, interrupt a
    paragraph. Python-Markdown only starts lists at the beginning of a block, so without
    this the list lines would be glued onto the paragraph text. Registered just above
    the paragraph processor, so blocks another processor claims (lists, headings,
    quotes, references, footnotes) never reach it.
    """

    RE = re.compile(r"\n {0,3}([*+-]|0*1[.)]) +\S")

    def test(self, parent, block):
        return bool(self.RE.search(block))

    def run(self, parent, blocks):
        block = blocks.pop(0)
        split = self.RE.search(block).start()
        blocks[:0] = [block[:split], block[split + 1:]]


class ListIndentProcessor(blockprocessors.ListIndentProcessor):
    """Python-Markdown's, plus: an item continued by indented code is loose as well.

    The stock processor wraps the item's first text in ``<p>`` for any continuation
    block except indented code, giving ``<li>text<pre>``. Wrap it in that case too.
    """

    def run(self, parent, blocks):
        _, item = self.get_level(parent, blocks[0])
        # (Inside a tight item, parent is the <li> itself and the stock code handles it.)
        if parent.tag not in self.ITEM_TYPES and item.tag in self.ITEM_TYPES and item.text:
            p = etree.Element("p")
            p.text, item.text = item.text, ""
            item.insert(0, p)
        super().run(parent, blocks)


#: Where a list processor notes the marker of the list it made (``.``/``)`` or the
#: bullet), so the next block continues that list only if it uses the same marker.
#: `ListMarkerTreeprocessor` removes it.
MARKER_ATTR = "data-cm-marker"


class _MarkerListMixin:
    """A list continues only with its own marker: CommonMark starts a new list when the
    delimiter (``1.`` / ``1)``) or the bullet (``-`` / ``+`` / ``*``) changes."""

    ITEM_RE = re.compile(r" {0,3}([*+-]|\d{1,9}[.)]) +\S")

    def _marker(self, line: str) -> str | None:
        """The marker character of a list item line not indented into an item."""
        m = self.ITEM_RE.match(line)
        return None if m is None else m.group(1)[-1]

    def run(self, parent, blocks):
        lines = blocks[0].split("\n")
        marker = self._marker(lines[0])
        for i, line in enumerate(lines[1:], 1):
            other = self._marker(line)
            if other is not None and other != marker:  # a new list starts here
                blocks[0:1] = ["\n".join(lines[:i]), "\n".join(lines[i:])]
                break
        sibling = self.lastChild(parent)
        if sibling is not None and sibling.get(MARKER_ATTR, marker) != marker:
            self.SIBLING_TAGS = []  # (an instance attribute: this run only)
        try:
            super().run(parent, blocks)
        finally:
            self.__dict__.pop("SIBLING_TAGS", None)
        lst = parent if parent.tag in ("ol", "ul") else self.lastChild(parent)
        if lst is not None and lst.tag == self.TAG and MARKER_ATTR not in lst.attrib:
            lst.set(MARKER_ATTR, marker)


class OListProcessor(_MarkerListMixin, SaneOListProcessor):
    """sane_lists' ordered list, with ``1)`` items, at most 9 digits (CommonMark's limit)
    and ``start`` as a number (``003.`` starts at 3)."""

    def __init__(self, parser):
        super().__init__(parser)
        most = self.tab_length - 1
        self.RE = re.compile(r"^[ ]{0,%d}\d{1,9}[.)][ ]+(.*)" % most)
        self.CHILD_RE = re.compile(r"^[ ]{0,%d}((\d{1,9}[.)]))[ ]+(.*)" % most)
        self.INDENT_RE = re.compile(r"^[ ]{%d,%d}((\d{1,9}[.)])|[*+-])[ ]+.*"
                                    % (self.tab_length, self.tab_length * 2 - 1))

    def get_items(self, block):
        items = super().get_items(block)
        self.STARTSWITH = str(int(self.STARTSWITH))
        return items


class UListProcessor(_MarkerListMixin, SaneUListProcessor):
    """sane_lists' bullet list; nested ordered items may use ``1)``."""

    def __init__(self, parser):
        super().__init__(parser)
        self.INDENT_RE = re.compile(r"^[ ]{%d,%d}((\d{1,9}[.)])|[*+-])[ ]+.*"
                                    % (self.tab_length, self.tab_length * 2 - 1))


#: Tags that end the inline start of a list item (its first paragraph's text).
_BLOCK_TAGS = frozenset("p ul ol pre blockquote table div hr h1 h2 h3 h4 h5 h6 dl".split())


class ListMarkerTreeprocessor(Treeprocessor):
    """Drop `MARKER_ATTR`, and make a list loose throughout when any item is loose
    (CommonMark: looseness belongs to the list; Python-Markdown decides per item, so
    the first item of ``- a\n- b\n\n- c`` stayed tight)."""

    def run(self, root):
        for lst in root.iter():
            if lst.tag not in ("ol", "ul"):
                continue
            lst.attrib.pop(MARKER_ATTR, None)
            items = [li for li in lst if li.tag == "li"]
            loose = [li for li in items if len(li) and li[0].tag == "p" and not (li.text or "").strip()]
            if not loose or len(loose) == len(items):
                continue
            for li in items:
                if li in loose or not ((li.text or "").strip() or (len(li) and li[0].tag not in _BLOCK_TAGS)):
                    continue
                p = etree.Element("p")
                p.text, li.text = li.text, None
                while len(li) and li[0].tag not in _BLOCK_TAGS:
                    child = li[0]
                    li.remove(child)
                    p.append(child)
                li.insert(0, p)


#: ``foo\`` at the end of a line. Code spans (190), ``\\`` escapes (180) and raw inline
#: HTML (90) are matched first, so a backslash inside them is left alone.
BACKSLASH_BREAK_RE = r"\\\n"


class CommonMarkCompat(Extension):
    """Make list, paragraph and line-break syntax behave as CommonMark says."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        # After normalize_whitespace (30, expands tabs), fenced_code (25) and html_block
        # (20), so fenced code and raw HTML blocks are already stashed away.
        md.preprocessors.register(ListIndentPreprocessor(md), "cm_list_indent", 15)
        md.parser.blockprocessors.register(ListIndentProcessor(md.parser), "indent", 90)
        md.parser.blockprocessors.register(OListProcessor(md.parser), "olist", 40)
        md.parser.blockprocessors.register(UListProcessor(md.parser), "ulist", 30)
        md.treeprocessors.register(ListMarkerTreeprocessor(md), "cm_list_marker", 25)
        md.parser.blockprocessors.register(BlockQuoteProcessor(md.parser), "quote", 20)
        md.parser.blockprocessors.register(
            ListInterruptsParagraphProcessor(md.parser), "cm_list_interrupts_paragraph", 12
        )
        md.inlinePatterns.register(
            SubstituteTagInlineProcessor(BACKSLASH_BREAK_RE, "br"), "cm_backslash_break", 85
        )
        # Above raw HTML (90), which would otherwise take ``<tel:…>`` for a tag; below
        # Python-Markdown's http(s) autolink (120), which does the same for the web.
        md.inlinePatterns.register(URIAutolinkInlineProcessor(URI_AUTOLINK_RE, md),
                                   "cm_uri_autolink", 115)


#: A CommonMark URI autolink: ``<`` scheme (2-32 characters) ``:`` no spaces or ``<>``
#: ``>``. Python-Markdown's own autolink knows only http(s) and ftp, so ``<tel:+15550100>``
#: was raw HTML that the sanitizer dropped, and the phone number with it.
URI_AUTOLINK_RE = r"<([A-Za-z][A-Za-z0-9.+\-]{1,31}:[^ \t\n<>\x00-\x1f]*)>"


class URIAutolinkInlineProcessor(InlineProcessor):
    """``<tel:+15550100>``, ``<mailto:a@example.org>``, ``<https://…>`` -> a link whose
    text is the address; a phone number (``tel:``, ``sms:``) prints without its scheme,
    grouped as its country writes it (`typography.phone_text`)."""

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's name)
        uri = m.group(1)
        scheme, _, rest = uri.partition(":")
        el = etree.Element("a")
        el.set("href", uri)
        text = phone_text(rest) if scheme.lower() in ("tel", "sms") and rest else uri
        el.text = util.AtomicString(text)
        return el, m.start(0), m.end(0)
