"""Errors the user can fix, warnings, and the exit codes of the command line.

An `InputError` is a problem in the user's input: it renders as one line,
``path:line: error: what is wrong — how to fix it``. Anything else that escapes the
engine is a bug and gets `ExitStatus.CRASH`.
"""

from __future__ import annotations

import difflib
import enum
import re
from dataclasses import dataclass
from pathlib import Path

# C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text
# (bidi overrides and isolates, zero-width joiners, BOM): never sent raw to a terminal.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                       "\u2060-\u2069\ufeff\ud800-\udfff]")


def escape_controls(text: str) -> str:
    """`text` with control characters shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``).

    Every message the command line prints goes through this: a folder name holding a
    newline or an ESC sequence cannot forge a second line or recolour the terminal, and a
    name's byte that is not UTF-8 (``\\udce9`` from the file system) prints as ``\\xe9``.
    """
    def repl(m: re.Match) -> str:
        ch = m.group()
        if "\udc80" <= ch <= "\udcff":  # a byte of a file name that is not UTF-8
            return f"\\x{ord(ch) - 0xdc00:02x}"
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (
            f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return _CONTROLS.sub(repl, text)


#: Characters refused in a value of the front matter or a clinic profile: control
#: characters and line separators that escapes (YAML "\\f", TOML "\\u001b") let in.
INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\ud800-\udfff]")
#: Bidi embedding, override and isolate controls, removed from such values: a
#: right-to-left override in a reviewer's or clinic's name reverses the line around it.
#: Left-to-right / right-to-left *marks* (U+200E, U+200F) only nudge punctuation and stay.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


class ExitStatus(enum.IntEnum):
    SUCCESS = 0
    INPUT_ERROR = 1  # the user's input is wrong; the message says how to fix it
    USAGE = 2  # bad command-line arguments (argparse's own code)
    CRASH = 3  # a bug in the builder


def _location(path: Path | str | None, line: int | None) -> str:
    if path is None:
        return ""
    where = str(path)
    if line is not None:
        where += f":{line}"
    return where + ": "


@dataclass(frozen=True)
class Diagnostic:
    """One located message; `severity` is "error" or "warning"."""

    path: Path | str | None
    line: int | None
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        text = f"{_location(self.path, self.line)}{self.severity}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return escape_controls(text)


class InputError(Exception):
    """One or more problems in the user's input, each a `Diagnostic`."""

    def __init__(self, *problems: Diagnostic):
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def at(cls, path, line, message, hint="") -> "InputError":
        """Shorthand for an error with a single problem."""
        return cls(Diagnostic(path, line, message, hint))


def warning(path, line, message, hint="") -> Diagnostic:
    return Diagnostic(path, line, message, hint, severity="warning")


def did_you_mean(word: str, choices) -> str:
    """``did you mean 'check'?`` for the closest of `choices`, or ""."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def shown(path: Path | str) -> str:
    """`path` as messages show it: relative to the current folder when it is inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)
