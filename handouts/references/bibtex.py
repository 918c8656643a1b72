"""BibTeX and BibLaTeX (``.bib``) -> CSL-JSON items, as Zotero maps them.

Zotero and Better BibTeX exports, parsed by bibtexparser 2; LaTeX escapes become Unicode
with pylatexenc, lazily (`decode_latex_item`: only cited entries are ever printed).
``@string`` macros are expanded here, bounded (``reference_field_chars``), so a doubling
bomb is an error, not gigabytes.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from pathlib import Path

from handouts.errors import InputError
from handouts.guard import limits as limits_mod
from handouts.references.common import Problems, Record, limit_hint
from handouts.references.dates import DATE_FIELDS, MONTHS, csl_date

BIBTEX_TYPES = {
    "article": "article-journal", "book": "book", "mvbook": "book", "booklet": "pamphlet",
    "inbook": "chapter", "incollection": "chapter", "bookinbook": "chapter",
    "inproceedings": "paper-conference", "conference": "paper-conference",
    "proceedings": "book", "collection": "book", "manual": "report", "techreport": "report",
    "report": "report", "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "online": "webpage", "electronic": "webpage", "www": "webpage", "misc": "document",
    "unpublished": "manuscript", "dataset": "dataset", "software": "software",
    "patent": "patent", "periodical": "periodical", "inreference": "entry-encyclopedia",
    "video": "motion_picture", "audio": "song", "standard": "standard",
}
_BIBTEX_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def read_bibtex(path: Path, text: str, limits, problems: Problems) -> list[Record]:
    """The entries of a BibTeX file, their strings still LaTeX."""
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock, String

    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)  # it logs every failed block
    # bibtexparser looks for the closing brace of a block character by character; a block
    # opened and never closed is reported below, never looped over.
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    except Exception as exc:  # noqa: BLE001 (the parser's own exceptions are not public)
        raise InputError.at(path, None, f"BibTeX syntax: {exc}",
                            "check braces and commas, or export the file again") from None
    max_entries = limits_mod.get(limits, "reference_entries")
    max_chars = limits_mod.get(limits, "reference_field_chars")
    count = sum(1 for b in library.blocks if isinstance(b, Entry))
    if count > max_entries:
        raise InputError.at(path, None, f"{count:,} entries, over the limit of {max_entries:,} "
                            "(reference_entries)", limit_hint("reference_entries"))
    strings: dict[str, str] = {m: m for m in _BIBTEX_MONTHS}
    entries, too_long = [], False
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            first = (block.previous_block.start_line or 0) + 1 if block.previous_block else None
            problems.add(line, f"entry '{block.key}': duplicate key" + (f" (first on line {first})" if first else ""),
                         "give each reference its own key")
            continue
        if isinstance(block, ParsingFailedBlock):
            what = getattr(block, "raw", "") or ""
            head = re.match(r"\s*@\s*(\w+)\s*[{(]\s*([^,\s{}()=]*)", what)
            kind = head.group(1).lower() if head else ""
            if kind in ("comment", "preamble", "string"):
                where = f"@{kind}: "
            else:
                where = f"entry '{head.group(2)}': " if head and head.group(2) else ""
            error = getattr(block, "error", None)
            reason = str(getattr(error, "abort_reason", "") or "").strip()
            if type(block).__name__ == "DuplicateFieldKeyBlock":
                reason = "a field appears twice"
            elif "end of file" in reason.lower():
                reason = "not closed: a '}' is missing at the end of the file"
            elif "found `@" in reason:
                reason = "not closed: a '}' is missing before the next '@'"
            problems.add(line, f"{where}BibTeX syntax: {reason or 'cannot be read'}",
                         "check braces and commas, or export the file again")
            continue
        try:
            if isinstance(block, String):
                strings[block.key.lower()] = _bib_value(block.value, strings, max_chars)
            elif isinstance(block, Entry):
                fields = {}
                for f in block.fields:
                    fields[f.key.lower()] = _bib_value(f.value, strings, max_chars)
                entries.append(Record(block.key, line, _bibtex_to_csl(block.key, block.entry_type.lower(),
                                                                      fields, line, problems)))
        except _TooLong:
            if too_long:
                continue  # the first one explains the rest (an @string bomb)
            too_long = True
            name = f"entry '{block.key}'" if isinstance(block, Entry) else f"@string '{block.key}'"
            problems.add(line, f"{name}: a value expands to more than {max_chars:,} characters "
                         "(reference_field_chars)", "an @string that doubles itself? " +
                         limit_hint("reference_field_chars"))
    return entries


class _TooLong(Exception):
    pass


def _bib_value(raw: str, strings: dict[str, str], max_chars: int) -> str:
    """A BibTeX value: ``{…}``, ``"…"``, numbers and @string names joined by ``#``."""
    out = []
    total = 0
    for piece in _split_concat(raw):
        piece = piece.strip()
        if piece.startswith("{") and piece.endswith("}"):
            value = piece[1:-1]
        elif piece.startswith('"') and piece.endswith('"'):
            value = piece[1:-1]
        elif piece.isdigit():
            value = piece
        else:
            value = strings.get(piece.lower(), piece)
        total += len(value)
        if total > max_chars:
            raise _TooLong
        out.append(value)
    return "".join(out)


def _split_concat(raw: str) -> list[str]:
    """Split at top-level ``#`` (outside braces and quotes)."""
    pieces, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            pieces.append(raw[start:i])
            start = i + 1
    pieces.append(raw[start:])
    return pieces


def _bibtex_names(raw: str) -> list[dict]:
    from bibtexparser.middlewares.names import (parse_single_name_into_parts,
                                                split_multiple_persons_names)

    names = []
    for name in split_multiple_persons_names(raw):
        name = name.strip()
        if name.startswith("{") and name.endswith("}") and _balanced(name[1:-1]):
            names.append({"literal": name[1:-1]})  # {Example Health Organization}
            continue
        try:
            parts = parse_single_name_into_parts(name, strict=False)
        except Exception:  # noqa: BLE001 (unbalanced braces in a name)
            names.append({"literal": name})
            continue
        csl = {"family": " ".join(parts.last), "given": " ".join(parts.first)}
        if parts.von:
            csl["non-dropping-particle"] = " ".join(parts.von)
        if parts.jr:
            csl["suffix"] = " ".join(parts.jr)
        names.append({k: v for k, v in csl.items() if v})
    return names


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def _bibtex_to_csl(key: str, entry_type: str, f: dict, line: int, problems: Problems) -> dict:
    """Map a BibTeX/BibLaTeX entry to CSL-JSON (strings still LaTeX), as Zotero does."""
    kind = BIBTEX_TYPES.get(entry_type, "document")
    if entry_type == "misc" and f.get("url") and not f.get("publisher"):
        kind = "webpage"  # Zotero writes web pages as @misc with url and urldate
    csl: dict = {"id": key, "type": kind}
    simple = {"title": "title", "volume": "volume", "edition": "edition", "note": "note",
              "series": "collection-title", "address": "publisher-place",
              "location": "publisher-place", "isbn": "ISBN", "issn": "ISSN", "language": "language",
              "abstract": "abstract", "chapter": "chapter-number", "pmid": "PMID",
              "shortjournal": "container-title-short", "venue": "event-place",
              "eventtitle": "event-title", "version": "version", "pages": "page"}
    for bib, name in simple.items():
        if f.get(bib):
            csl[name] = f[bib]
    if "subtitle" in f and "title" in csl:
        csl["title"] += ": " + f["subtitle"]
    container = f.get("journal") or f.get("journaltitle") or f.get("booktitle")
    if container:
        csl["container-title"] = container
    publisher = f.get("publisher") or f.get("institution") or f.get("organization") or f.get("school")
    if publisher:
        csl["publisher"] = publisher
    if kind == "webpage" and "container-title" not in csl:
        site = f.get("howpublished") or f.get("organization")
        if site and not site.lstrip().startswith("\\url"):
            csl["container-title"] = site
    if f.get("number"):
        csl["number" if kind in ("report", "patent", "standard") else "issue"] = f["number"]
    if f.get("issue"):
        csl["issue"] = f["issue"]
    if f.get("eid") and "page" not in csl:
        csl["number"] = f["eid"]  # article numbers
    if f.get("type") or entry_type in ("phdthesis", "mastersthesis"):
        csl["genre"] = f.get("type") or ("PhD thesis" if entry_type == "phdthesis" else "Master's thesis")
    for field in ("author", "editor", "translator"):
        if f.get(field):
            csl[field] = _bibtex_names(f[field])
    if "page" in csl:
        csl["page"] = re.sub(r"\s*-{1,3}\s*|\s*\\textendash\s*|\s*–\s*", "-", csl["page"])
    url = f.get("url") or ""
    if not url:
        m = re.search(r"\\url\{([^}]*)\}", f.get("howpublished", ""))
        url = m.group(1) if m else ""
    if url:
        csl["URL"] = url.strip()
    if f.get("doi"):
        csl["DOI"] = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", f["doi"].strip(), flags=re.I)
    # Dates: BibLaTeX `date` (ISO), else `year` + `month` (`month = mar` or a number).
    issued = None
    if f.get("date"):
        issued, message = csl_date(f["date"].strip())
        if message:
            problems.add(line, f"entry '{key}': 'date' is not a date: {message}", "write YYYY-MM-DD")
    elif f.get("year"):
        year = _strip_braces(f["year"]).strip()
        month = _month(f.get("month", ""))
        day = f.get("day", "").strip()
        parts = [year] + ([str(month)] if month else []) + ([day] if month and day.isdigit() else [])
        issued, message = csl_date("-".join(parts)) if year.lstrip("-").isdigit() else (None, repr(year))
        if message:
            problems.add(line, f"entry '{key}': 'year' is not a year: {year!r}", "write e.g. year = {2019}")
    if issued:
        csl["issued"] = issued
    if f.get("urldate"):
        accessed, message = csl_date(f["urldate"].strip())
        if message:
            problems.add(line, f"entry '{key}': 'urldate' is not a date: {message}", "write YYYY-MM-DD")
        else:
            csl["accessed"] = accessed
    if not f.get("title"):
        problems.add(line, f"entry '{key}': has no 'title'", "add title = {…}")
    return csl


def _strip_braces(text: str) -> str:
    return text.replace("{", "").replace("}", "")


def _month(value: str) -> int | None:
    value = _strip_braces(value).strip().lower().rstrip(".")
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    return MONTHS.get(value) or MONTHS.get(value[:3])


@functools.cache
def _latex_converter():
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    db = get_default_latex_context_db()
    # Macros Zotero writes that pylatexenc 2.11 does not know.
    db.add_context_category("zotero", prepend=True, macros=[
        MacroTextSpec("textless", "<"), MacroTextSpec("textgreater", ">"),
        MacroTextSpec("textbar", "|"), MacroTextSpec("textasciitilde", "~"),
        MacroTextSpec("textasciicircum", "^"), MacroTextSpec("textbackslash", "\\"),
        MacroTextSpec("textunderscore", "_"), MacroTextSpec("textquotesingle", "'"),
        MacroTextSpec("textquotedbl", '"'), MacroTextSpec("textdollar", "$"),
        MacroTextSpec("textregistered", "®"), MacroTextSpec("texttrademark", "™"),
        MacroTextSpec("textdegree", "°"), MacroTextSpec("textpm", "±"),
        MacroTextSpec("textmu", "µ"), MacroTextSpec("textbullet", "•"),
        MacroTextSpec("url", "%s"), MacroTextSpec("mkbibquote", "“%s”"),
    ])
    return LatexNodes2Text(latex_context=db, math_mode="text", strict_latex_spaces=False)


_PLAIN = re.compile(r"[\\{}~$%]|--|``|''")


def latex_to_text(text: str) -> str:
    """Zotero's LaTeX escapes as Unicode: ``{\\textless}6`` -> ``<6``, ``{\\"u}`` -> ``ü``."""
    if not _PLAIN.search(text):
        return " ".join(text.split())
    text = text.replace("\\%", "\x00")  # pylatexenc would read a bare % as a comment
    try:
        out = _latex_converter().latex_to_text(text)
    except Exception:  # noqa: BLE001 (pylatexenc in tolerant mode rarely raises)
        out = text.replace("{", "").replace("}", "")
    return unicodedata.normalize("NFC", " ".join(out.replace("\x00", "%").replace("\u00a0", " ").split()))


def decode_latex_item(item: dict) -> dict:
    """A BibTeX entry's CSL item with Unicode text (names, dates and identifiers as they are)."""
    out = {}
    for name, value in item.items():
        if name in ("id", "type", "URL", "DOI", "ISBN", "ISSN", "PMID") or name in DATE_FIELDS:
            out[name] = value
        elif isinstance(value, str):
            out[name] = latex_to_text(value)
        elif isinstance(value, list):
            out[name] = [{k: latex_to_text(v) for k, v in n.items()} for n in value]
        else:
            out[name] = value
    return out
