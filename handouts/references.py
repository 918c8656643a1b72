"""Reading references files as reference managers write them -> CSL-JSON items.

One reader per format, each returning the same thing: CSL-JSON dictionaries keyed by
citation key, with the line of each entry for messages.

- CSL-JSON (``.json``): Zotero's export: ``date-parts`` (numbers or strings), ``raw`` and
  ``literal`` dates, ``journalAbbreviation``.
- CSL-YAML (``.yaml``/``.yml``): Better BibTeX's export (``references:`` wrapper, dates as
  ``[{year: 2018, month: 6}]``) and hand-written lists (``issued: 2018-06-01``).
- BibTeX/BibLaTeX (``.bib``): Zotero and Better BibTeX exports, parsed by bibtexparser 2;
  LaTeX escapes become Unicode with pylatexenc. ``@string`` macros are expanded here
  (bounded), so a doubling bomb is an error, not gigabytes.
- RIS (``.ris``): PubMed, EndNote, Zotero, Mendeley exports, parsed by rispy.
- MEDLINE (``.nbib``): PubMed's own "Citation manager" export, read by `_read_medline`
  (a line format: ``TAG - value``, continuation lines indented by six spaces).

Every input is bounded (file size, entries, nesting depth) and read in linear time: line
numbers come from one pass over the text, never a search per entry. Limits come from
``config.limits`` (``[limits]`` in handouts.toml) when it has them, else `DEFAULT_LIMITS`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Diagnostic, InputError, escape_controls
from .paths import check_file, inside, name_problem, read_checked, real

REFERENCE_FILES = ("references.yaml", "references.yml", "references.json", "references.bib",
                   "references.ris", "references.nbib")
FORMATS = {".json": "CSL-JSON", ".yaml": "CSL-YAML", ".yml": "CSL-YAML", ".bib": "BibTeX",
           ".bibtex": "BibTeX", ".ris": "RIS", ".nbib": "MEDLINE"}
_USE_FORMATS = "use .bib, .json, .yaml, .ris or .nbib (BibTeX, CSL-JSON, CSL-YAML, RIS, PubMed MEDLINE)"

DEFAULT_LIMITS = {
    "reference_file_bytes": 64 * 2**20,  # one references file (a whole Zotero library fits)
    "reference_entries": 50_000,  # entries in one references file
    "reference_depth": 64,  # nesting of JSON/YAML (CSL needs 5)
    "reference_field_chars": 100_000,  # one field after @string expansion
    "citations": 10_000,  # citation keys in one article
    "did_you_mean": 20,  # unknown keys that get a "did you mean" hint
}


def limit(limits, name: str) -> int:
    """The limit `name` from ``config.limits`` if it has it, else the default."""
    value = getattr(limits, name, None) if limits is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else DEFAULT_LIMITS[name]


def limit_hint(name: str) -> str:
    return f"split the input, or raise '{name}' in the [limits] table of handouts.toml"


# ---------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class References:
    """The references of an article: CSL-JSON items by citation key (possibly none).

    BibTeX items keep their strings as LaTeX until `csl` converts them: decoding is
    the slow part, and only cited entries are ever printed.
    """

    path: Path | None  # the first file (messages name each entry's own file: `files`)
    lines: dict[str, int | None]  # key -> line of its entry
    items: dict[str, dict] = field(default_factory=dict, repr=False)
    files: dict[str, Path] = field(default_factory=dict, repr=False)
    paths: tuple[Path, ...] = ()
    latex: frozenset = frozenset()  # keys whose strings are still LaTeX

    @property
    def keys(self) -> set[str]:
        return set(self.lines)

    def file_of(self, key: str) -> Path | None:
        return self.files.get(key, self.path)

    def csl(self, key: str) -> dict:
        """The CSL-JSON item of `key`, with Unicode text."""
        item = self.items[key]
        return _decode_latex_item(item) if key in self.latex else item


EMPTY = References(None, {})


@dataclass
class _Entry:
    key: str
    line: int | None
    csl: dict


class _Problems(list):
    def __init__(self, path: Path):
        super().__init__()
        self.path = path

    def add(self, line, message, hint=""):
        self.append(Diagnostic(self.path, line, message, hint))


# ---------------------------------------------------------------------------------------
# Which file


def find_references(folder: Path) -> Path | None:
    """The one ``references.*`` beside the article (see `resolve_bibliography`)."""
    found = [folder / name for name in REFERENCE_FILES if os.path.lexists(folder / name)]
    return found[0] if found else None


def resolve_bibliography(article: Path, value, line: int | None,
                         key: str = "bibliography") -> tuple[tuple[Path, ...], list[Diagnostic]]:
    """The references files of the article at `article`.

    `value` is the front matter's ``bibliography:`` (a path or a list of paths, relative
    to the article's folder; pandoc's key) or None: then the one ``references.*`` beside
    the article. Two such files and no ``bibliography:`` is an error naming both.
    """
    folder = article.parent
    problems: list[Diagnostic] = []
    if value in (None, "", []):
        # every name present counts (a link to a FIFO or outside too): refused, not skipped
        found = [folder / name for name in REFERENCE_FILES if os.path.lexists(folder / name)]
        if len(found) > 1:
            names = " and ".join(p.name for p in found)
            problems.append(Diagnostic(article, None, f"two references files beside the article: {names}",
                                       f"delete one, or name it with 'bibliography: {found[0].name}'"))
            return (), problems
        if found and (problem := check_file(found[0], [folder], what="the references file",
                                            where="the article's folder")):
            problems.append(problem)
            return (), problems
        return tuple(found), problems
    names = value if isinstance(value, list) else [value]
    paths = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            problems.append(Diagnostic(article, line, f"'{key}' must be a file name or a list of them",
                                       f"write e.g. '{key}: references.bib'"))
            continue
        path = folder / name.strip()
        shown = escape_controls(name if len(name) <= 80 else name[:60] + "…" + name[-10:])
        if problem := name_problem(path):
            problems.append(Diagnostic(article, line, f"references file '{shown}' {problem}",
                                       f"rename the file (a short name) and write that name in '{key}:'"))
        elif not inside(path, [folder]):
            problems.append(Diagnostic(article, line, f"references file '{shown}' lies outside the "
                                       "article's folder", "copy the file into the article's folder "
                                       "and name it relative to it"))
        elif not os.path.lexists(path):
            present = [p.name for p in sorted(folder.iterdir()) if p.suffix.lower() in FORMATS] \
                if folder.is_dir() else []
            from .config import did_you_mean
            hint = did_you_mean(path.name, present) if present else ""
            problems.append(Diagnostic(article, line, f"references file '{shown}' not found in the "
                                       "article's folder", hint or f"check the name in '{key}:'"))
        elif path.suffix.lower() not in FORMATS:
            problems.append(Diagnostic(article, line, f"'{shown}' is not a references file",
                                       _USE_FORMATS))
        elif problem := check_file(path, [folder], what=f"references file '{shown}'",
                                   where="the article's folder", report_path=article, line=line):
            problems.append(problem)
        else:
            paths.append(path)
    return tuple(paths), problems


# ---------------------------------------------------------------------------------------
# Loading


def load_references(paths, limits=None) -> References:
    """Read one references file or several; raise `InputError` with every problem.

    A key in two files is an error (pandoc would silently take one).
    """
    if paths is None:
        return EMPTY
    if isinstance(paths, (str, Path)):
        paths = (Path(paths),)
    paths = tuple(Path(p) for p in paths)
    if not paths:
        return EMPTY
    problems: list[Diagnostic] = []
    lines, items, files, latex = {}, {}, {}, set()
    for path in paths:
        try:
            entries, is_latex = _read(path, limits)
        except InputError as exc:
            problems += exc.problems
            continue
        for entry in entries:
            if entry.key in lines:
                first = files[entry.key]
                where = (f"line {lines[entry.key]}" if first == path else
                         f"{first.name}:{lines[entry.key]}")
                problems.append(Diagnostic(path, entry.line, f"entry '{entry.key}': duplicate key "
                                           f"(first on {where})", "give each reference its own key"))
                continue
            lines[entry.key] = entry.line
            items[entry.key] = entry.csl
            files[entry.key] = path
            if is_latex:
                latex.add(entry.key)
    if problems:
        raise InputError(*problems)
    return References(paths[0], lines, items, files, paths, frozenset(latex))


def _read(path: Path, limits) -> tuple[list[_Entry], bool]:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError.at(path, None, "not a references file", _USE_FORMATS)
    max_bytes = limit(limits, "reference_file_bytes")
    # Containment in the article's folder is `resolve_bibliography`'s; here: a regular
    # file, opened without following a link or waiting on a FIFO, read within the limit.
    resolved = real(path)
    data = read_checked(path, [resolved.parent if resolved else path.parent],
                        what="the references file", max_bytes=max_bytes, links=False)
    if isinstance(data, Diagnostic):
        raise InputError(data)
    if len(data) > max_bytes:
        size = max(len(data), path.stat().st_size)
        raise InputError.at(path, None, f"the file is {size:,} bytes, over the limit of "
                            f"{max_bytes:,} (reference_file_bytes)", limit_hint("reference_file_bytes"))
    try:
        text = data.decode("utf-8-sig")  # Notepad and PowerShell add a BOM
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError.at(path, line, "not UTF-8 text", "export the references as UTF-8 (Unicode)") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    problems = _Problems(path)
    if kind == "BibTeX":
        entries = _read_bibtex(path, text, limits, problems)
    elif kind == "RIS":
        entries = _read_ris(path, text, limits, problems)
    elif kind == "MEDLINE":
        entries = _read_medline(path, text, limits, problems)
    else:
        data = _load_json(path, text, limits) if kind == "CSL-JSON" else _load_yaml(path, text, limits)
        entries = _csl_entries(path, data, limits, problems)
    if problems:
        raise InputError(*problems)
    return entries, kind == "BibTeX"


class _Lines:
    """Line numbers of offsets in a text, from one pass over it."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


# ---------------------------------------------------------------------------------------
# CSL-JSON and CSL-YAML

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def _load_json(path: Path, text: str, limits) -> tuple[object, list[int | None]]:
    max_depth = limit(limits, "reference_depth")
    depth, top = 0, []
    lines = _Lines(text)
    for m in _JSON_TOKENS.finditer(text):  # linear, no recursion: depth before parsing
        token = m.group()
        if token in "[{":
            depth += 1
            if depth == 2:
                top.append(lines(m.start()))
            if depth > max_depth:
                raise InputError.at(path, lines(m.start()), f"nested more than {max_depth} levels deep "
                                    "(reference_depth)", "CSL-JSON needs 5 levels; " + limit_hint("reference_depth"))
        elif token in "]}":
            depth -= 1
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.at(path, exc.lineno, f"JSON syntax: {exc.msg}",
                            "export CSL-JSON again or fix the syntax") from None
    except RecursionError:
        raise InputError.at(path, None, "nested too deep", limit_hint("reference_depth")) from None
    if isinstance(data, dict) and isinstance(data.get("references"), list):
        return data["references"], [None] * len(data["references"])
    return data, top


def _load_yaml(path: Path, text: str, limits) -> tuple[object, list[int | None]]:
    from .config import SafeLoader

    max_depth = limit(limits, "reference_depth")
    try:
        depth = 0
        for event in yaml.parse(text, Loader=SafeLoader):  # events: libyaml keeps its own stack
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > max_depth:
                    raise InputError.at(path, event.start_mark.line + 1, f"nested more than {max_depth} "
                                        "levels deep (reference_depth)",
                                        "CSL-YAML needs 5 levels; " + limit_hint("reference_depth"))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                raise InputError.at(path, event.start_mark.line + 1, "YAML aliases (*name) are not "
                                    "allowed in references files", "write the value out in full")
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InputError.at(path, mark.line + 1 if mark else None, f"YAML syntax: {exc.problem}",
                            "fix the indentation or quoting") from None
    except yaml.reader.ReaderError as exc:
        raise InputError.at(path, text.count("\n", 0, exc.position) + 1,
                            f"control character U+{exc.character:04X} is not allowed",
                            "delete it (it is invisible in most editors)") from None
    except yaml.YAMLError as exc:
        raise InputError.at(path, None, f"YAML syntax: {exc}", "fix the indentation or quoting") from None
    except ValueError as exc:  # a date YAML cannot build, such as 2020-12-45
        raise InputError.at(path, None, f"impossible date: {exc}", "write dates as YYYY-MM-DD") from None
    seq = node
    if isinstance(node, yaml.MappingNode):  # Better BibTeX and pandoc: `references:` wrapper
        for key_node, value_node in node.value:
            if key_node.value == "references":
                seq = value_node
        if isinstance(data, dict) and "references" in data:
            data = data["references"]
    lines = [n.start_mark.line + 1 for n in seq.value] if isinstance(seq, yaml.SequenceNode) else []
    return data, lines


CSL_TYPES = frozenset(
    "article article-journal article-magazine article-newspaper bill book broadcast chapter "
    "classic collection dataset document entry entry-dictionary entry-encyclopedia event "
    "figure graphic hearing interview legal_case legislation manuscript map motion_picture "
    "musical_score pamphlet paper-conference patent performance periodical personal_communication "
    "post post-weblog regulation report review review-book software song speech standard "
    "thesis treaty webpage".split())
_NAME_FIELDS = frozenset(
    "author chair collection-editor compiler composer container-author contributor curator "
    "director editor editorial-director executive-producer guest host illustrator interviewer "
    "narrator organizer original-author performer producer recipient reviewed-author "
    "script-writer series-creator translator".split())
DATE_FIELDS = ("issued", "accessed", "event-date", "original-date", "submitted",
               "available-date", "container")


def _csl_entries(path: Path, loaded, limits, problems: _Problems) -> list[_Entry]:
    data, lines = loaded
    if not isinstance(data, list):
        raise InputError.at(path, 1, "expected a list of CSL references",
                            "each entry needs at least 'id', 'type' and 'title'")
    max_entries = limit(limits, "reference_entries")
    if len(data) > max_entries:
        raise InputError.at(path, None, f"{len(data):,} entries, over the limit of {max_entries:,} "
                            "(reference_entries)", limit_hint("reference_entries"))
    entries = []
    for index, item in enumerate(data):
        line = lines[index] if index < len(lines) else None
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)) \
                or isinstance(item.get("id"), bool) or not str(item["id"]).strip():
            problems.add(line, f"entry {index + 1} has no 'id'", "give every reference an 'id' to cite it by")
            continue
        key = str(item["id"]).strip()
        csl = normalize_csl(item, key, line, problems)
        entries.append(_Entry(key, line, csl))
    return entries


def normalize_csl(item: dict, key: str, line, problems: _Problems) -> dict:
    """A CSL-JSON item as the engine wants it; problems located at the entry."""
    def bad(message, hint):
        problems.add(line, f"entry '{key}': {message}", hint)

    csl, invalid = {}, set()
    for name, value in item.items():
        name = str(name)
        if _has_surrogate(value):
            invalid.add(name)
            bad(f"'{name}' holds an invalid character (a lone surrogate)",
                "export the file again as UTF-8 (CSL-JSON)")
            continue
        if name in DATE_FIELDS:
            date, message = csl_date(value)
            if message:
                bad(f"'{name}' is not a date: {message}", "write YYYY, YYYY-MM or YYYY-MM-DD")
            elif date:
                csl[name] = date
        elif name in _NAME_FIELDS:
            names = csl_names(value)
            if names is None:
                bad(f"'{name}' must be a list of names",
                    f"write e.g. {name}: [{{family: Doe, given: Jane}}] or [{{literal: Example Organization}}]")
            else:
                csl[name] = names
        elif name in ("id", "type"):
            continue
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            csl[name] = str(value).strip() if not isinstance(value, str) else value
        elif isinstance(value, dt.date):
            csl[name] = value.isoformat()
        # lists and mappings in other fields (keywords, custom) are not printed: dropped
    csl["id"] = key
    kind = item.get("type")
    if not isinstance(kind, str) or not kind.strip():
        bad("has no 'type'", "add 'type' (CSL type, e.g. article-journal, book, webpage)")
    elif kind.strip() not in CSL_TYPES:
        from .config import did_you_mean
        bad(f"unknown type '{kind}'", did_you_mean(kind, CSL_TYPES) or
            "use a CSL type such as article-journal, book, chapter, report or webpage")
    else:
        csl["type"] = kind.strip()
    if (not isinstance(csl.get("title"), str) or not csl["title"].strip()) and "title" not in invalid:
        bad("has no 'title'", "add 'title' (CSL title)")
    # Zotero's CSL-JSON names the short journal title `journalAbbreviation`.
    if "journalAbbreviation" in csl and "container-title-short" not in csl:
        csl["container-title-short"] = csl["journalAbbreviation"]
    csl.pop("journalAbbreviation", None)
    return csl


def _has_surrogate(value) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def csl_names(value) -> list[dict] | None:
    """CSL names from the forms people write: dicts, ``"Family, Given"`` strings, one dict."""
    if isinstance(value, (dict, str)):
        value = [value]
    if not isinstance(value, list):
        return None
    names = []
    for name in value:
        if isinstance(name, str):
            family, _, given = name.partition(",")
            names.append({"family": family.strip(), "given": given.strip()} if given.strip()
                         else {"literal": name.strip()})
        elif isinstance(name, dict):
            clean = {str(k): str(v) for k, v in name.items()
                     if isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip()}
            if not clean:
                return None
            names.append(clean)
        else:
            return None
    return names


_ISO_DATE = re.compile(r"(-?\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?(?:[T /].*)?/?")
_MONTHS = {m.lower(): i for i, m in enumerate(
    "January February March April May June July August September October November December".split(), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WORD_DATE = re.compile(r"(?:(\d{1,2})\s+)?([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})")


def _valid(parts: list[int]) -> bool:
    if not parts or not -9999 <= parts[0] <= 9999 or parts[0] == 0:
        return False
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        return False
    if len(parts) > 2:
        try:
            dt.date(parts[0], parts[1], parts[2])
        except ValueError:
            return False
    return True


def parse_date_text(text: str) -> list[int] | None:
    """``2020``, ``2020-03``, ``2020/03/01/``, ``March 1, 2020``, ``1 Mar 2020`` -> parts."""
    text = text.strip()
    m = _ISO_DATE.fullmatch(text)
    if m:
        parts = [int(p) for p in m.groups() if p]
    else:
        m = _WORD_DATE.fullmatch(text)
        month = _MONTHS.get(m.group(2).lower()) if m else None
        if not month:
            return None
        day = m.group(1) or m.group(3)
        parts = [int(m.group(4)), month] + ([int(day)] if day else [])
    return parts if _valid(parts) else None


def csl_date(value) -> tuple[dict | None, str]:
    """A CSL date (``{"date-parts": …}`` or ``{"literal": …}``) from the forms exports write.

    YAML dates; ``2019``, ``"2022"``, ``"2021-04"``; ``{"date-parts": [["2022", "3"]]}``
    (Zotero writes string years); ``{"raw": "2017-10-05"}``; ``{"literal": "Spring 2019"}``
    (printed as written); Better BibTeX's ``[{year: 2018, month: 6}]`` and ranges.
    """
    if isinstance(value, dt.date):
        return {"date-parts": [[value.year, value.month, value.day]]}, ""
    if isinstance(value, bool):
        return None, repr(value)
    if isinstance(value, (int, str)):
        if isinstance(value, str) and not value.strip():
            return None, ""
        parts = parse_date_text(str(value))
        return ({"date-parts": [parts]}, "") if parts else (None, repr(value))
    if isinstance(value, list):  # Better BibTeX CSL-YAML: [{year: 2018, month: 6}, …]
        ranges = []
        for part in value[:2]:
            if not isinstance(part, dict):
                return None, repr(value)
            p = []
            for name in ("year", "month", "day"):
                if name not in part:
                    break
                try:
                    p.append(int(str(part[name]).strip()))
                except ValueError:
                    return None, repr(value)
            if not _valid(p):
                return None, repr(value)
            ranges.append(p)
        return ({"date-parts": ranges}, "") if ranges else (None, repr(value))
    if isinstance(value, dict):
        out = {k: value[k] for k in ("circa", "season") if k in value}
        if "date-parts" in value:
            parts = value["date-parts"]
            clean = []
            if not isinstance(parts, list):
                return None, repr(value)
            for p in parts[:2]:
                try:
                    ints = [int(str(x).strip()) for x in p if str(x).strip()] if isinstance(p, list) else None
                except ValueError:
                    ints = None
                if not ints or not _valid(ints):
                    return None, repr(value)
                clean.append(ints)
            if not clean:
                return None, repr(value)
            return {**out, "date-parts": clean}, ""
        if "literal" in value and isinstance(value["literal"], str):
            return {**out, "literal": value["literal"]}, ""
        if "raw" in value and isinstance(value["raw"], (str, int)):
            parts = parse_date_text(str(value["raw"]))
            # A raw date we cannot read prints as written, as citeproc-js does.
            return ({**out, "date-parts": [parts]} if parts else {**out, "literal": str(value["raw"])}), ""
        if "year" in value:
            return csl_date([value])
        return None, repr(value)
    return None, repr(value)


# ---------------------------------------------------------------------------------------
# BibTeX (Zotero, Better BibTeX): bibtexparser 2 for the syntax, pylatexenc for LaTeX

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
# Fields copied as they are (no LaTeX): Zotero writes them verbatim.
_VERBATIM = {"url", "doi", "urldate", "file", "isbn", "issn", "eprint", "pmid"}


def _read_bibtex(path: Path, text: str, limits, problems: _Problems) -> list[_Entry]:
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
    max_entries = limit(limits, "reference_entries")
    max_chars = limit(limits, "reference_field_chars")
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
                entries.append(_Entry(block.key, line, _bibtex_to_csl(block.key, block.entry_type.lower(),
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
    from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

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


def _bibtex_to_csl(key: str, entry_type: str, f: dict, line: int, problems: _Problems) -> dict:
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
    return _MONTHS.get(value) or _MONTHS.get(value[:3])


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


def _decode_latex_item(item: dict) -> dict:
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


# ---------------------------------------------------------------------------------------
# RIS (PubMed, EndNote, Zotero, Mendeley) via rispy

RIS_TYPES = {
    "JOUR": "article-journal", "JFULL": "article-journal", "EJOUR": "article-journal",
    "ABST": "article-journal", "INPR": "article-journal", "MGZN": "article-magazine",
    "NEWS": "article-newspaper", "BOOK": "book", "EBOOK": "book", "EDBOOK": "book",
    "CHAP": "chapter", "ECHAP": "chapter", "CONF": "paper-conference",
    "CPAPER": "paper-conference", "RPRT": "report", "GOVDOC": "report", "THES": "thesis",
    "ELEC": "webpage", "WEB": "webpage", "BLOG": "post-weblog", "ICOMM": "webpage",
    "DATA": "dataset", "COMP": "software", "PAT": "patent", "STAND": "standard",
    "UNPB": "manuscript", "MANSCPT": "manuscript", "PAMP": "pamphlet", "GEN": "document",
    "SLIDE": "speech", "VIDEO": "motion_picture", "DICT": "entry-dictionary",
    "ENCYC": "entry-encyclopedia",
}
_RIS_START = re.compile(r"^TY  - ", re.M)
_RIS_END = re.compile(r"^ER  -", re.M)


def _read_ris(path: Path, text: str, limits, problems: _Problems) -> list[_Entry]:
    import rispy

    lines = _Lines(text)
    starts = [lines(m.start()) for m in _RIS_START.finditer(text)]
    max_entries = limit(limits, "reference_entries")
    if len(starts) > max_entries:
        raise InputError.at(path, None, f"{len(starts):,} entries, over the limit of {max_entries:,} "
                            "(reference_entries)", limit_hint("reference_entries"))
    if not starts and text.strip():
        medline = _MEDLINE_START.search(text)
        if medline:  # PubMed's .nbib renamed to .ris
            raise InputError.at(path, lines(medline.start()), "this is PubMed's MEDLINE format "
                                "(.nbib), not RIS", f"name the file {path.stem}.nbib")
        raise InputError.at(path, 1, "no RIS records (a record starts with 'TY  - ')",
                            "export the references as RIS again")
    # rispy drops a last record without 'ER  - ' and merges one in the middle into the next
    ends = [m.start() for m in _RIS_END.finditer(text)]
    bounds = [m.start() for m in _RIS_START.finditer(text)] + [len(text)]
    for index, start in enumerate(bounds[:-1]):
        at = bisect.bisect_right(ends, start)
        if at == len(ends) or ends[at] > bounds[index + 1]:
            raise InputError.at(path, starts[index], "this RIS record does not end with an "
                                "'ER  - ' line (the file may be cut short)",
                                "end each record with a line 'ER  - ', or export the references again")
    try:
        records = rispy.loads(text, skip_unknown_tags=True)
    except Exception as exc:  # noqa: BLE001 (rispy raises IOError and friends)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        m = re.search(r"line (\d+)", message)
        raise InputError.at(path, int(m.group(1)) if m else None, f"RIS syntax: {message}",
                            "each record runs from 'TY  - ' to 'ER  - '") from None
    entries, used, taken = [], set(), {}
    for index, record in enumerate(records):
        line = starts[index] if index < len(starts) else None
        csl = _ris_to_csl(record, line, problems)
        key = str(record.get("id") or "").strip() or _generated_key(csl, used, taken)
        used.add(key)
        csl["id"] = key
        if not csl.get("title"):
            problems.add(line, f"entry '{key}': has no title (TI)", "add a 'TI  - ' line")
        entries.append(_Entry(key, line, csl))
    return entries


def _generated_key(csl: dict, used: set, taken: dict[str, int]) -> str:
    """``doe2019`` (first author's family name + year), then ``doe2019a`` … ``doe2019z``,
    ``doe20190``, ``doe20191`` … when taken. `taken` remembers how far each stem has got,
    so that n records by one author in one year cost O(n), not O(n²)."""
    names = csl.get("author") or csl.get("editor") or [{}]
    family = names[0].get("family") or names[0].get("literal") or csl.get("title", "ref")
    family = unicodedata.normalize("NFKD", family).encode("ascii", "ignore").decode().lower()
    stem = re.sub(r"[^a-z0-9]", "", family.split()[0] if family.split() else "") or "ref"
    year = (csl.get("issued", {}).get("date-parts") or [[""]])[0][0]
    key = f"{stem}{year}"
    index = taken.get(key, 0)
    while True:
        suffix = "" if index == 0 else chr(ord("a") + index - 1) if index <= 26 else str(index - 27)
        index += 1
        if key + suffix not in used:
            taken[key] = index
            return key + suffix


def _ris_names(values) -> list[dict]:
    names = []
    for value in values or []:
        value = str(value).strip()
        if not value:
            continue
        if "," in value:
            family, given, *rest = [p.strip() for p in value.split(",")]
            name = {"family": family, "given": given}
            if rest and rest[0]:
                name["suffix"] = rest[0]
            names.append({k: v for k, v in name.items() if v})
        else:
            names.append({"literal": value})  # an organization (PubMed: "Example Study Group")
    return names


def _ris_to_csl(r: dict, line, problems: _Problems) -> dict:
    kind = RIS_TYPES.get(str(r.get("type_of_reference", "")).upper(), "document")
    csl: dict = {"type": kind}
    title = r.get("title") or r.get("primary_title") or r.get("translated_title") or ""
    if title:
        # PubMed ends every title with a period; the style adds its own.
        csl["title"] = re.sub(r"(?<=[^.])\.$", "", " ".join(str(title).split()))
    second = r.get("secondary_title")
    journal = r.get("alternate_title3") or r.get("journal_name") or second
    if kind in ("chapter", "paper-conference") and second:
        journal = second
    if journal:
        csl["container-title"] = journal
    short = r.get("alternate_title2") or r.get("alternate_title1")
    if short:
        csl["container-title-short"] = short
    if r.get("tertiary_title"):
        csl["collection-title"] = r["tertiary_title"]
    authors = _ris_names((r.get("authors") or []) + (r.get("first_authors") or []))
    if authors:
        csl["author"] = authors
    if r.get("secondary_authors") and kind in ("chapter", "book", "paper-conference", "report"):
        csl["editor"] = _ris_names(r["secondary_authors"])
    for ris, name in (("volume", "volume"), ("edition", "edition"), ("publisher", "publisher"),
                      ("place_published", "publisher-place"), ("language", "language"),
                      ("type_of_work", "genre")):
        if r.get(ris):
            csl[name] = str(r[ris]).strip()
    if r.get("number"):
        csl["number" if kind in ("report", "patent", "standard") else "issue"] = str(r["number"]).strip()
    first, last = str(r.get("start_page") or "").strip(), str(r.get("end_page") or "").strip()
    if first:
        csl["page"] = f"{first}-{last}" if last and last != first else first
    if r.get("doi"):
        csl["DOI"] = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", str(r["doi"]).strip(), flags=re.I)
    urls = [u for u in (r.get("urls") or []) if str(u).startswith(("http://", "https://"))]
    # PubMed lists the PubMed page after the DOI link; the style prints one or the other.
    if urls and "DOI" not in csl:
        csl["URL"] = urls[0]
    date = None
    for field_name in ("date", "publication_year", "year"):
        value = str(r.get(field_name) or "").strip()
        if value:
            parts = parse_date_text(value.rstrip("/"))
            if parts:
                if date is None or len(parts) > len(date):
                    date = parts
            elif field_name == "year":
                problems.add(line, f"'PY' is not a year: {value!r}", "write e.g. 'PY  - 2019'")
    if date:
        csl["issued"] = {"date-parts": [date]}
    if r.get("access_date"):
        parts = parse_date_text(str(r["access_date"]).strip().rstrip("/"))
        if parts:
            csl["accessed"] = {"date-parts": [parts]}
    if r.get("accession_number") and str(r.get("name_of_database", "")).lower() == "pubmed":
        csl["PMID"] = str(r["accession_number"]).strip()
    return csl


# ---------------------------------------------------------------------------------------
# MEDLINE (PubMed's .nbib)
#
# No maintained parser fits: `nbib` (PyPI) was last released in 2021 and reports no line
# numbers; Biopython's Bio.Medline would bring Biopython and NumPy for a line format. The
# format (https://www.nlm.nih.gov/bsd/mms/medlineelements.html): a record is a block of
# ``TAG - value`` lines (the tag left-aligned in four columns), values continued on lines
# indented by six spaces; records are separated by a blank line and start with ``PMID-``.

_MEDLINE_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,3}- ?(.*)")
_MEDLINE_START = re.compile(r"^PMID- ", re.M)
_MEDLINE_TYPES = {"book": "book", "book chapter": "chapter", "congress": "paper-conference",
                  "dataset": "dataset", "preprint": "article", "technical report": "report",
                  "newspaper article": "article-newspaper"}
_NAME_SUFFIX = re.compile(r"\s+(Jr|Sr|2nd|3rd|II|III|IV|V)\.?$")


def _medline_records(path: Path, text: str, lines_limit: int):
    """(line of its first tag, [(tag, value, line)]) for each record, in one pass."""
    records, current, start = [], [], None
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if current:
                records.append((start, current))
            current, start = [], None
            continue
        if line[:1] in " \t":
            if not current:
                raise InputError.at(path, number, "a continuation line outside a record",
                                    "a value's next line is indented by six spaces under its tag")
            tag, value, at = current[-1]
            current[-1] = (tag, f"{value} {line.strip()}", at)
            continue
        m = _MEDLINE_LINE.fullmatch(line.rstrip())
        if not m:
            raise InputError.at(path, number, f"not a MEDLINE line: {line[:40]!r}",
                                "each line is 'TAG - value' (e.g. 'TI  - Title'), or continues "
                                "the value above, indented by six spaces")
        if m.group(1) == "PMID" and current:  # records without the blank line between
            records.append((start, current))
            current = []
        if not current:
            start = number
            if len(records) >= lines_limit:
                raise InputError.at(path, None, f"more than {lines_limit:,} entries "
                                    "(reference_entries)", limit_hint("reference_entries"))
        current.append((m.group(1), m.group(2).strip(), number))
    if current:
        records.append((start, current))
    return records


def _read_medline(path: Path, text: str, limits, problems: _Problems) -> list[_Entry]:
    records = _medline_records(path, text, limit(limits, "reference_entries"))
    if not records and text.strip():
        raise InputError.at(path, 1, "no MEDLINE records (a record starts with 'PMID- ')",
                            "export again from PubMed: Cite > Download .nbib, or "
                            "Send to > Citation manager")
    if not records:
        return []
    entries, used, taken = [], set(), {}
    for line, fields in records:
        csl = _medline_to_csl(fields, line, problems)
        key = _generated_key(csl, used, taken)
        used.add(key)
        csl["id"] = key
        if not csl.get("title"):
            problems.add(line, f"entry '{key}': has no title (TI)", "add a 'TI  - ' line")
        entries.append(_Entry(key, line, csl))
    return entries


def _medline_name(full: str, short: str) -> dict:
    """``FAU - Park, Min-jun`` (else ``AU  - Park MJ``) -> a CSL name."""
    if full and "," in full:
        family, given = (p.strip() for p in full.split(",", 1))
        name = {"family": family}
        m = _NAME_SUFFIX.search(given)
        if m:
            name["suffix"], given = m.group(1), given[:m.start()]
        if given:
            name["given"] = given
        return name
    family, _, initials = (short or full).rpartition(" ")
    if family and initials.isupper() and len(initials) <= 4:
        return {"family": family, "given": initials}
    return {"literal": short or full}


def _medline_date(value: str) -> list[int] | None:
    """``2019 Mar 15``, ``2019 Mar``, ``2019 Mar-Apr``, ``2018 Dec-2019 Jan``, ``2019 Spring``,
    ``2019`` -> date parts (the first month of a range; a season gives the year)."""
    m = re.match(r"(\d{4})(?:\s+([A-Za-z]{3})[a-z]*(?:\s+(\d{1,2})\b)?)?", value.strip())
    if not m:
        return None
    parts = [int(m.group(1))]
    month = _MONTHS.get((m.group(2) or "").lower())
    if month:
        parts.append(month)
        if m.group(3):
            parts.append(int(m.group(3)))
    return parts if _valid(parts) else parts[:1]


def _medline_to_csl(fields: list[tuple[str, str, int]], line, problems: _Problems) -> dict:
    """One PubMed record as CSL-JSON (journal articles, books and chapters of the Bookshelf)."""
    one: dict[str, str] = {}
    names: dict[str, list[dict]] = {"author": [], "editor": []}
    kinds, ids = [], []
    full = None  # a FAU waiting for its AU
    for tag, value, _ in fields:
        if tag in ("FAU", "FED"):
            full = (tag, value)
            names["author" if tag == "FAU" else "editor"].append(_medline_name(value, ""))
        elif tag in ("AU", "ED"):
            role = "author" if tag == "AU" else "editor"
            if full is None or full[0] != "F" + tag:
                names[role].append(_medline_name("", value))
            full = None
        elif tag == "CN":
            names["author"].append({"literal": value})
        elif tag == "PT":
            kinds.append(value.lower())
        elif tag in ("LID", "AID"):
            ids.append(value)
        else:
            one.setdefault(tag, value)
    kind = next((_MEDLINE_TYPES[k] for k in kinds if k in _MEDLINE_TYPES), None)
    if kind is None:
        kind = "book" if "BTI" in one and "TI" not in one else "article-journal"
    if kind == "book" and "TI" in one and "BTI" in one:
        kind = "chapter"
    csl: dict = {"type": kind}
    title = one.get("TI") or one.get("BTI") or ""
    if title:
        # MEDLINE ends titles with a period (a translated one is "[Title]."); the style adds its own.
        csl["title"] = re.sub(r"(?<=[^.])\.$", "", title)
    if kind == "chapter" and one.get("BTI"):
        csl["container-title"] = re.sub(r"(?<=[^.])\.$", "", one["BTI"])
    elif one.get("JT"):
        csl["container-title"] = one["JT"]
    if one.get("TA") and kind == "article-journal":
        csl["container-title-short"] = one["TA"]
    if one.get("CTI"):
        csl["collection-title"] = one["CTI"]
    for role, value in names.items():
        if value:
            csl[role] = value
    for tag, name in (("VI", "volume"), ("IP", "issue"), ("PG", "page"), ("PB", "publisher"),
                      ("EN", "edition"), ("PMID", "PMID"), ("PMC", "PMCID")):
        if one.get(tag):
            csl[name] = one[tag]
    if one.get("PL") and kind in ("book", "chapter", "report"):
        csl["publisher-place"] = one["PL"]
    for value in ids:
        m = re.fullmatch(r"(.+?)\s*\[doi\]", value)
        if m and "DOI" not in csl:
            csl["DOI"] = m.group(1).strip()
        m = re.fullmatch(r"(NBK\d+)\s*\[bookaccession\]", value)
        if m:
            csl["URL"] = f"https://www.ncbi.nlm.nih.gov/books/{m.group(1)}/"
        m = re.fullmatch(r"(.+?)\s*\[pii\]", value)
        if m and "page" not in csl and re.fullmatch(r"e\d+", m.group(1).strip()):
            csl["page"] = m.group(1).strip()  # an e-locator when the record has no pages
    date = one.get("DP") or one.get("DEP") or ""
    if date:
        parts = _medline_date(date) if not date.isdigit() or len(date) == 4 else \
            parse_date_text(f"{date[:4]}-{date[4:6]}-{date[6:8]}")
        if parts:
            csl["issued"] = {"date-parts": [parts]}
        else:
            problems.add(line, f"'DP' is not a date: {date!r}", "write e.g. 'DP  - 2019 Mar 15'")
    if "DOI" not in csl and "URL" not in csl and csl.get("PMID"):
        csl["URL"] = f"https://pubmed.ncbi.nlm.nih.gov/{csl['PMID']}/"
    return csl
