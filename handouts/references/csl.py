"""CSL-JSON (``.json``) and CSL-YAML (``.yaml``/``.yml``) -> CSL-JSON items.

- CSL-JSON: Zotero's export: ``date-parts`` (numbers or strings), ``raw`` and ``literal``
  dates, ``journalAbbreviation``.
- CSL-YAML: Better BibTeX's export (``references:`` wrapper, dates as
  ``[{year: 2018, month: 6}]``) and hand-written lists (``issued: 2018-06-01``).

Nesting is bounded before either parser builds anything (``reference_depth``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import yaml

from handouts.errors import InputError, did_you_mean
from handouts.guard import limits as limits_mod
from handouts.guard.limits import safe_loader
from handouts.references.common import Problems, Record, limit_hint
from handouts.references.dates import DATE_FIELDS, csl_date


def read_json(path: Path, text: str, limits, problems: Problems) -> list[Record]:
    """The entries of a CSL-JSON file."""
    return _csl_entries(path, _load_json(path, text, limits), limits, problems)


def read_yaml(path: Path, text: str, limits, problems: Problems) -> list[Record]:
    """The entries of a CSL-YAML file."""
    return _csl_entries(path, _load_yaml(path, text, limits), limits, problems)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # "…", escapes included
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def _load_json(path: Path, text: str, limits) -> tuple[object, list[int | None]]:
    max_depth = limits_mod.get(limits, "reference_depth")
    depth, top = 0, []
    # Linear, no recursion: the depth before parsing, over the brackets outside strings.
    # A JSON string holds no raw line break, so emptying every string keeps each bracket
    # on its line (and leaves far fewer tokens to walk in Python).
    skeleton = _JSON_STRING.sub('""', text)
    line, counted = 1, 0

    def line_of(offset: int) -> int:  # offsets come in increasing order
        nonlocal line, counted
        line += skeleton.count("\n", counted, offset)
        counted = offset
        return line

    for m in _JSON_BRACKETS.finditer(skeleton):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth == 2:
                top.append(line_of(m.start()))
            if depth > max_depth:
                raise InputError.at(path, line_of(m.start()), f"nested more than {max_depth} levels deep "
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
    max_depth = limits_mod.get(limits, "reference_depth")
    try:
        depth = 0
        for event in yaml.parse(text, Loader=safe_loader()):  # events: libyaml keeps its own stack
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
        loader = safe_loader()(text)
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


def _csl_entries(path: Path, loaded, limits, problems: Problems) -> list[Record]:
    data, lines = loaded
    if not isinstance(data, list):
        raise InputError.at(path, 1, "expected a list of CSL references",
                            "each entry needs at least 'id', 'type' and 'title'")
    max_entries = limits_mod.get(limits, "reference_entries")
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
        entries.append(Record(key, line, csl))
    return entries


def normalize_csl(item: dict, key: str, line, problems: Problems) -> dict:
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
