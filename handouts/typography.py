"""Typography of the finished HTML document: units a line break must not tear apart.

(Smart quotes in the front matter are the template's ``smartquotes`` filter.)

`keep_together(html, names)` wraps each unit that must stay on one line in
``<span class="nowrap">`` (phone numbers in ``<span class="tel nowrap">``), which
base.css sets ``white-space: nowrap``: a phone number (``+1 555 0100``), the publisher's
and the clinic's name, a date (``March 2, 2024``), a number and its unit (``39 °C``), and,
inside the references, an author's family name with its initials (``Bautista R``) and a
name particle with what follows (``de la Cruz``). The spaces stay ordinary spaces, so the
PDF's text searches and copies as written; a table column holding such a unit is widened
to fit it instead of splitting it.

It runs once, on the finished HTML document (template + citations + body: render_document
calls it), so every variant and every producer of text gets it from one place. Only text
between tags changes; ``pre``, ``code``, ``kbd``, ``title``, ``script``, ``style`` and
links (``a``: a span inside a link loses the link's PDF tag in WeasyPrint 70) are left
alone, and so is any run of text that looks like an address (``://``, ``www.``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: A phone number: optional +country, optional (area), then 2-5 digit groups separated by
#: a space, dot or hyphen; 7 digits or more in all; never part of a longer word or path.
PHONE_RE = re.compile(
    r"(?<![\w+/:=.#\-])(?:\+\d{1,3}[ .\-\u00a0])?(?:\(\d{1,5}\)[ .\-\u00a0]?)?"
    r"\d{2,5}(?:[ .\-\u00a0]\d{2,5}){1,4}(?![\w/])")
#: A date as the labels write them: "March 2, 2024", "2 March 2024".
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
          "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
DATE_RES = (
    re.compile(rf"\b(?:{MONTHS})\.? \d{{1,2}}, \d{{4}}\b"),
    re.compile(rf"\b\d{{1,2}}\.? (?:{MONTHS})\.? \d{{4}}\b"),
)
#: A number and its unit: "39 °C", "500 mg".
UNIT_RE = re.compile(
    r"\b\d+(?:[.,]\d+)? (?:°[CF]|mg|g|kg|ml|mL|l|L|mm|cm|m|km|%|mmol/L|mg/dL|IU|µg|mcg)(?![\w])")
#: A reference's author as AMA/Vancouver write it: family name, then initials.
AUTHOR_RE = re.compile(r"\b[A-Z][\w'\u2019\-]+ [A-Z]{1,3}\b\.?(?=[,.;:]|\s|$)")
#: A name particle and the rest of the family name ("de la Cruz", "van der Berg").
PARTICLE_RE = re.compile(
    r"\b(?:(?:de|da|del|della|van|von|der|den|la|le|di|du|dos|das|ten|ter|bin|binti|al|el) )+"
    r"[A-Z][\w'\u2019\-]*")
#: Text that is (part of) an address is never touched.
ADDRESS_RE = re.compile(r"://|www\.|@")


def phone_text(number: str) -> str:
    """A ``tel:`` number as people read it: an international number (``+842838000000``)
    grouped as its country writes it (``+84 28 3800 0000``, Google's libphonenumber
    data); a number that is not valid there, or not international, as written."""
    import phonenumbers

    if number.startswith("+"):
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            return number
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return number


def url_parts(url: str, longest: int = 28) -> list[str]:
    """`url` cut where a printed address may break: after each ``/`` of the path and
    before ``?``, ``&`` and ``#`` -- not inside a host name or a slug
    (``https://example.org/`` ``vi/`` ``cham-soc-tai-nha``). Only a slug longer than
    `longest` characters (wider than the QR code's caption) is cut too, after a hyphen,
    so the address never runs off the page."""
    scheme, sep, rest = url.partition("://")
    head = scheme + sep if sep else ""
    parts = re.findall(r"[^/?&#]*/|[?&#][^/?&#]*/?|[^/?&#]+", rest if sep else url)
    if parts:
        parts[0] = head + parts[0]
    out: list[str] = []
    for part in parts or [url]:
        if len(part) <= longest:
            out.append(part)
            continue
        lines = [""]
        for word in re.findall(r"[^-]*-|[^-]+", part):  # words with their hyphen
            if lines[-1] and len(lines[-1]) + len(word) > longest:
                lines.append("")
            lines[-1] += word
        out += lines
    return out


def _spans(text: str, names: tuple[str, ...], references: bool) -> list[tuple[int, int, str]]:
    """(start, end, classes) of the units in `text`, merged where they overlap."""
    found = []
    for name in names:
        if name and " " in name:
            found += [(m.start(), m.end(), "nowrap") for m in re.finditer(re.escape(name), text)]
    for m in PHONE_RE.finditer(text):
        if sum(c.isdigit() for c in m.group(0)) >= 7:
            found.append((m.start(), m.end(), "tel nowrap"))
    for pattern in (*DATE_RES, UNIT_RE, *((AUTHOR_RE, PARTICLE_RE) if references else ())):
        found += [(m.start(), m.end(), "nowrap") for m in pattern.finditer(text)]
    merged: list[tuple[int, int, str]] = []
    for start, end, classes in sorted(found):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            keep = last[2] if "tel" in last[2] or "tel" not in classes else classes
            merged[-1] = (last[0], max(last[1], end), keep)
        else:
            merged.append((start, end, classes))
    return merged


def keep_together_text(text: str, *, names: tuple[str, ...] = (), references: bool = False) -> str:
    """`text` (HTML text between tags) with its units wrapped in nowrap spans."""
    if ADDRESS_RE.search(text):
        return text
    out, position = [], 0
    for start, end, classes in _spans(text, names, references):
        out += [text[position:start], f'<span class="{classes}">', text[start:end], "</span>"]
        position = end
    out.append(text[position:])
    return "".join(out)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Rewriter(HTMLParser):
    """Re-emit HTML unchanged except for the text of the elements we may touch."""

    #: Left alone. ``a`` too: WeasyPrint 70 tags a link holding a ``span`` without its
    #: Link structure element (a PDF/UA failure); tel: links are nowrap in base.css.
    SKIP = {"pre", "code", "kbd", "script", "style", "title", "a"}

    def __init__(self, names):
        super().__init__(convert_charrefs=False)
        self.names = names
        self.out: list[str] = []
        self.skip = 0
        self.depth = 0
        self.ref_depth = None  # depth of the references section we are in, if any

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in VOID:
            return
        if tag in self.SKIP:
            self.skip += 1
        self.depth += 1
        classes = (dict(attrs).get("class") or "").split()
        if self.ref_depth is None and ("references" in classes or "csl-bib-body" in classes):
            self.ref_depth = self.depth

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in VOID:
            return
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        if self.ref_depth is not None and self.depth == self.ref_depth:
            self.ref_depth = None
        self.depth -= 1

    def handle_data(self, data):
        if self.skip:
            self.out.append(data)
        else:
            self.out.append(keep_together_text(data, names=self.names,
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


def keep_together(html: str, names=()) -> str:
    """`html` with phone numbers, `names` (the publisher, the clinic), dates, number+unit
    pairs and, inside the references, author names kept on one line."""
    rewriter = _Rewriter(tuple(sorted({n for n in names if n}, key=len, reverse=True)))
    rewriter.feed(html)
    rewriter.close()
    return "".join(rewriter.out)
