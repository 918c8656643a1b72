"""Named rules, their settings from ``[checks]`` in handouts.toml, and their findings.

A rule is a small function registered under a name ``family/rule`` with a default
severity and options. Settings (handouts.toml)::

    [checks]
    disable = ["plain-language/passive-voice", "images"]   # rules or whole families

    [checks."readability/grade"]
    target = 7            # a rule's own option
    severity = "error"    # error, warning or info
    enabled = true
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from handouts.errors import Diagnostic

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding(Diagnostic):
    """A `Diagnostic` from a named rule. `message` carries the rule's name in brackets
    (``[plain-language/long-sentence] …``) so any printer shows it; `text` is the bare
    message for the JSON report."""

    rule: str = ""
    text: str = ""
    data: tuple = ()  # extra (key, value) pairs for the JSON report

    @classmethod
    def make(cls, rule: str, severity: str, path, line, text: str, hint: str = "",
             data: dict | None = None) -> "Finding":
        return cls(path, line, f"[{rule}] {text}", hint, severity, rule, text,
                   tuple((data or {}).items()))

    def to_json(self) -> dict:
        return {"rule": self.rule, "severity": self.severity,
                "path": None if self.path is None else str(self.path),
                "line": self.line, "message": self.text or self.message, "hint": self.hint,
                **({"data": dict(self.data)} if self.data else {})}


@dataclass(frozen=True)
class Hit:
    """What a rule function yields: a line (in the article unless `path` says otherwise)."""

    line: int | None
    text: str
    hint: str = ""
    path: Path | str | None = None
    data: dict | None = None
    severity: str | None = None  # None: the rule's configured severity


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    options: dict[str, Any]
    summary: str
    func: Callable[..., Iterable[Hit]]
    scope: str = "article"  # "article" or "pdf"

    @property
    def family(self) -> str:
        return self.name.split("/")[0]


RULES: dict[str, Rule] = {}


def rule(name: str, *, severity: str = "warning", summary: str = "", scope: str = "article",
         **options):
    """Register a rule function ``func(ctx, opts) -> iterable of Hit``."""
    assert severity in SEVERITIES and "/" in name

    def register(func):
        RULES[name] = Rule(name, severity, options, summary or (func.__doc__ or "").strip(),
                           func, scope)
        return func

    return register


@dataclass(frozen=True)
class RuleSettings:
    enabled: bool
    severity: str
    options: dict[str, Any]


@dataclass
class Settings:
    """Effective settings of every rule (defaults overlaid with ``[checks]``)."""

    rules: dict[str, RuleSettings] = field(default_factory=dict)

    def of(self, name: str) -> RuleSettings:
        return self.rules[name]


def _all_rules() -> dict[str, Rule]:
    from handouts.checks import load_families

    load_families()
    return RULES


def settings_from(table: dict | None) -> Settings:
    """Effective rule settings from the (validated) ``[checks]`` table."""
    table = table or {}
    rules = _all_rules()
    disabled = set(table.get("disable", []))
    enabled = set(table.get("enable", []))
    out = Settings()
    for name, r in rules.items():
        own = table.get(name, {}) if isinstance(table.get(name), dict) else {}
        on = not (name in disabled or r.family in disabled) or name in enabled
        if "enabled" in own:
            on = bool(own["enabled"])
        options = {**r.options, **{k: v for k, v in own.items() if k not in ("enabled", "severity")}}
        out.rules[name] = RuleSettings(on, own.get("severity", r.severity), options)
    return out


def _line_of(text: str, pattern: str) -> int | None:
    m = re.search(pattern, text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _same_type(default, value) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


def validate_checks(table, path: Path, text: str = "") -> list[Diagnostic]:
    """Problems in the ``[checks]`` table of handouts.toml (all of them, with lines)."""
    from handouts.errors import did_you_mean

    rules = _all_rules()
    families = {r.family for r in rules.values()}
    problems: list[Diagnostic] = []

    def where(key: str, option: str | None = None) -> int | None:
        """The line of ``[checks."key"]`` (or ``key = …``), or of `option` in that table."""
        if not text:
            return None
        m = re.search(rf"^[ \t]*(\[checks\.)?\"?{re.escape(key)}\"?[ \t]*[=\]]", text, re.M)
        if m is None:
            return None
        if option is not None:
            o = re.compile(rf"^[ \t]*\"?{re.escape(option)}\"?[ \t]*=", re.M).search(text, m.end())
            nxt = re.compile(r"^[ \t]*\[", re.M).search(text, m.end())
            if o and (nxt is None or o.start() < nxt.start()):
                return text.count("\n", 0, o.start()) + 1
        return text.count("\n", 0, m.start()) + 1

    if not isinstance(table, dict):
        return [Diagnostic(path, where("checks"), "[checks] must be a table",
                           "write [checks] on a line of its own, then its settings")]
    for key, value in table.items():
        if key in ("disable", "enable"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(Diagnostic(path, where(key), f"[checks] {key} must be a list of rule names",
                                           f'write {key} = ["plain-language/passive-voice"]'))
                continue
            for name in value:
                if name not in rules and name not in families:
                    problems.append(Diagnostic(path, where(key), f"[checks] {key}: unknown rule '{name}'",
                                               did_you_mean(name, [*rules, *families])
                                               or "the README lists the rules"))
            continue
        if key not in rules:
            problems.append(Diagnostic(path, where(key), f"[checks] unknown rule '{key}'",
                                       did_you_mean(key, rules) or
                                       f"rule names look like {next(iter(sorted(rules)))}"))
            continue
        if not isinstance(value, dict):
            problems.append(Diagnostic(path, where(key), f"[checks] '{key}' must be a table",
                                       f'write [checks."{key}"] and its options below it'))
            continue
        r = rules[key]
        for option, setting in value.items():
            line = where(key, option)
            if option == "enabled":
                if not isinstance(setting, bool):
                    problems.append(Diagnostic(path, line, f"[checks.\"{key}\"] enabled must be true or false"))
            elif option == "severity":
                if setting not in SEVERITIES:
                    problems.append(Diagnostic(path, line, f"[checks.\"{key}\"] severity must be one of "
                                               f"{', '.join(SEVERITIES)}", f"got {setting!r}"))
            elif option not in r.options:
                known = ", ".join(["enabled", "severity", *r.options])
                problems.append(Diagnostic(path, line, f"[checks.\"{key}\"] unknown option '{option}'",
                                           did_you_mean(option, [*r.options, "enabled", "severity"])
                                           or f"options: {known}"))
            elif not _same_type(r.options[option], setting):
                problems.append(Diagnostic(path, line, f"[checks.\"{key}\"] {option} must be "
                                           f"like {r.options[option]!r}", f"got {setting!r}"))
    return problems


@dataclass
class Context:
    """What a rule may look at: the article, its prose, the project, and today's date."""

    article: Any
    config: Any
    today: dt.date
    cache: dict = field(default_factory=dict)
    #: The body as the build converted it (citations numbered), when the caller has it.
    body_html: str | None = None

    @property
    def prose(self):
        if "prose" not in self.cache:
            from handouts.checks.text import parse_prose

            self.cache["prose"] = parse_prose(self.article.body, self.article.body_line)
        return self.cache["prose"]

    @property
    def lang(self) -> str:
        return (self.article.lang or "en").lower()

    @property
    def english(self) -> bool:
        return self.lang.split("-")[0] == "en"
