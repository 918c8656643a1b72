"""Load stage: find articles, parse and validate their front matter -> `Article`.

All validation happens here, so every later stage may trust an `Article`. Problems are
collected and raised together as one `InputError`, each with its file and line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from .citations import References, find_references, load_references, scan_citations
from .config import Config, SafeLoader, did_you_mean, label_table
from .errors import Diagnostic, InputError, warning
from .textscan import ProseText

ARTICLE_FILE = "article.md"


@dataclass(frozen=True)
class Person:
    name: str
    credential: str = ""


@dataclass(frozen=True)
class Reviewer:
    name: str
    credential: str
    specialty: str
    reviewed: dt.date


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

    @property
    def folder(self) -> Path:
        return self.path.parent


# ---------------------------------------------------------------------------------------
# Finding articles


def find_articles(source_dir: Path) -> list[Path]:
    """Every ``<slug>/article.md`` under `source_dir`, sorted by slug."""
    return sorted(source_dir.glob(f"*/{ARTICLE_FILE}"))


def resolve_targets(config: Config, targets: list[str]) -> list[Path]:
    """Turn command-line targets (slugs, folders or article files) into article paths."""
    if not targets:
        found = find_articles(config.source_dir)
        if not found:
            raise InputError.at(config.source_dir, None, "no articles found",
                                f"add a folder with an {ARTICLE_FILE} under it")
        return found
    paths = []
    for target in targets:
        candidates = [Path(target), config.source_dir / target]
        for cand in candidates:
            if cand.is_dir() and (cand / ARTICLE_FILE).is_file():
                paths.append(cand / ARTICLE_FILE)
                break
            if cand.is_file():
                paths.append(cand)
                break
        else:
            slugs = [p.parent.name for p in find_articles(config.source_dir)]
            hint = did_you_mean(target, slugs) or f"articles live in {config.source_dir}/<slug>/{ARTICLE_FILE}"
            raise InputError.at(target, None, "no such article", hint)
    return paths


# ---------------------------------------------------------------------------------------
# Reading the file

def _read_text(path: Path) -> str:
    raw = path.read_bytes()
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
    "references",
}
PERSON_FIELDS = {"name", "credential"}
REVIEWER_FIELDS = {"name", "credential", "specialty", "reviewed"}
_LANG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


class _Checker:
    """Collects front-matter problems, each located at its YAML node's line."""

    def __init__(self, path: Path, first_line: int):
        self.path = path
        self.first_line = first_line
        self.problems: list[Diagnostic] = []

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
        return str(node.value).strip()

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
                pass
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


def _construct(node):
    """The plain value of `node`; a value YAML cannot build (an unknown tag, 2024-13-45)
    comes back as its source text, so the caller reports it as the wrong type."""
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError):
        return node.value if isinstance(node, yaml.ScalarNode) else None


# Control characters and line separators that YAML escapes ("\f", "\P") let into values.
_BAD_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\ud800-\udfff]")


def _check_characters(check: "_Checker", node, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if m := _BAD_CHARACTER.search(node.value):
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
    try:
        node = yaml.compose(yaml_text, Loader=SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first + mark.line if mark else None
        problem = exc.problem or "invalid YAML"
        hint = "check the indentation, and quote values containing ': ' or '#'"
        lines = yaml_text.split("\n")
        if mark and mark.line < len(lines) and "\t" in lines[mark.line]:
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
    values["disclaimer"] = check.text(top, "disclaimer", "front matter", default=config.disclaimer)
    values["source_url"] = check.text(top, "source_url", "front matter")
    if values["source_url"] and urlsplit(values["source_url"]).scheme not in ("http", "https"):
        check.error(top["source_url"][1], "'source_url' must be an http(s) address",
                    "write the full address, e.g. https://example.org/page")
    values["references"] = check.text(top, "references", "front matter")
    values["keywords"] = tuple(
        str(n.value).strip() for n in check.sequence(top, "keywords")
        if isinstance(n, yaml.ScalarNode) and str(n.value).strip())
    values["updated"] = check.date(top, "updated", "front matter", required=not draft)

    values["edition"] = 1
    if "edition" in top:
        edition = _construct(top["edition"][1])
        if isinstance(edition, bool) or not isinstance(edition, int) or edition < 1:
            check.error(top["edition"][1], f"'edition' must be a whole number from 1, got {edition!r}",
                        "write e.g. 'edition: 2'")
        else:
            values["edition"] = edition

    authors = []
    for item in check.sequence(top, "authors"):
        if isinstance(item, yaml.ScalarNode):  # "- Jane Doe" is accepted as a name
            if str(item.value).strip():
                authors.append(Person(str(item.value).strip()))
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
            reviewed=check.date(sub, "reviewed", "a reviewer", required=True, owner=item))
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
            check.error(None, "no medical disclaimer",
                        "add 'disclaimer: …' to the front matter or to handouts.toml")
    # A missing field is reported at the front matter's closing line.
    problems = [p if p.line != first - 1 else Diagnostic(p.path, first + yaml_text.count("\n") + 1,
                                                          p.message, p.hint)
                for p in check.problems]
    return values, problems


# ---------------------------------------------------------------------------------------
# Images

# ![alt](path) or ![alt](<path with spaces>)
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*(?:<([^>\n]+)>|([^)\s]+))")
_HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
_MD_IMAGE_REF = re.compile(r"!\[([^\]\n]*)\](?:\[([^\]\n]*)\])?(?!\()")
_LINK_DEF = re.compile(r"^ {0,3}\[([^\]\n]+)\]:[ \t]*<?([^\s>]+)", re.M)
REMOTE_SCHEMES = ("http", "https")


def check_images(path: Path, body: str, body_line: int, allow_remote: bool):
    """Local images must exist inside the article's folder; remote ones need opting in."""
    folder = path.parent.resolve()
    problems, warnings = [], []
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
    for start, src in sorted(found):
        line_no = prose.line(start)
        scheme = urlsplit(src).scheme.lower()
        if scheme in REMOTE_SCHEMES or src.startswith("//"):
            if not allow_remote:
                warnings.append(warning(path, line_no, f"remote image {src} left out",
                                        "download it into images/ or build with --allow-remote"))
            continue
        if scheme == "data":
            continue
        if scheme:
            problems.append(Diagnostic(path, line_no, f"image '{src}' uses the '{scheme}:' scheme",
                                       "put the image in the article's images/ folder and link it relatively"))
            continue
        target = (folder / unquote(src.split("#")[0].split("?")[0])).resolve()
        if not target.is_relative_to(folder):
            problems.append(Diagnostic(path, line_no, f"image '{src}' lies outside the article's folder",
                                       f"copy it into {folder.name}/images/ and link 'images/…'"))
        elif not target.is_file():
            problems.append(Diagnostic(path, line_no, f"image '{src}' does not exist",
                                       "check the file name (names are case-sensitive)"))
    return problems, warnings


# ---------------------------------------------------------------------------------------


def _check_labels(path: Path, lang: str, config: Config) -> list[Diagnostic]:
    """Warn when the styles have no labels ("References", "Page") for the language."""
    labels = config.styles_dir / "labels.yaml"
    try:
        known = label_table(config.styles_dir)
    except (OSError, yaml.YAMLError):
        return []  # the template stage reports a broken styles/ folder
    if lang in known or lang.split("-")[0] in known:
        return []
    return [warning(path, None, f"no labels for language '{lang}' in {labels.name}; "
                    "English labels are used", f"add a '{lang.split('-')[0]}:' section to {labels}")]


def load_article(path: Path, config: Config) -> Article:
    """Read, parse and validate one article; raise `InputError` with every problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError.at(path, None, "no such file", f"create {path}")
    text = _read_text(path)
    yaml_text, body, body_line = split_front_matter(path, text)
    values, problems = parse_front_matter(path, yaml_text, config)
    warnings: list[Diagnostic] = []
    if not body.strip():
        problems.append(Diagnostic(path, body_line, "the article has no body text",
                                   "write the article's text after the closing '---'"))

    ref_path = None
    if values["references"]:
        ref_path = (path.parent / values["references"]).resolve()
        if not ref_path.is_relative_to(path.parent.resolve()) or not ref_path.is_file():
            problems.append(Diagnostic(path, None, f"references file '{values['references']}' not found "
                                       "in the article's folder", "check the name in 'references:'"))
            ref_path = None
    else:
        ref_path = find_references(path.parent)
        if ref_path is not None and not ref_path.resolve().is_relative_to(path.parent.resolve()):
            problems.append(Diagnostic(ref_path, None, "the references file lies outside the "
                                       "article's folder (a symbolic link?)",
                                       "copy the file itself into the article's folder"))
            ref_path = None
    try:
        references = load_references(ref_path)
    except InputError as exc:
        problems.extend(exc.problems)
        references = None

    if references is None:  # the references file's own error explains the citations
        cited, cite_problems, cite_warnings = (), [], []
        references = load_references(None)
    else:
        cited, cite_problems, cite_warnings = scan_citations(path, body, body_line, references)
    image_problems, image_warnings = check_images(path, body, body_line, config.allow_remote)
    problems += cite_problems + image_problems
    warnings += cite_warnings + image_warnings
    warnings += _check_labels(path, values["lang"], config)
    if problems:
        raise InputError(*sorted(problems, key=lambda p: (p.line or 0)))
    values.pop("references")
    return Article(slug=path.parent.name, path=path, body=body, body_line=body_line,
                   references=references, cited=cited, warnings=tuple(warnings), **values)
