"""Load stage: article.md -> a validated `Article`.

All validation happens here (front matter in `frontmatter`, body bounds in `bounds`,
images in `images`), so every later stage may trust an `Article`. Problems are collected
and raised together as one `InputError`, each with its file and line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from handouts.errors import Diagnostic, InputError
from handouts.guard import limits as limits_mod
from handouts.guard import paths
from handouts.project import i18n
from handouts.project.config import Config
from handouts.references.citations import cite_article
from handouts.references.readers import References
from handouts.source.bounds import check_body_bounds
from handouts.source.dates import next_review_due
from handouts.source.fingerprint import Fingerprint, content_fingerprint
from handouts.source.frontmatter import Person, Reviewer, parse_front_matter, split_front_matter
from handouts.source.images import check_images, shown_src


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
    field_lines: tuple[tuple[str, int], ...] = ()  # (front-matter field, the line of its key)
    translation_of: str = ""  # the slug of the article this one translates ("": an original)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def line_of(self, key: str) -> int | None:
        """The line of the front-matter field `key` in article.md (None: not given)."""
        return dict(self.field_lines).get(key)

    @property
    def edition_line(self) -> int | None:
        return self.line_of("edition")


def _check_article_file(path: Path, config: Config, limits) -> bytes:
    """The bytes of the article file, which must be a regular file of the project (symbolic
    links resolved: neither ``article.md`` nor its folder may lead outside), not
    hard-linked, and within `Limits.article_bytes`; judged before it is opened."""
    if (problem := paths.name_problem(path)) is not None:
        raise InputError.at(shown_src(str(path)), None, f"the article's path {problem}",
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


def _check_labels(path: Path, lang: str, config: Config) -> list[Diagnostic]:
    """Warn when the styles have no labels ("References", "Page") for the language, or
    miss some of them (styles/labels/<lang>.yaml; English is printed instead)."""
    return i18n.label_warnings(path, lang, config.theme)


def load_article(path: Path, config: Config) -> Article:
    """Read, parse and validate one article; raise `InputError` with every problem."""
    path = Path(path)
    limits = config.limits
    if (bad_slug := paths.slug_diagnostic(path)) is not None:
        raise InputError(bad_slug)
    text = _read_text(path, _check_article_file(path, config, limits))
    yaml_text, body, body_line = split_front_matter(path, text)
    values, problems = parse_front_matter(path, yaml_text, config)
    warnings: list[Diagnostic] = list(values.pop("_warnings", ()))
    field_lines = tuple(values.pop("_lines").items())
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
        path, bibliography, bib_key, body, body_line, limits)
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
                   field_lines=field_lines,
                   next_review_due=next_review_due(values["reviewers"], config), **values)
