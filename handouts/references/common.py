"""What every reader shares: the entry it returns, where problems go, line numbers, the
limit hint, and the keys made up for formats without one (RIS, MEDLINE).

Limits are `handouts.guard.limits.Limits` (``[limits]`` in handouts.toml); readers take
them with `handouts.guard.limits.get`, which falls back to the defaults.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from handouts.errors import Diagnostic


def limit_hint(name: str) -> str:
    """How to get past limit `name`: the fix every reader's over-the-limit error gives."""
    return f"split the input, or raise '{name}' in the [limits] table of handouts.toml"


@dataclass(frozen=True)
class Record:
    """One entry of a references file: its key, its line, its CSL-JSON item."""

    key: str
    line: int | None
    csl: dict


class Problems(list):
    """The problems of one file, each located at a line of it."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path

    def add(self, line, message, hint=""):
        self.append(Diagnostic(self.path, line, message, hint))


class Lines:
    """Line numbers of offsets in a text, from one pass over it."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def generated_key(csl: dict, used: set, taken: dict[str, int]) -> str:
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


def keyed_records(items, problems) -> list[Record]:
    """``(line, csl, key or "")`` of a RIS or MEDLINE file -> `Record`s: a record without
    an ID gets a generated key (``doe2019``, ``doe2019a`` …); one without a title is a
    problem at its line."""
    records, used, taken = [], set(), {}
    for line, csl, key in items:
        key = key or generated_key(csl, used, taken)
        used.add(key)
        csl["id"] = key
        if not csl.get("title"):
            problems.add(line, f"entry '{key}': has no title (TI)", "add a 'TI  - ' line")
        records.append(Record(key, line, csl))
    return records
