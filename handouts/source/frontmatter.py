"""Front matter: split it from the body, parse and validate its YAML, each problem at its
node's line; the people it names (`Person`, `Reviewer`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from handouts.errors import BIDI, INVISIBLE, Diagnostic, InputError, did_you_mean, warning
from handouts.guard import limits as limits_mod
from handouts.guard.limits import safe_loader
from handouts.project import i18n
from handouts.project.config import Config
from handouts.source.dates import MAX_EDITION
from handouts.source.fingerprint import MIN_SIGNOFF_HEX
from handouts.source.images import shown_src


@dataclass(frozen=True)
class Person:
    name: str
    credential: str = ""


@dataclass(frozen=True)
class Reviewer:
    """A medical sign-off. `content` is the fingerprint (or its first 8+ hex digits) of
    the text the reviewer approved; "" for an entry written before fingerprints, which
    binds to the content first published after its date (`handouts.dist.editions`)."""

    name: str
    credential: str
    specialty: str
    reviewed: dt.date
    content: str = ""
    line: int | None = field(default=None, compare=False)  # its 'reviewed:' line in article.md


def split_front_matter(path: Path, text: str) -> tuple[str, str, int]:
    """Return (front matter YAML, body, body's first line number)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise InputError.at(path, 1, "no front matter",
                            "start the file with a '---' line, the YAML fields "
                            "(title, authors, reviewers, …), then another '---' line")
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    raise InputError.at(path, 1, "front matter is not closed",
                        "end the YAML fields with a line containing only '---'")


FIELDS = {
    "title", "subtitle", "short_title", "lang", "summary", "keywords", "authors",
    "reviewers", "updated", "edition", "publisher", "disclaimer", "source_url", "draft",
    "references", "bibliography", "translation_of",
}
PERSON_FIELDS = {"name", "credential"}
REVIEWER_FIELDS = {"name", "credential", "specialty", "reviewed", "content"}
_SIGNOFF = re.compile(r"[0-9a-f]{%d,64}" % MIN_SIGNOFF_HEX)
_LANG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


class _Checker:
    """Collects front-matter problems, each located at its YAML node's line."""

    def __init__(self, path: Path, first_line: int):
        self.path = path
        self.first_line = first_line
        self.problems: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def line(self, node) -> int:
        return self.first_line + node.start_mark.line

    def error(self, node, message: str, hint: str = "") -> None:
        line = self.line(node) if node is not None else self.first_line - 1
        self.problems.append(Diagnostic(self.path, line, message, hint))

    def mapping(self, node, where: str, allowed: set[str]) -> dict:
        """A YAML mapping node -> {key: (key node, value node)}, unknown keys reported."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where} must be a mapping of 'key: value' lines")
            return {}
        out = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"a key in {where} must be a plain word",
                           "write 'key: value'")
                continue
            key = key_node.value
            if key not in allowed:
                hint = did_you_mean(key, allowed) or f"allowed keys: {', '.join(sorted(allowed))}"
                self.error(key_node, f"unknown key {key!r} in {where}", hint)
            elif key in out:
                self.error(key_node, f"{key!r} appears twice in {where}", "keep one")
            else:
                out[key] = (key_node, value_node)
        return out

    def text(self, fields: dict, key: str, where: str, required=False, default="",
             owner=None) -> str:
        """A non-empty text field; a missing required one is reported at `owner`."""
        if key not in fields:
            if required:
                self.error(owner, f"{where} is missing '{key}'", f"add '{key}: …'")
            return default
        key_node, node = fields[key]
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null") or not str(node.value).strip():
            self.error(key_node, f"'{key}' must be a non-empty text", f"write '{key}: some text'")
            return default
        return self.plain(node, key)

    def plain(self, node, key: str) -> str:
        """A scalar's text without bidi embedding/override/isolate controls (they could
        reorder the printed credit line); a warning says they were removed."""
        value = str(node.value).strip()
        if BIDI.search(value):
            found = sorted({f"U+{ord(c):04X}" for c in BIDI.findall(value)})
            self.warnings.append(warning(self.path, self.line(node), f"'{key}': removed the "
                                         f"text-direction control character(s) {', '.join(found)}",
                                         "delete them from the front matter; right-to-left names "
                                         "need none"))
            value = BIDI.sub("", value).strip()
        return value

    def date(self, fields: dict, key: str, where: str, required=False,
             owner=None) -> dt.date | None:
        if key not in fields:
            if required:
                self.error(owner, f"{where} is missing '{key}'", f"add '{key}: YYYY-MM-DD'")
            return None
        key_node, node = fields[key]
        value = str(node.value).strip() if isinstance(node, yaml.ScalarNode) else None
        if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                self.error(node, f"'{key}': {_impossible_date(value)}",
                           "check the day and month (YYYY-MM-DD)")
                return None
        self.error(node, f"'{key}': expected a date YYYY-MM-DD, got {value!r}",
                   "write the date as e.g. 2024-03-01")
        return None

    def sequence(self, fields: dict, key: str) -> list:
        if key not in fields:
            return []
        key_node, node = fields[key]
        if isinstance(node, yaml.SequenceNode):
            return node.value
        self.error(key_node, f"'{key}' must be a list", f"write each entry on a line starting with '- '")
        return []


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _impossible_date(value: str) -> str:
    """Why a YYYY-MM-DD date does not exist: "February 2025 has no day 30"."""
    year, month, day = (int(part) for part in value.split("-"))
    if not 1 <= month <= 12:
        return f"{value} has no month {month} (months are 01 to 12)"
    if day == 0:
        return f"{value} has no day 0 (days start at 01)"
    return f"{MONTHS[month - 1]} {year} has no day {day}"


#: ``edition:2`` -- a field name, a colon and no space: YAML reads one plain word, and its
#: error lands on a later line.
_NO_SPACE = re.compile(r"^[ \t]*(?:-[ \t]+)?([A-Za-z_]+):(?=[^\s:/])(\S.*)$")


def _missing_space(yaml_text: str) -> tuple[int, str, str] | None:
    """(line index, problem, hint) of the first known field written without a space after
    its colon, or None."""
    known = FIELDS | PERSON_FIELDS | REVIEWER_FIELDS
    for index, line in enumerate(yaml_text.split("\n")):
        m = _NO_SPACE.match(line)
        if m and m.group(1) in known:
            key, value = m.group(1), m.group(2)
            return (index, f"'{key}:{value[:20]}' has no space after the colon",
                    f"write '{key}: {value[:20]}'")
    return None


def _preflight(path: Path, yaml_text: str, first: int, limits) -> None:
    """Refuse front matter that would crash or blow up YAML composition: nesting (libyaml
    recurses per level: a SIGSEGV near 100,000), too many values, aliases (a few lines
    of ``*alias`` can stand for billions of values; front matter never needs them)."""
    max_depth = limits_mod.get(limits, "front_matter_depth")
    max_nodes = limits_mod.get(limits, "front_matter_nodes")
    found = limits_mod.yaml_preflight(yaml_text, max_depth=max_depth, max_nodes=max_nodes,
                                      loader=safe_loader())
    if found is None:
        return
    line, kind, detail = found
    if kind == "alias":
        raise InputError.at(path, first + line, f"front matter YAML: an alias (*{str(detail)[:40]}) "
                            "is not allowed in front matter", "write the value out in full")
    if kind == "depth":
        raise InputError.at(path, first + line, f"front matter YAML is nested more than {max_depth} "
                            "levels deep (front_matter_depth)",
                            limits_mod.hint("front_matter_depth", "flatten it (a reviewer needs 3 levels)"))
    raise InputError.at(path, first + line, f"front matter YAML has more than {max_nodes:,} values "
                        "(front_matter_nodes)", limits_mod.hint("front_matter_nodes", "shorten it"))


def _construct(node):
    """The plain value of `node`; a value YAML cannot build (an unknown tag, 2024-13-45)
    comes back as its source text, so the caller reports it as the wrong type."""
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError):
        return node.value if isinstance(node, yaml.ScalarNode) else None


def _check_characters(check: "_Checker", node, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if m := INVISIBLE.search(node.value):
            check.error(node, f"invisible character U+{ord(m.group()):04X} in a value",
                        "delete it (escapes such as \\f or \\u0000 are not allowed here)")
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_characters(check, item, seen)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _check_characters(check, key, seen)
            _check_characters(check, value, seen)


def _compose(path: Path, yaml_text: str, first: int):
    """The YAML node tree of the front matter; a syntax error raised at its line."""
    try:
        return yaml.compose(yaml_text, Loader=safe_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first + mark.line if mark else None
        problem = exc.problem or "invalid YAML"
        hint = "check the indentation, and quote values containing ': ' or '#'"
        lines = yaml_text.split("\n")
        if missing := _missing_space(yaml_text):  # 'edition:2': the error lands lines later
            line, problem, hint = first + missing[0], missing[1], missing[2]
        elif "quoted scalar" in (exc.context or "") and exc.context_mark is not None:
            # An unclosed quote swallows the lines after it: the error is where it opened.
            quote = lines[exc.context_mark.line][exc.context_mark.column:][:1] or '"'
            line = first + exc.context_mark.line
            problem = f"the quote ({quote}) opened on this line is never closed"
            hint = f"end the value with {quote}, or write it without quotes"
        elif mark and mark.line < len(lines) and "\t" in lines[mark.line]:
            problem, hint = "a tab character", "YAML indents with spaces only: replace the tab with spaces"
        raise InputError.at(path, line, f"front matter YAML: {problem}", hint) from None
    except yaml.reader.ReaderError as exc:
        raise InputError.at(path, first + yaml_text.count("\n", 0, exc.position),
                            f"front matter YAML: control character U+{exc.character:04X} "
                            "is not allowed", "delete it (it is invisible in most editors)") from None
    except yaml.YAMLError as exc:
        raise InputError.at(path, None, f"front matter YAML: {exc}", "fix the YAML syntax") from None


def parse_front_matter(path: Path, yaml_text: str, config: Config) -> tuple[dict, list[Diagnostic]]:
    """Validate the YAML front matter; return plain values and the problems found.

    The values include ``_lines`` ({top-level key: its line in article.md})."""
    first = 2
    _preflight(path, yaml_text, first, config.limits)
    node = _compose(path, yaml_text, first)
    check = _Checker(path, first)
    if node is None:
        raise InputError.at(path, 1, "front matter is empty", "add at least 'title: …'")
    _check_characters(check, node, set())
    top = check.mapping(node, "front matter", FIELDS)
    draft = False
    if "draft" in top:
        value = _construct(top["draft"][1])
        if not isinstance(value, bool):
            check.error(top["draft"][1], "'draft' must be true or false")
        draft = value is True
    values: dict = {"draft": draft}
    _texts(check, top, config, values)
    values["updated"] = check.date(top, "updated", "front matter", required=not draft)
    values["edition"] = _edition(check, top)
    values["authors"] = _authors(check, top)
    values["reviewers"] = _reviewers(check, top)
    if not draft:
        _required(check, top, values, config)
    # A missing field is reported at the front matter's closing line.
    problems = [p if p.line != first - 1 else Diagnostic(p.path, first + yaml_text.count("\n") + 1,
                                                          p.message, p.hint)
                for p in check.problems]
    values["_warnings"] = check.warnings
    values["_lines"] = {key: check.line(key_node) for key, (key_node, _) in top.items()}
    return values, problems


def _texts(check: _Checker, top: dict, config: Config, values: dict) -> None:
    """The text fields of the front matter into `values` (with the defaults of `config`)."""
    values["title"] = check.text(top, "title", "front matter", required=True)
    values["subtitle"] = check.text(top, "subtitle", "front matter")
    values["short_title"] = check.text(top, "short_title", "front matter") or values["title"]
    values["lang"] = check.text(top, "lang", "front matter", default="en")
    if not _LANG.match(values["lang"]):
        check.error(top["lang"][1], f"'lang': {values['lang']!r} is not a language tag",
                    "use a BCP 47 tag such as en, en-US or vi")
    values["summary"] = check.text(top, "summary", "front matter")
    values["publisher"] = check.text(top, "publisher", "front matter", default=config.publisher)
    values["disclaimer"] = check.text(top, "disclaimer", "front matter",
                                      default=i18n.disclaimer_default(config, values["lang"]))
    values["source_url"] = check.text(top, "source_url", "front matter")
    if values["source_url"] and (too_long := limits_mod.qr_url_problem(values["source_url"])):
        check.error(top["source_url"][1], f"'source_url' {too_long[0]}", too_long[1])
        values["source_url"] = ""
    if values["source_url"] and urlsplit(values["source_url"]).scheme not in ("http", "https"):
        check.error(top["source_url"][1], "'source_url' must be an http(s) address",
                    "write the full address, e.g. https://example.org/page")
    values["translation_of"] = _translation_of(check, top)
    values["references"] = check.text(top, "references", "front matter")
    values["_references_line"] = check.line(top["references"][1]) if "references" in top else None
    values["bibliography"] = ((_construct(top["bibliography"][1]), check.line(top["bibliography"][1]))
                              if "bibliography" in top else None)  # resolved by citations.cite_article
    values["keywords"] = tuple(filter(None, (
        check.plain(n, "keywords") for n in check.sequence(top, "keywords")
        if isinstance(n, yaml.ScalarNode))))


def _translation_of(check: _Checker, top: dict) -> str:
    """The slug of the article this one translates ("" when it is an original); whether
    that article exists is checked across the project (`handouts.source.translations`)."""
    from handouts.guard.paths import slug_problem

    slug = check.text(top, "translation_of", "front matter")
    if slug and (problem := slug_problem(slug)) is not None:
        check.error(top["translation_of"][1], f"'translation_of': {shown_src(slug)!r} is not an "
                    f"article's folder name: it {problem}",
                    "write the folder name of the article this one translates, e.g. "
                    "'translation_of: dengue'")
        return ""
    return slug


def _edition(check: _Checker, top: dict) -> int:
    if "edition" not in top:
        return 1
    edition = _construct(top["edition"][1])
    if isinstance(edition, bool) or not isinstance(edition, int) or not 1 <= edition <= MAX_EDITION:
        shown = (f"a number of {len(str(edition))} digits" if isinstance(edition, int)
                 and edition > 10**9 else shown_src(repr(edition)))
        check.error(top["edition"][1], f"'edition' must be a whole number from 1 to {MAX_EDITION}, "
                    f"got {shown}", "write e.g. 'edition: 2'")
        return 1
    return edition


def _authors(check: _Checker, top: dict) -> tuple[Person, ...]:
    authors = []
    for item in check.sequence(top, "authors"):
        if isinstance(item, yaml.ScalarNode):  # "- Jane Doe" is accepted as a name
            if str(item.value).strip():
                authors.append(Person(check.plain(item, "authors")))
            continue
        sub = check.mapping(item, "an author", PERSON_FIELDS)
        if sub:
            authors.append(Person(check.text(sub, "name", "an author", required=True, owner=item),
                                  check.text(sub, "credential", "an author")))
    return tuple(authors)


def _reviewers(check: _Checker, top: dict) -> tuple[Reviewer, ...]:
    reviewers = []
    for item in check.sequence(top, "reviewers"):
        sub = check.mapping(item, "a reviewer", REVIEWER_FIELDS)
        if not sub:
            continue
        reviewer = Reviewer(
            name=check.text(sub, "name", "a reviewer", required=True, owner=item),
            credential=check.text(sub, "credential", "a reviewer", required=True, owner=item),
            specialty=check.text(sub, "specialty", "a reviewer", required=True, owner=item),
            reviewed=check.date(sub, "reviewed", "a reviewer", required=True, owner=item),
            content=check.text(sub, "content", "a reviewer").lower(),
            line=check.line(sub["reviewed"][1] if "reviewed" in sub else item))
        if reviewer.content and not _SIGNOFF.fullmatch(reviewer.content):
            check.error(sub["content"][1], f"'content': {reviewer.content[:40]!r} is not a content "
                        "fingerprint", "paste the line the reviewer's packet printed "
                        f"(handouts review), e.g. 'content: 3f9a1c07d2e4' ({MIN_SIGNOFF_HEX} to 64 "
                        "hex digits)")
            continue
        if reviewer.reviewed and reviewer.reviewed > _today():
            check.error(sub["reviewed"][1], f"'reviewed': {reviewer.reviewed.isoformat()} is in the "
                        "future", "write the date the review was done (today at the latest)")
            continue
        if all((reviewer.name, reviewer.credential, reviewer.specialty, reviewer.reviewed)):
            reviewers.append(reviewer)
    return tuple(reviewers)


def _required(check: _Checker, top: dict, values: dict, config: Config) -> None:
    """What a published (not draft) article must have: a reviewer, an author, a disclaimer.
    Reported unless an entry was already found wrong (that error says more)."""
    for key, message, hint in (
            ("reviewers", "no medical reviewer",
             "add 'reviewers:' with name, credential, specialty and reviewed date, "
             "or set 'draft: true' until the article is reviewed"),
            ("authors", "no author", "add 'authors:' with at least one '- name: …'")):
        if key in top and not isinstance(top[key][1], yaml.SequenceNode):
            continue  # "must be a list" was reported
        entries = top[key][1].value if key in top else []
        if not values[key] and not entries:
            check.error(top[key][0] if key in top else None, message, hint)
    if not values["disclaimer"]:
        check.error(None, *i18n.missing_disclaimer(config, values["lang"]))


def _today() -> dt.date:
    """The latest date that is not "in the future" for a review date: tomorrow of this
    machine's day, since a reviewer east of the build server may already be a day ahead."""
    return dt.date.today() + dt.timedelta(days=1)
