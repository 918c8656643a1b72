"""Markdown stage: article body -> sanitized HTML fragment and heading outline.

Python-Markdown does the parsing; `mdcompat` makes the constructs authors expect from
CommonMark tools work; `citations` turns ``[@key]`` into numbered superscripts; nh3
sanitizes whatever raw HTML the author wrote (see `sanitize`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension

from .citations import CitationExtension
from .mdcompat import CommonMarkCompat
from .sanitize import sanitize

#: Extensions every article body is converted with (citations are added per article).
BASE_EXTENSIONS = ("footnotes", "attr_list", "fenced_code", "sane_lists")


def new_markdown(extra_extensions: list | tuple = ()) -> markdown.Markdown:
    """A Python-Markdown converter configured as the handout body expects."""
    return markdown.Markdown(
        extensions=[
            *BASE_EXTENSIONS,
            TableExtension(use_align_attribute=True),
            CommonMarkCompat(),
            TocExtension(permalink=False, toc_depth="1-4"),
            "smarty",
            *extra_extensions,
        ],
        output_format="html",
    )


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


def _outline(tokens, out: list[Heading]) -> list[Heading]:
    for token in tokens:
        out.append(Heading(token["level"], token["name"], token["id"]))
        _outline(token["children"], out)
    return out


_FOOTNOTE_REF = re.compile(r'(<a class="footnote-ref" href="#fn:[^"]*">)(\d+)(</a>)')


def _letter(n: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa (as CSS lower-alpha counts)."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(97 + rem) + out
    return out


def convert(markdown_text: str, numbers: dict[str, int], *, allow_remote_images=False) -> Body:
    """Convert an article body; `numbers` maps citation keys to their numbers."""
    md = new_markdown([CitationExtension(numbers)])
    html = md.convert(markdown_text)
    # Footnote markers become letters: superscript numbers are the citations'.
    html = _FOOTNOTE_REF.sub(lambda m: m.group(1) + _letter(int(m.group(2))) + m.group(3), html)
    return Body(sanitize(html, allow_remote_images=allow_remote_images),
                tuple(_outline(md.toc_tokens, [])))
