"""Citations in the Markdown conversion: a Python-Markdown extension that turns
``[@a, p. 4; @b]`` into a linked superscript ``1(p4),2`` and the narrative ``@a`` into
"Smith et al³", with the numbers `bibliography.format_bibliography` gave."""

from __future__ import annotations

import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from handouts.references.bibliography import Numbers
from handouts.references.citations import (CITATION_RE, CITATION_RUN, NARRATIVE_RE, CitationItem,
                                           parse_citation_group, split_locator)


def _compress(numbers: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 5] -> [(1, 3), (5, 5)]."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _superscript(items: list[CitationItem], numbers: dict[str, int]):
    """``<sup class="citation">see 1–3,5(p4)</sup>`` with links to the list."""
    sup = etree.Element("sup", {"class": "citation"})
    plain = sorted({numbers[i.key] for i in items if not (i.locator or i.prefix or i.suffix)})
    parts: list[tuple[int, int, CitationItem | None]] = [(a, b, None) for a, b in _compress(plain)]
    parts += [(numbers[i.key], numbers[i.key], i) for i in items if i.locator or i.prefix or i.suffix]
    parts.sort(key=lambda p: (p[0], p[2] is not None))
    for index, (first, last, item) in enumerate(parts):
        if index:
            _append_text(sup, ",")
        if item is not None and item.prefix:
            _append_text(sup, item.prefix + " ")
        _link(sup, first)
        if last > first:
            _append_text(sup, "–" if last > first + 1 else ",")
            _link(sup, last)
        if item is not None and item.locator:
            _append_text(sup, f"({item.locator})")
        if item is not None and item.suffix:
            _append_text(sup, " " + item.suffix)
    return sup


class CitationProcessor(InlineProcessor):
    """``[@key, p. 4; @other]`` -> ``<sup class="citation">1(p4),2</sup>`` with links."""

    def __init__(self, pattern, md, numbers: dict[str, int]):
        super().__init__(pattern, md)
        self.numbers = numbers

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's name)
        # Adjacent groups ("[@a] [@b]") make one superscript "1,2", never "12".
        items = [i for g in CITATION_RE.finditer(m.group(0)) for i in parse_citation_group(g.group(1))
                 if i.key in self.numbers]
        if not items:
            return None, None, None
        return _superscript(items, self.numbers), m.start(0), m.end(0)


class NarrativeProcessor(InlineProcessor):
    """``@key`` -> ``Smith et al<sup class="citation">3</sup>``; an unknown ``@word`` stays text."""

    def __init__(self, pattern, md, numbers: Numbers):
        super().__init__(pattern, md)
        self.numbers = numbers

    def handleMatch(self, m, data):  # noqa: N802
        key = m.group("key")
        if key not in self.numbers:
            return None, None, None
        if m.start(0) > 0 and data[m.start(0) - 1] == "[":
            return None, None, None
        locator, suffix = split_locator(", " + m.group("loc")) if m.group("loc") else ("", "")
        span = etree.Element("span", {"class": "citation-narrative"})
        span.text = self.numbers.names.get(key, "")
        span.append(_superscript([CitationItem(key, locator, "", suffix)], self.numbers))
        return span, m.start(0), m.end(0)


def _append_text(parent, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _link(parent, number: int) -> None:
    etree.SubElement(parent, "a", {"href": f"#ref-{number}"}).text = str(number)


class CitationExtension(Extension):
    """Registers the citation processors with the citation numbers of one article.

    `numbers` maps keys to numbers; a `Numbers` also carries the narrative author texts.
    """

    def __init__(self, numbers: dict[str, int], **kwargs):
        self.numbers = numbers if isinstance(numbers, Numbers) else Numbers(numbers)
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802
        # Above links (160) so that "[@key]" is never read as a reference link.
        # Spaces before the group go too: AMA superscripts sit right after the word.
        md.inlinePatterns.register(CitationProcessor(CITATION_RUN, md, self.numbers), "citation", 175)
        md.inlinePatterns.register(NarrativeProcessor(NARRATIVE_RE.pattern, md, self.numbers),
                                   "citation-narrative", 174)
