"""Project configuration: ``handouts.toml`` -> `Config`.

Every problem in the file is collected and reported at once. A missing file means the
defaults below.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import Diagnostic, InputError

PAPERS = ("a4", "letter")


@dataclass(frozen=True)
class Config:
    """Settings shared by every article of a project."""

    root: Path
    source_dir: Path
    styles_dir: Path
    output_dir: Path
    publisher: str = ""
    disclaimer: str = ""
    paper: str = "a4"
    csl_style: str = "american-medical-association"
    allow_remote: bool = False

    @classmethod
    def defaults(cls, root: Path) -> "Config":
        root = root.resolve()
        return cls(root=root, source_dir=root / "source", styles_dir=root / "styles",
                   output_dir=root / "dist")


# Keys accepted in handouts.toml and their expected types.
_KEYS = {
    "publisher": str,
    "disclaimer": str,
    "paper": str,
    "csl_style": str,
    "allow_remote": bool,
    "source_dir": str,
    "styles_dir": str,
    "output_dir": str,
}


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def load_config(root: Path, path: Path | None = None) -> Config:
    """Read ``handouts.toml`` under `root` (or `path`) into a `Config`."""
    base = Config.defaults(root)
    path = path or base.root / "handouts.toml"
    if not path.exists():
        return base
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError.at(path, None, "not UTF-8 text", "save the file as UTF-8")
    except tomllib.TOMLDecodeError as exc:
        raise InputError.at(path, getattr(exc, "lineno", None), f"TOML syntax: {exc}",
                            "fix the syntax (strings need quotes)") from None
    table = data.get("project", data)
    problems: list[Diagnostic] = []
    values: dict = {}
    for key, value in table.items():
        if key == "project" or isinstance(value, dict):
            continue  # sub-tables (clinics, …) belong to later features
        if key not in _KEYS:
            hint = did_you_mean(key, _KEYS) or f"known keys: {', '.join(sorted(_KEYS))}"
            problems.append(Diagnostic(path, None, f"unknown key '{key}'", hint))
            continue
        if not isinstance(value, _KEYS[key]):
            problems.append(Diagnostic(path, None, f"'{key}' must be a {_KEYS[key].__name__}",
                                       f"got {value!r}"))
            continue
        values[key] = value
    if "paper" in values and values["paper"].lower() not in PAPERS:
        problems.append(Diagnostic(path, None, f"'paper' must be one of {', '.join(PAPERS)}",
                                   f"got {values['paper']!r}"))
    if problems:
        raise InputError(*problems)
    for key in ("source_dir", "styles_dir", "output_dir"):
        if key in values:
            values[key] = (base.root / values[key]).resolve()
    if "paper" in values:
        values["paper"] = values["paper"].lower()
    known = {f.name for f in fields(Config)}
    return Config(**{**{k: getattr(base, k) for k in known}, **values})
