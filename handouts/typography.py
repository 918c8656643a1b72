"""Typography of the finished HTML document: units a line break must not tear apart.

(Smart quotes in the front matter are the template's ``smartquotes`` filter.)

* `keep_together`: non-breaking spaces where a line break would tear a unit apart — a
  phone number (``+1 555 0100``), the publisher's name, a date (``March 2, 2024``), a
  reference's author initials (``Bautista R``), a number and its unit (``39 °C``). It
  runs on the finished HTML document (template + citations + body), in the render stage,
  so every variant and every producer of text gets it from one place. Text inside tags
  is changed, never markup, and ``pre``/``code`` are left alone.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

NBSP = "\u00a0"
NB_HYPHEN = "\u2011"

# ----------------------------------------------------------------------------------------
# Keeping units together
# ----------------------------------------------------------------------------------------

#: A phone number: optional +, then digit groups separated by spaces, dots or hyphens
#: (at least 7 digits in all), optionally with a bracketed area code.
PHONE_RE = re.compile(
    r"(?<![\w+/:=.#\-])(?:\+\d{1,3}[ .\-\u00a0])?(?:\(\d{1,5}\)[ .\-\u00a0]?)?\d{2,5}(?:[ .\-\u00a0]\d{2,5}){1,4}(?![\w/])")
#: A date as the labels write them: "March 2, 2024", "2 March 2024", "2. März 2024".
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
          "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
DATE_RES = (
    re.compile(rf"\b(?:{MONTHS})\.? \d{{1,2}}, \d{{4}}\b"),
    re.compile(rf"\b\d{{1,2}}\.? (?:{MONTHS})\.? \d{{4}}\b"),
)
#: A number and its unit: "39 °C", "500 mg", "10 cups" is left alone (a word).
UNIT_RE = re.compile(r"\b(\d+(?:[.,]\d+)?) (°[CF]|mg|g|kg|ml|mL|l|L|mm|cm|m|km|%|mmol/L|mg/dL|IU|µg|mcg)(?![\w])")
#: A reference's author: "Bautista R", "de la Cruz JM", "Example A." (AMA and Vancouver
#: write family name then initials).
AUTHOR_RE = re.compile(r"\b([A-Z][\w'\u2019\-]+) ([A-Z]{1,3}\.?)(?=[,.;:]|\s|$)")
#: The reference number and the first word of its entry ("10. de la Cruz").
PARTICLE_RE = re.compile(r"\b(de|da|del|van|von|der|den|la|le|di|du|dos|das|ten|ter|bin|binti|al|el) (?=[A-Z\w])")


def _nbsp_spaces(match: re.Match) -> str:
    return match.group(0).replace(" ", NBSP)


def _phone(match: re.Match) -> str:
    """A phone number as one unbreakable unit: no-break spaces and hyphens, inside a
    ``span.tel`` (``white-space: nowrap``): a table column's ``overflow-wrap: anywhere``
    would otherwise still split it, and nowrap also widens the column to hold it."""
    text = match.group(0)
    if sum(c.isdigit() for c in text) < 7:
        return text
    return f'<span class="tel">{text.replace(" ", NBSP).replace("-", NB_HYPHEN)}</span>'


def _plain_phone(match: re.Match) -> str:
    text = match.group(0)
    if sum(c.isdigit() for c in text) < 7:
        return text
    return text.replace(" ", NBSP).replace("-", NB_HYPHEN)


def keep_together_text(text: str, *, names: tuple[str, ...] = (), references: bool = False,
                       markup: bool = False) -> str:
    """Apply the non-breaking rules to one run of text (HTML-escaped text when `markup`:
    phone numbers are then wrapped in ``span.tel``)."""
    for name in names:
        if name and " " in name:
            text = text.replace(name, name.replace(" ", NBSP))
    text = PHONE_RE.sub(_phone if markup else _plain_phone, text)
    for date_re in DATE_RES:
        text = date_re.sub(_nbsp_spaces, text)
    text = UNIT_RE.sub(lambda m: f"{m.group(1)}{NBSP}{m.group(2)}", text)
    if references:
        text = AUTHOR_RE.sub(lambda m: f"{m.group(1)}{NBSP}{m.group(2)}", text)
        text = PARTICLE_RE.sub(lambda m: f"{m.group(1)}{NBSP}", text)
    return text


class _Rewriter(HTMLParser):
    """Re-emit HTML unchanged except for the text of the elements we may touch."""

    SKIP = {"pre", "code", "script", "style", "title", "kbd"}

    def __init__(self, names):
        super().__init__(convert_charrefs=False)
        self.names = names
        self.out: list[str] = []
        self.skip = 0
        self.in_references = 0  # depth inside <section class="references">
        self.depth = 0
        self.ref_depth = None

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in self.SKIP:
            self.skip += 1
        if tag in ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"):
            return
        self.depth += 1
        classes = (dict(attrs).get("class") or "").split()
        if self.ref_depth is None and ("references" in classes or "csl-bib-body" in classes):
            self.ref_depth = self.depth

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        if tag in ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"):
            return
        if self.ref_depth is not None and self.depth == self.ref_depth:
            self.ref_depth = None
        self.depth -= 1

    def handle_data(self, data):
        if self.skip:
            self.out.append(data)
        else:
            self.out.append(keep_together_text(data, names=self.names, markup=True,
                                               references=self.ref_depth is not None))

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def keep_together(html: str, names: tuple[str, ...] = ()) -> str:
    """`html` with non-breaking spaces inside phone numbers, `names` (the publisher, the
    clinic), dates, number+unit pairs and, inside the references, author initials."""
    rewriter = _Rewriter(tuple(sorted(set(names), key=len, reverse=True)))
    rewriter.feed(html)
    rewriter.close()
    return "".join(rewriter.out)
