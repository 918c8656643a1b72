"""RIS (``.ris``) -> CSL-JSON items: PubMed, EndNote, Zotero and Mendeley exports, parsed
by rispy. A record without an ``ID`` gets a key made from its first author and year."""

from __future__ import annotations

import bisect
import re
from pathlib import Path

from handouts.errors import InputError
from handouts.guard import limits as limits_mod
from handouts.references.common import Lines, Problems, Record, keyed_records, limit_hint
from handouts.references.dates import parse_date_text
from handouts.references.medline import MEDLINE_START

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


def read_ris(path: Path, text: str, limits, problems: Problems) -> list[Record]:
    """The entries of a RIS file; a record cut short (no ``ER  -``) is an error."""
    import rispy

    lines = Lines(text)
    starts = [lines(m.start()) for m in _RIS_START.finditer(text)]
    max_entries = limits_mod.get(limits, "reference_entries")
    if len(starts) > max_entries:
        raise InputError.at(path, None, f"{len(starts):,} entries, over the limit of {max_entries:,} "
                            "(reference_entries)", limit_hint("reference_entries"))
    if not starts and text.strip():
        medline = MEDLINE_START.search(text)
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
    lines = [starts[i] if i < len(starts) else None for i in range(len(records))]
    return keyed_records(((line, _ris_to_csl(record, line, problems),
                           str(record.get("id") or "").strip())
                          for line, record in zip(lines, records)), problems)


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


def _ris_to_csl(r: dict, line, problems: Problems) -> dict:
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
