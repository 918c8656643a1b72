"""Pyphen reads a hyphenation dictionary's patterns when a word first needs them.

Pyphen parses all the patterns of a dictionary (~5,000 for English) before it hyphenates
the first word: ~0.07 s per language in every process, for WeasyPrint's hyphenation
(``hyphens: auto``) and for the checks' syllable count of a word the CMU dictionary
lacks. After `install()`, Pyphen's dictionary class only indexes the pattern lines by
their letters (one pass over the file) and parses a pattern the first time a word
contains its letters, with Pyphen's own parsing; Pyphen's own code then finds the points
(tests/pdf/test_libraries.py compares every dictionary with Pyphen's).
"""

from __future__ import annotations

import re

import pyphen

_DIGITS = re.compile(r"\d")
_NONZERO = re.compile(r"[1-9]")


def _hex(match: re.Match) -> str:
    return chr(int(match.group(1), 16))


def _pattern(line: str) -> tuple[int, tuple]:
    """(start, values) of one pattern line, exactly as `pyphen.HyphDict` stores it."""
    if "/" in line and "=" in line:  # a nonstandard hyphenation ("ff=f")
        line, alternative = line.split("/", 1)
        factory = pyphen.AlternativeParser(line, alternative)
    else:
        factory = int
    values = [factory(digit or "0") for digit, _ in pyphen.parse(line)]
    start, end = 0, len(values)
    while not values[start]:
        start += 1
    while not values[end - 1]:
        end -= 1
    return start, tuple(values[start:end])


class _Patterns(dict):
    """Letters -> (start, values), each parsed when first looked up (`get`, as Pyphen
    does); `lines` holds the lines not parsed yet."""

    def __init__(self, lines: dict[str, str]):
        super().__init__()
        self.lines = lines

    def get(self, key, default=None):
        if key not in self:
            line = self.lines.pop(key, None)
            if line is None:
                return default
            self[key] = _pattern(line)
        return self[key]


class LazyHyphDict(pyphen.HyphDict):
    """`pyphen.HyphDict`, with its patterns parsed on first use."""

    def __init__(self, path):
        with path.open("rb") as fd:
            encoding = fd.readline().decode()
        if encoding.lower() == "microsoft-cp1251":
            encoding = "cp1251"
        lines: dict[str, str] = {}
        for line in path.read_text(encoding).split("\n")[1:]:
            line = line.strip()
            if not line or line.startswith(pyphen.ignored):
                continue
            line = pyphen.parse_hex(_hex, line)
            own = line.split("/", 1)[0] if "/" in line and "=" in line else line
            if _NONZERO.search(own):  # Pyphen skips a pattern of zeros (a later one wins)
                lines[_DIGITS.sub("", own)] = line
        self.patterns = _Patterns(lines)
        self.cache = {}
        self.maxlen = max(map(len, lines))


def install() -> None:
    """Pyphen makes its dictionaries with `LazyHyphDict` from now on (idempotent)."""
    pyphen.HyphDict = LazyHyphDict
