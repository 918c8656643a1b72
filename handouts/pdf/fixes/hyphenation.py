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

_NO_DIGITS = str.maketrans("", "", "0123456789")
_ZEROS_ONLY = re.compile(r"^[^1-9\n]*$", re.M)


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


def _indexed(lines: list[str]) -> dict[str, str]:
    """{letters: line} of the pattern lines that hyphenate (a digit 1-9 before any
    ``/`` alternative), a later line winning, as Pyphen keeps them."""
    out: dict[str, str] = {}
    for line in lines:
        own = line.split("/", 1)[0] if "/" in line and "=" in line else line
        letters = own.translate(_NO_DIGITS)
        if len(own) - len(letters) > own.count("0"):
            out[letters] = line
    return out


class LazyHyphDict(pyphen.HyphDict):
    """`pyphen.HyphDict`, with its patterns parsed on first use."""

    def __init__(self, path):
        with path.open("rb") as fd:
            encoding = fd.readline().decode()
        if encoding.lower() == "microsoft-cp1251":
            encoding = "cp1251"
        # String methods over the whole file, not a loop of regular expressions per line
        # (~30 ms a dictionary): comment and setting lines dropped, ^^hh escapes replaced.
        raw = (line.strip() for line in path.read_text(encoding).split("\n")[1:])
        text = pyphen.parse_hex(_hex, "\n".join(
            line for line in raw if line and not line.startswith(pyphen.ignored)))
        if "/" in text:  # nonstandard hyphenations ("ff=f"): line by line
            lines = _indexed(text.split("\n"))
        else:  # Pyphen skips a pattern of zeros (a later one wins): blanked, then dropped
            text = _ZEROS_ONLY.sub("", text)
            lines = dict(zip(text.translate(_NO_DIGITS).split("\n"), text.split("\n")))
            lines.pop("", None)
        self.patterns = _Patterns(lines)
        self.cache = {}
        self.maxlen = max(map(len, lines))


def install() -> None:
    """Pyphen makes its dictionaries with `LazyHyphDict` from now on (idempotent)."""
    pyphen.HyphDict = LazyHyphDict
