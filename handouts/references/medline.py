"""MEDLINE (``.nbib``), PubMed's own "Citation manager" export -> CSL-JSON items.

No maintained parser fits: `nbib` (PyPI) was last released in 2021 and reports no line
numbers; Biopython's Bio.Medline would bring Biopython and NumPy for a line format. The
format (https://www.nlm.nih.gov/bsd/mms/medlineelements.html): a record is a block of
``TAG - value`` lines (the tag left-aligned in four columns), values continued on lines
indented by six spaces; records are separated by a blank line and start with ``PMID-``.
Records have no key: each gets one made from its first author and year.
"""

from __future__ import annotations

import re
from pathlib import Path

from handouts.errors import InputError
from handouts.guard import limits as limits_mod
from handouts.references.common import Problems, Record, keyed_records, limit_hint
from handouts.references.dates import MONTHS, parse_date_text, valid_parts

_MEDLINE_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,3}- ?(.*)")
#: The first line of a record (RIS names a renamed .nbib by it).
MEDLINE_START = re.compile(r"^PMID- ", re.M)
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


def read_medline(path: Path, text: str, limits, problems: Problems) -> list[Record]:
    """The entries of a MEDLINE file, with generated keys."""
    records = _medline_records(path, text, limits_mod.get(limits, "reference_entries"))
    if not records and text.strip():
        raise InputError.at(path, 1, "no MEDLINE records (a record starts with 'PMID- ')",
                            "export again from PubMed: Cite > Download .nbib, or "
                            "Send to > Citation manager")
    if not records:
        return []
    return keyed_records(((line, _medline_to_csl(fields, line, problems), "")
                          for line, fields in records), problems)


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
    month = MONTHS.get((m.group(2) or "").lower())
    if month:
        parts.append(month)
        if m.group(3):
            parts.append(int(m.group(3)))
    return parts if valid_parts(parts) else parts[:1]


def _medline_to_csl(fields: list[tuple[str, str, int]], line, problems: Problems) -> dict:
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
