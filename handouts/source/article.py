"""Load stage: find articles, parse and validate their front matter -> `Article`.

All validation happens here, so every later stage may trust an `Article`. Problems are
collected and raised together as one `InputError`, each with its file and line.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from handouts.project import i18n
from handouts.references.citations import cite_article
from handouts.references.readers import References
from handouts.project.config import Config
from handouts.guard.limits import SafeLoader
from handouts.errors import did_you_mean
from handouts.source.dates import MAX_EDITION, next_review_due
from handouts.errors import BIDI, INVISIBLE, Diagnostic, InputError, warning
from handouts.guard import limits as limits_mod
from handouts.guard import paths
from handouts.guard import sanitize
from handouts.guard.textscan import ProseText, prose_lines



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


#: What a patient reads, in the order the fingerprint hashes it. Not content: the dates,
#: edition, reviewers, authors, keywords, publisher, disclaimer (project-wide boilerplate).
CONTENT_PARTS = ("title", "subtitle", "summary", "body", "references", "images")
SHORT = 12  # hex digits printed on the handout and asked for in a sign-off
MIN_SIGNOFF_HEX = 8


@dataclass(frozen=True)
class Fingerprint:
    """The content fingerprint: sha256 over the `CONTENT_PARTS`, and each part's own
    sha256 (to say what changed between two versions)."""

    digest: str
    parts: tuple[tuple[str, str], ...]

    @property
    def short(self) -> str:
        return self.digest[:SHORT]

    def matches(self, signed: str) -> bool:
        """`signed` (a full fingerprint or a prefix of 8+ hex digits) names this content."""
        return len(signed) >= MIN_SIGNOFF_HEX and self.digest.startswith(signed)

    def changed_since(self, parts: dict) -> list[str]:
        """The parts that differ from `parts` ({part: sha256}); all of them when unknown."""
        own = dict(self.parts)
        return [p for p in CONTENT_PARTS if parts.get(p) != own.get(p)]


def content_fingerprint(title: str, subtitle: str, summary: str, body: str, references,
                        cited, folder: Path, images, limits=None) -> Fingerprint:
    """The fingerprint of what a patient reads: the title, subtitle and summary, the body
    (trailing spaces and blank lines at the ends ignored), the cited references' data
    (CSL items, so a reformatted file with the same references is the same content) and
    the bytes of the local images the body shows."""
    body = "\n".join(line.rstrip() for line in body.strip("\n").split("\n"))
    refs = [[key, references.csl(key)] for key in cited if key in references.items]
    image_digests = []
    for name in sorted(set(images)):
        data = paths.read_checked(folder / name, [folder], what=f"image '{name}'",
                                  where="the article's folder",
                                  max_bytes=limits_mod.get(limits, "image_bytes"))
        image_digests.append([name, hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else None])
    texts = {"title": title, "subtitle": subtitle, "summary": summary, "body": body,
             "references": json.dumps(refs, sort_keys=True, ensure_ascii=False, default=str),
             "images": json.dumps(image_digests)}
    parts = tuple((p, hashlib.sha256(texts[p].encode()).hexdigest()) for p in CONTENT_PARTS)
    whole = hashlib.sha256("".join(f"{p}:{d}\n" for p, d in parts).encode()).hexdigest()
    return Fingerprint(whole, parts)


@dataclass(frozen=True)
class Article:
    """A validated article: its metadata, its Markdown body and its references."""

    slug: str
    path: Path  # the article.md file
    title: str
    subtitle: str
    short_title: str
    lang: str
    summary: str
    keywords: tuple[str, ...]
    authors: tuple[Person, ...]
    reviewers: tuple[Reviewer, ...]
    updated: dt.date | None
    edition: int
    publisher: str
    disclaimer: str
    source_url: str
    draft: bool
    body: str
    body_line: int  # line number of the body's first line in article.md
    references: References
    cited: tuple[str, ...]  # citation keys in order of first use
    warnings: tuple[Diagnostic, ...] = ()
    next_review_due: dt.date | None = None  # latest review + review_interval_months (editions)
    content: Fingerprint | None = None  # what a patient reads (`content_fingerprint`)
    edition_line: int | None = None  # the line of 'edition:' (None: not given)

    @property
    def folder(self) -> Path:
        return self.path.parent


# ---------------------------------------------------------------------------------------
# Reading the file

def _check_article_file(path: Path, config: Config, limits) -> bytes:
    """The bytes of the article file, which must be a regular file of the project (symbolic
    links resolved: neither ``article.md`` nor its folder may lead outside), not
    hard-linked, and within `Limits.article_bytes`; judged before it is opened."""
    if (problem := paths.name_problem(path)) is not None:
        raise InputError.at(_shown(str(path)), None, f"the article's path {problem}",
                            "rename the folder or file")
    if not path.exists() and not path.is_symlink():
        raise InputError.at(path, None, "no such file", f"create {path}")
    roots = [config.root, config.source_dir]
    max_bytes = limits_mod.get(limits, "article_bytes")
    if not paths.inside(path.parent, roots):
        raise InputError.at(path, None, "the article's folder lies outside the project "
                            "(a symbolic link?)", "move the folder itself into source/")
    raw = paths.read_checked(path, roots, what="the article", where="the project",
                             max_bytes=max_bytes)
    if isinstance(raw, Diagnostic):
        raise InputError(raw)
    if len(raw) > max_bytes:
        size = max(len(raw), path.stat().st_size)
        raise InputError.at(path, None, "the article is " + limits_mod.over(
            "article_bytes", size, limits, "bytes"), limits_mod.hint("article_bytes", "split the article"))
    return raw


def _read_text(path: Path, raw: bytes | None = None) -> str:
    """The text of article.md (`raw`, else read from `path`): UTF-8, line ends made ``\\n``."""
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError.at(path, None, f"cannot read: {exc.strerror or exc}",
                                "check the file's permissions") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError.at(path, line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
                            "save the file as UTF-8") from None
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


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


# ---------------------------------------------------------------------------------------
# Validating the front matter

FIELDS = {
    "title", "subtitle", "short_title", "lang", "summary", "keywords", "authors",
    "reviewers", "updated", "edition", "publisher", "disclaimer", "source_url", "draft",
    "references", "bibliography",
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
                                      loader=SafeLoader)
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


def parse_front_matter(path: Path, yaml_text: str, config: Config) -> tuple[dict, list[Diagnostic]]:
    """Validate the YAML front matter; return plain values and the problems found."""
    first = 2
    _preflight(path, yaml_text, first, getattr(config, "limits", None))
    try:
        node = yaml.compose(yaml_text, Loader=SafeLoader)
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
    values["references"] = check.text(top, "references", "front matter")
    values["_references_line"] = check.line(top["references"][1]) if "references" in top else None
    values["bibliography"] = ((_construct(top["bibliography"][1]), check.line(top["bibliography"][1]))
                              if "bibliography" in top else None)  # resolved by citations.cite_article
    values["keywords"] = tuple(filter(None, (
        check.plain(n, "keywords") for n in check.sequence(top, "keywords")
        if isinstance(n, yaml.ScalarNode))))
    values["updated"] = check.date(top, "updated", "front matter", required=not draft)

    values["edition"] = 1
    if "edition" in top:
        edition = _construct(top["edition"][1])
        if isinstance(edition, bool) or not isinstance(edition, int) or not 1 <= edition <= MAX_EDITION:
            shown = (f"a number of {len(str(edition))} digits" if isinstance(edition, int)
                     and edition > 10**9 else _shown(repr(edition)))
            check.error(top["edition"][1], f"'edition' must be a whole number from 1 to {MAX_EDITION}, "
                        f"got {shown}", "write e.g. 'edition: 2'")
        else:
            values["edition"] = edition
    values["edition_line"] = check.line(top["edition"][1]) if "edition" in top else None

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
    values["authors"] = tuple(authors)

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
    values["reviewers"] = tuple(reviewers)

    if not draft:
        # Reported unless an entry was already found wrong (that error says more).
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
    # A missing field is reported at the front matter's closing line.
    problems = [p if p.line != first - 1 else Diagnostic(p.path, first + yaml_text.count("\n") + 1,
                                                          p.message, p.hint)
                for p in check.problems]
    values["_warnings"] = check.warnings
    return values, problems


def _today() -> dt.date:
    """The latest date that is not "in the future" for a review date: tomorrow of this
    machine's day, since a reviewer east of the build server may already be a day ahead."""
    return dt.date.today() + dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------
# Images

# ![alt](path) or ![alt](<path with spaces>). Each pattern stops at the next "![" or "<"
# it cannot belong to, so a line of 150,000 "![" or 40,000 "<img " is one linear pass
# (the obvious patterns re-scan the rest of the line from every start: quadratic).
_ALT = r"[^\]\n!]*(?:!(?!\[)[^\]\n!]*)*"
_MD_IMAGE = re.compile(r"!\[" + _ALT + r"\]\(\s*(?:<([^<>\n]+)>|([^)\s\[<]+))")
_HTML_IMAGE = re.compile(r"<img\b[^<>]*?\bsrc\s*=\s*[\"']?([^\"'\s<>]+)", re.IGNORECASE)
_MD_IMAGE_REF = re.compile(r"!\[(" + _ALT + r")\](?:\[([^\[\]\n]*)\])?(?!\()")
_LINK_DEF = re.compile(r"^ {0,3}\[([^\]\n]+)\]:[ \t]*<?([^\s>]+)", re.M)
REMOTE_SCHEMES = ("http", "https")
_RASTER = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*", b"BM")


def _data_bytes(src: str) -> bytes | None:
    """The bytes of a base64 ``data:`` address, else None. (A raw
    ``data:image/svg+xml,<svg …>`` holds spaces and ``<``, so the scan cannot be sure it has
    all of it: such an image is cleaned -- or refused with a warning -- when the page is
    drawn, by the render stage's fetcher.)"""
    import base64
    import binascii

    header, _, payload = src.partition(",")
    if not header.lower().endswith(";base64"):
        return None
    try:
        return base64.b64decode(unquote(payload), validate=False)
    except (ValueError, binascii.Error):
        return None


def image_sources(body: str, body_line: int) -> tuple[ProseText, list[tuple[int, str]]]:
    """Every image address of the body (Markdown, reference-style and ``<img>``) as
    ``(offset in the prose text, address)``, with the prose text for line numbers."""
    # One text for the whole prose: an <img> tag may span lines, and a reference-style
    # image's address sits on its definition's line.
    prose = ProseText(body, body_line)
    text = prose.text
    defs = {m.group(1).strip().lower(): m.group(2) for m in _LINK_DEF.finditer(text)}
    found = [(m.start(), m.group(1) or m.group(2)) for m in _MD_IMAGE.finditer(text)]
    found += [(m.start(), m.group(1)) for m in _HTML_IMAGE.finditer(text)]
    for m in _MD_IMAGE_REF.finditer(text):
        label = (m.group(2) or m.group(1)).strip().lower()
        if label in defs:
            found.append((m.start(), defs[label]))
    return prose, found


def local_image_name(src: str) -> str | None:
    """The file an image address names in the article's folder (``images/a b.png``), or
    None for a remote, ``data:`` or other-scheme address."""
    if "\x00" in src or urlsplit(src).scheme or src.startswith("//"):
        return None
    return unquote(src.split("#")[0].split("?")[0])


def check_images(path: Path, body: str, body_line: int, allow_remote: bool, limits=None):
    """Local images must be files inside the article's folder (symbolic links resolved, no
    hard links), within the size limits, and an SVG must be one `sanitize.clean_svg` can
    make safe; remote ones need opting in. Returns (problems, warnings, the local image
    names relative to the folder)."""
    folder = path.parent
    problems, warnings = [], []
    prose, found = image_sources(body, body_line)
    max_images = limits_mod.get(limits, "images")
    if len(found) > max_images:
        found.sort()
        problems.append(Diagnostic(path, prose.line(found[max_images][0]),
                                   limits_mod.over("images", len(found), limits, "images"),
                                   limits_mod.hint("images", "split the article")))
        return problems, warnings, ()
    checked: dict[str, tuple] = {}
    for start, src in sorted(found):
        line_no = prose.line(start)
        shown = _shown(src)
        scheme = urlsplit(src).scheme.lower() if "\x00" not in src else ""
        if scheme in REMOTE_SCHEMES or src.startswith("//"):
            if not allow_remote:
                warnings.append(warning(path, line_no, f"remote image {shown} left out",
                                        "download it into images/ or build with --allow-remote"))
            continue
        if scheme == "data":
            data = _data_bytes(src)
            if data is not None and sanitize.looks_like_xml(data):
                try:
                    sanitize.clean_svg(data, limits)
                except sanitize.UnsafeSVG as exc:
                    problems.append(Diagnostic(path, line_no, f"embedded SVG image: {exc}", exc.hint))
            elif data is not None and (problem := limits_mod.pixel_problem(
                    data, limits, "the embedded (data:) image")):
                problems.append(Diagnostic(path, line_no, *problem))
            continue
        if scheme:
            problems.append(Diagnostic(path, line_no, f"image '{shown}' uses the '{scheme}:' scheme",
                                       "put the image in the article's images/ folder and link it relatively"))
            continue
        name = local_image_name(src)
        if name not in checked:
            checked[name] = _check_image_file(folder, name, shown, limits)
        for message, hint in checked[name]:
            problems.append(Diagnostic(path, line_no, message, hint))
    return problems, warnings, tuple(name for name, found in checked.items() if not found)


def _shown(src: str) -> str:
    """An image address as a message may print it: short, control characters escaped."""
    text = src if len(src) <= 80 else src[:60] + "…" + src[-10:]
    return text.encode("unicode_escape").decode("ascii") if any(
        ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in text) else text


def _check_image_file(folder: Path, name: str, shown: str, limits) -> tuple:
    """Problems of the local image `name` (relative to the article folder) as
    (message, hint) pairs; the file is opened only once it is known to be a regular file
    of the folder, and a raster image is judged by its header (`limits.pixel_problem`)."""
    target = folder / name
    handle = paths.open_checked(target, [folder], what=f"image '{shown}'",
                                where="the article's folder")
    if isinstance(handle, Diagnostic):
        hint = handle.hint
        if "outside" in handle.message:
            hint = f"copy it into {folder.name}/images/ and link 'images/…'"
        return ((handle.message, hint),)
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limits_mod.get(limits, "image_bytes"):
            return ((f"image '{shown}' is " + limits_mod.over("image_bytes", size, limits, "bytes"),
                     limits_mod.hint("image_bytes", "make the image smaller")),)
        head = handle.read(16)
        if not head.startswith(_RASTER) and (sanitize.looks_like_xml(head) or target.suffix.lower() == ".svg"):
            if size > limits_mod.get(limits, "svg_bytes"):
                return ((f"SVG image '{shown}' is " + limits_mod.over("svg_bytes", size, limits, "bytes"),
                         limits_mod.hint("svg_bytes", "simplify the drawing")),)
            try:
                sanitize.clean_svg(head + handle.read(), limits)
            except sanitize.UnsafeSVG as exc:
                return ((f"SVG image '{shown}': {exc}", exc.hint),)
            return ()
        handle.seek(0)
        if problem := limits_mod.pixel_problem(handle, limits, f"image '{shown}'"):
            return (problem,)
    return ()


# ---------------------------------------------------------------------------------------
# Bounds on the body: what the Markdown parser, the sanitizer and WeasyPrint would take
# super-linear time or unbounded recursion on, measured here in one linear pass.

_QUOTE_PREFIX = re.compile(r" {0,3}>(?: {0,4}>)*")
_LIST_MARKERS = re.compile(r"(?:(?:[*+-]|\d{1,9}[.)])[ \t]+)+")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]{0,30})")
_SPAN_ATTR = re.compile(r"\b(colspan|rowspan)\s*=\s*[\"']?\s*(\d+)", re.IGNORECASE)
_DELIMITERS = re.compile(r"[*_]+")
_MARKUP_TAG = re.compile(r"<[A-Za-z/]")
_DATA_URI = re.compile(r"data:[^\s)\"'<>]*")
_THEMATIC = re.compile(r" {0,3}([-*_])(?: *\1){2,} *$")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "param", "source", "track", "wbr"}


def check_body_bounds(path: Path, body: str, body_line: int, limits=None) -> list[Diagnostic]:
    """The body's sizes and nesting against `limits`, each problem once at its first line.

    Python-Markdown re-scans a paragraph from every unclosed ``[`` (quadratic), recurses
    once per block quote, list level and emphasis level (300 levels: a RecursionError),
    and nh3 and WeasyPrint recurse per HTML element; so these are bounded before parsing.
    """
    get = functools.partial(limits_mod.get, limits)
    max_line, max_para, max_depth = get("line_chars"), get("paragraph_chars"), get("nesting_depth")
    max_run, max_open = get("delimiter_run"), get("unclosed_brackets")
    max_span = get("table_span")
    max_columns = get("table_columns")
    max_markup = get("inline_markup")
    markup = 0
    found: dict[str, Diagnostic] = {}

    def report(kind: str, line: int, message: str, fix: str) -> None:
        if kind not in found:
            found[kind] = Diagnostic(path, line, message, limits_mod.hint(kind, fix))

    # Every line, code included: the parser reads them all.
    for offset, line in enumerate(body.split("\n")):
        if len(line) > max_line:
            report("line_chars", body_line + offset,
                   limits_mod.over("line_chars", len(line), limits, "characters on one line"),
                   "break the line")
    prose = list(prose_lines(body, body_line))
    raw_lines = body.split("\n")
    lists: list[int] = []  # content columns of the open list items
    html_stack: list[str] = []
    para_start, para_chars = None, 0
    brackets: list[int] = []  # open '[' of the paragraph (their line numbers)
    unclosed = 0
    emphasis = 0
    for number, line in prose:
        raw = raw_lines[number - body_line]  # code spans are blanked in `line`
        if not raw.strip():
            para_start, para_chars, brackets, unclosed, emphasis = None, 0, [], 0, 0
            continue
        if para_start is None:
            para_start = number
        para_chars += len(line) + 1
        if "data:" in line:  # an embedded image's address is not text to lay out
            para_chars -= sum(len(m) for m in _DATA_URI.findall(line))
        if para_chars > max_para:
            report("paragraph_chars", para_start,
                   limits_mod.over("paragraph_chars", para_chars, limits, "characters in one paragraph"),
                   "split the paragraph with a blank line")
        # Inline markup: each item is an inline box that WeasyPrint lays out and tags at
        # several milliseconds apiece (and Python-Markdown parses at ~1 ms).
        markup += (line.count("[") + raw.count("`") // 2 + len(_MARKUP_TAG.findall(line))
                   + (len(_DELIMITERS.findall(line)) // 2 if ("*" in line or "_" in line) else 0))
        if markup > max_markup:
            report("inline_markup", number, f"more than {max_markup:,} links, citations, code spans, "
                   "emphases and tags in the article (inline_markup)", "split the article")
        # Block quotes and lists.
        quote = _QUOTE_PREFIX.match(line)
        depth_quotes = quote.group().count(">") if quote else 0
        rest = line[quote.end():] if quote else line
        text = rest.lstrip(" ")
        indent = len(rest) - len(text)
        markers = _LIST_MARKERS.match(text)
        if markers:
            while lists and indent < lists[-1]:
                lists.pop()
            count = len(re.findall(r"(?:[*+-]|\d{1,9}[.)])[ \t]+", markers.group()))
            lists.extend([indent + 2] * count)
        elif indent == 0 and not depth_quotes and lists and para_start == number:
            lists.clear()  # a paragraph at the margin after a blank line ends the lists
        depth = depth_quotes + len(lists)
        if depth > max_depth:
            report("nesting_depth", number, f"block quotes and lists nested {depth} levels deep, "
                   f"over the limit of {max_depth} (nesting_depth)", "flatten the structure")
        # Raw HTML elements (one linear scan; the next '>' is looked up once per tag).
        next_gt = -1
        for m in _TAG.finditer(line):
            if next_gt < m.end():
                next_gt = line.find(">", m.end())
                if next_gt < 0:
                    next_gt = len(line)
            closing, name = m.group(1), m.group(2).lower()
            self_closing = line[next_gt - 1:next_gt] == "/"
            if closing:
                if name in html_stack:
                    while html_stack and html_stack.pop() != name:
                        pass
            elif name not in _VOID and not self_closing:
                html_stack.append(name)
                if len(html_stack) > max_depth:
                    report("nesting_depth", number, f"HTML elements nested {len(html_stack)} deep, "
                           f"over the limit of {max_depth} (nesting_depth)", "close the elements")
        if line.count("|") > max_columns:
            report("table_columns", number, f"a table row of {line.count('|'):,} cells, over the limit "
                   f"of {max_columns} (table_columns)", "split the table")
        for m in _SPAN_ATTR.finditer(line):
            if len(m.group(2)) > 9 or int(m.group(2)) > max_span:
                report("table_span", number, f"a table cell with {m.group(1)}=\"{m.group(2)[:12]}\", "
                       f"over the limit of {max_span} (table_span)", "use a smaller span")
        # Brackets: unclosed ones and their nesting.
        if "[" in line or "]" in line:
            escaped = False
            for ch in line:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == "[":
                    brackets.append(number)
                    if len(brackets) > max_depth:
                        report("nesting_depth", number, f"brackets nested {len(brackets)} deep, "
                               f"over the limit of {max_depth} (nesting_depth)", "close the brackets")
                elif ch == "]" and brackets:
                    brackets.pop()
            unclosed = len(brackets)
            if unclosed > max_open:
                report("unclosed_brackets", para_start, f"{unclosed:,} '[' without a matching ']' in "
                       f"one paragraph, over the limit of {max_open} (unclosed_brackets)",
                       "close them, or write \\[ for a literal bracket")
        # Emphasis: runs of * and _, and how deep the opened ones nest.
        if ("*" in line or "_" in line) and not _THEMATIC.match(line):
            for m in _DELIMITERS.finditer(line):
                run = m.end() - m.start()
                if run > max_run:
                    report("delimiter_run", number, f"a run of {run:,} '*' or '_', over the limit of "
                           f"{max_run} (delimiter_run)", "shorten it, or escape them as \\*")
                before = line[m.start() - 1] if m.start() else " "
                after = line[m.end()] if m.end() < len(line) else " "
                opens, closes = not after.isspace(), not before.isspace()
                if opens and not closes:
                    emphasis += 1
                    if emphasis > max_depth:
                        report("nesting_depth", number, f"emphasis nested {emphasis} levels deep, "
                               f"over the limit of {max_depth} (nesting_depth)", "close the emphasis")
                elif closes and not opens and emphasis:
                    emphasis -= 1
    # Attribute lists: only the allow-list.
    for number, line in prose:
        if "{" not in line:
            continue
        for m in sanitize.ATTR_LIST_RE.finditer(line):
            refused = sanitize.attr_list_problems(m.group(1))
            if refused:
                found.setdefault(f"attr{number}", Diagnostic(
                    path, number, f"attribute list '{_shown(m.group())}' sets {', '.join(refused)}, "
                    "which an article may not set",
                    "use only #id, width, height, alt, title, lang and the classes "
                    "of the handout styles (e.g. .page-break)"))
    # One problem is enough: the first, by line (the others are usually its echoes).
    sizes = {"line_chars", "paragraph_chars", "inline_markup"}  # a structure error says more
    return [p for _, p in sorted(found.items(), key=lambda kv: (kv[1].line or 0, kv[0] in sizes))][:1]


# ---------------------------------------------------------------------------------------


def _check_labels(path: Path, lang: str, config: Config) -> list[Diagnostic]:
    """Warn when the styles have no labels ("References", "Page") for the language, or
    miss some of them (styles/labels/<lang>.yaml; English is printed instead)."""
    return i18n.label_warnings(path, lang, config.theme)


def load_article(path: Path, config: Config) -> Article:
    """Read, parse and validate one article; raise `InputError` with every problem."""
    path = Path(path)
    limits = getattr(config, "limits", None)
    if (bad_slug := paths.slug_diagnostic(path)) is not None:
        raise InputError(bad_slug)
    text = _read_text(path, _check_article_file(path, config, limits))
    yaml_text, body, body_line = split_front_matter(path, text)
    values, problems = parse_front_matter(path, yaml_text, config)
    warnings: list[Diagnostic] = list(values.pop("_warnings", ()))
    bounds = check_body_bounds(path, body, body_line, limits)
    if bounds:  # the later scans would take the time the limits are there to prevent
        raise InputError(*sorted(problems + bounds, key=lambda p: (p.line or 0)))
    if not body.strip():
        problems.append(Diagnostic(path, body_line, "the article has no body text",
                                   "write the article's text after the closing '---'"))

    bibliography, bib_key = values.pop("bibliography"), "bibliography"
    if bibliography is None and values["references"]:  # the older key: one file name
        bibliography, bib_key = (values["references"], values["_references_line"]), "references"
    references, cited, cite_problems, cite_warnings = cite_article(
        path, bibliography, bib_key, body, body_line, getattr(config, "limits", None))
    image_problems, image_warnings, images = check_images(path, body, body_line, config.allow_remote,
                                                          limits)
    problems += cite_problems + image_problems
    warnings += cite_warnings + image_warnings
    warnings += _check_labels(path, values["lang"], config)
    if problems:
        raise InputError(*sorted(problems, key=lambda p: (p.line or 0)))
    values.pop("references")
    values.pop("_references_line", None)
    content = content_fingerprint(values["title"], values["subtitle"], values["summary"], body,
                                  references, cited, path.parent, images, limits)
    return Article(slug=path.parent.name, path=path, body=body, body_line=body_line,
                   references=references, cited=cited, warnings=tuple(warnings), content=content,
                   next_review_due=next_review_due(values["reviewers"], config), **values)
