"""The manifest's records, typed: what ``dist/manifest.json`` holds (format v1, see
`handouts.dist.manifest`), checked once as it is read and written back as the same JSON.

Everything under ``dist/`` is untrusted, so each ``from_json`` checks what it reads: a
field of the wrong type is dropped or defaulted, an article record without a valid
edition is unusable (None: the caller recovers it from the published sources), an
output whose path is not its article's is dropped. After that, every later reader may
trust the records' types. ``to_json`` gives back the v1 keys, the same for the same
build (`handouts.dist.manifest.dumps` sorts them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from handouts.guard.paths import inside, slug_problem
from handouts.source.dates import MAX_EDITION
from handouts.variants.kinds import output_kind, piece_kinds

FORMAT = "handouts-manifest"
VERSION = 1
NAME = "manifest.json"


def manifest_path(output_dir: Path) -> Path:
    return Path(output_dir) / NAME


# ---------------------------------------------------------------------------------------
# Checking the values read


_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}")


def valid_edition(value) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_EDITION
    return value if ok else None


def _date(value) -> str | None:
    """An ISO date string, or None."""
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def _text(value, default=""):
    return value if isinstance(value, str) else default


def _texts(value) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _tag(value) -> str | None:
    """A language tag, or None."""
    return value if isinstance(value, str) and _LANG.fullmatch(value) else None


def slug_ok(name) -> bool:
    return isinstance(name, str) and slug_problem(name) is None


def safe_relative(path) -> bool:
    """A posix path relative to the output folder that cannot leave it."""
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        return False
    parts = path.split("/")
    return not path.startswith("/") and ".." not in parts and "" not in parts and ":" not in parts[0]


def inside_output(path: Path, output_dir: Path) -> bool:
    """True when `path`, symbolic links resolved, lies inside the output folder."""
    return inside(path, [output_dir])


def output_path_ok(path, slug) -> bool:
    """An output's path: ``<slug>….pdf`` at the top of dist/ or ``clinics/<id>/<slug>….pdf``
    named as some variant names its files, never in another article's name space or the
    archive, sources or review packets."""
    if not (safe_relative(path) and slug_ok(slug)):
        return False
    parts = path.split("/")
    if len(parts) not in (1, 3) or (len(parts) == 3 and (parts[0] != "clinics" or not slug_ok(parts[1]))):
        return False
    return parts[-1].endswith(".pdf") and output_kind(path, slug) is not None


# ---------------------------------------------------------------------------------------
# The records


@dataclass(frozen=True)
class ReviewerRecord:
    """A reviewer entry as published; `covers`: its sign-off covers the published
    content (the credit)."""

    name: str
    credential: str = ""
    specialty: str = ""
    reviewed: str | None = None  # ISO date
    content: str | None = None  # the entry's ``content:`` (None: it has none)
    covers: bool = True

    def to_json(self) -> dict:
        return {"name": self.name, "credential": self.credential, "specialty": self.specialty,
                "reviewed": self.reviewed, "content": self.content, "covers": self.covers}

    @classmethod
    def from_json(cls, data) -> ReviewerRecord | None:
        if not (isinstance(data, dict) and isinstance(data.get("name"), str)):
            return None
        covers = data.get("covers")
        return cls(data["name"], _text(data.get("credential")), _text(data.get("specialty")),
                   _date(data.get("reviewed")), _text(data.get("content"), None),
                   covers if isinstance(covers, bool) else True)


@dataclass(frozen=True)
class ReferenceRecord:
    """A formatted reference: its number, HTML (cleaned again before a page shows it) and
    plain text."""

    number: int
    html: str
    text: str = ""

    def to_json(self) -> dict:
        return {"number": self.number, "html": self.html, "text": self.text}

    @classmethod
    def from_json(cls, data) -> ReferenceRecord | None:
        if not (isinstance(data, dict) and isinstance(data.get("html"), str)
                and isinstance(data.get("number"), int) and not isinstance(data["number"], bool)):
            return None
        return cls(data["number"], data["html"], _text(data.get("text")))


@dataclass(frozen=True)
class SignoffRecord:
    """A reviewer's sign-off bound to the fingerprint it approved (`editions.SignOff`)."""

    name: str
    reviewed: str
    content: str
    legacy: bool = False  # no ``content:`` in the entry: bound through what was published

    def to_json(self) -> dict:
        return {"name": self.name, "reviewed": self.reviewed, "content": self.content,
                "legacy": self.legacy}

    @classmethod
    def from_json(cls, data) -> SignoffRecord | None:
        if not (isinstance(data, dict)
                and all(isinstance(data.get(k), str) for k in ("name", "reviewed", "content"))):
            return None
        return cls(data["name"], data["reviewed"], data["content"], data.get("legacy") is True)


@dataclass(frozen=True)
class ReviewBaseline:
    """The first edition published with the latest review date (kept for readers of older
    manifests; `ArticleRecord.signoffs` is what this version reads)."""

    reviewed: str
    content_sha256: str
    edition: int

    def to_json(self) -> dict:
        return {"reviewed": self.reviewed, "content_sha256": self.content_sha256,
                "edition": self.edition}

    @classmethod
    def from_json(cls, data) -> ReviewBaseline | None:
        if not isinstance(data, dict):
            return None
        edition, reviewed = valid_edition(data.get("edition")), _date(data.get("reviewed"))
        if edition is None or reviewed is None or not isinstance(data.get("content_sha256"), str):
            return None
        return cls(reviewed, data["content_sha256"], edition)


@dataclass(frozen=True)
class TranslationSource:
    """The published text of its original a translation was made from
    (`handouts.dist.translations`): the original's slug, edition and content fingerprint
    then, and the translation's own content fingerprint it was recorded for."""

    slug: str
    edition: int
    content_fingerprint: str = ""
    content: str = ""
    bound_to: str = ""

    def to_json(self) -> dict:
        return {"slug": self.slug, "edition": self.edition,
                "content_fingerprint": self.content_fingerprint, "content": self.content,
                "bound_to": self.bound_to}

    @classmethod
    def from_json(cls, data) -> TranslationSource | None:
        if not (isinstance(data, dict) and slug_ok(data.get("slug"))):
            return None
        edition = valid_edition(data.get("edition"))
        if edition is None:
            return None
        return cls(data["slug"], edition, _text(data.get("content_fingerprint")),
                   _text(data.get("content")), _text(data.get("bound_to")))


@dataclass(frozen=True)
class ArticleRecord:
    """One article as published: its facts for the site, its sources, its content
    fingerprint and the sign-offs bound to it (`handouts.dist.manifest.article_entry`)."""

    edition: int
    title: str = ""
    subtitle: str = ""
    summary: str = ""
    lang: str = "en"
    keywords: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    reviewers: tuple[ReviewerRecord, ...] = ()
    reviewed: str | None = None  # the latest review's ISO date
    updated: str | None = None
    next_review_due: str | None = None
    publisher: str = ""
    disclaimer: str = ""
    source_url: str = ""
    draft: bool = False
    source: str = ""  # "source/<slug>/article.md"
    source_files: tuple[str, ...] = ()  # relative to the article's folder
    references: tuple[ReferenceRecord, ...] = ()
    content_sha256: str = ""
    content_fingerprint: str = ""
    content: str = ""  # the fingerprint's first 12 hex digits, as the handout prints it
    content_parts: tuple[tuple[str, str], ...] = ()  # (part, sha256)
    signoffs: tuple[SignoffRecord, ...] = ()
    review_baseline: ReviewBaseline | None = None
    translation_of: str | None = None  # the slug of the article this one translates
    translates: TranslationSource | None = None  # the original's text it was made from

    def to_json(self) -> dict:
        return {
            "title": self.title, "subtitle": self.subtitle, "summary": self.summary,
            "lang": self.lang, "keywords": list(self.keywords), "authors": list(self.authors),
            "reviewers": [r.to_json() for r in self.reviewers], "reviewed": self.reviewed,
            "updated": self.updated, "edition": self.edition,
            "next_review_due": self.next_review_due, "publisher": self.publisher,
            "disclaimer": self.disclaimer, "source_url": self.source_url, "draft": self.draft,
            "source": self.source, "source_files": list(self.source_files),
            "references": [r.to_json() for r in self.references],
            "content_sha256": self.content_sha256,
            "content_fingerprint": self.content_fingerprint, "content": self.content,
            "content_parts": dict(self.content_parts),
            "signoffs": [s.to_json() for s in self.signoffs],
            "review_baseline": self.review_baseline.to_json() if self.review_baseline else None,
            "translation_of": self.translation_of,
            "translates": self.translates.to_json() if self.translates else None,
        }

    @classmethod
    def from_json(cls, data) -> ArticleRecord | None:
        """The record `data` holds, checked; None when it has no valid edition (the
        published edition decides archiving: it is never guessed)."""
        if not isinstance(data, dict) or (edition := valid_edition(data.get("edition"))) is None:
            return None
        parts = data.get("content_parts")
        parts = tuple(sorted((k, v) for k, v in parts.items() if isinstance(k, str) and isinstance(v, str))
                      ) if isinstance(parts, dict) else ()
        return cls(
            edition=edition,
            **{key: _text(data.get(key)) for key in _ARTICLE_TEXTS},
            lang=_tag(data.get("lang")) or "en",
            keywords=_texts(data.get("keywords")),
            authors=_texts(data.get("authors")),
            reviewers=_records(ReviewerRecord, data.get("reviewers")),
            **{key: _date(data.get(key)) for key in _DATES},
            draft=data.get("draft") is True,
            source_files=tuple(f for f in _texts(data.get("source_files")) if safe_relative(f)),
            references=_records(ReferenceRecord, data.get("references")),
            content_parts=parts,
            signoffs=_records(SignoffRecord, data.get("signoffs")),
            review_baseline=ReviewBaseline.from_json(data.get("review_baseline")),
            translation_of=data["translation_of"] if slug_ok(data.get("translation_of")) else None,
            translates=TranslationSource.from_json(data.get("translates")))


#: An article record's text fields ("" when missing or not text) and its ISO dates.
_ARTICLE_TEXTS = ("title", "subtitle", "summary", "publisher", "disclaimer", "source_url", "source",
                  "content_sha256", "content_fingerprint", "content")
_DATES = ("reviewed", "updated", "next_review_due")


def _records(kind, value) -> tuple:
    return tuple(r for r in map(kind.from_json, _list(value)) if r is not None)


@dataclass(frozen=True)
class OutputRecord:
    """One published file: what it is (`kind`, `variant`, paper, clinic), the article's
    facts it was made with, its bytes' size and sha256, the inputs hash it was built
    from, and the warnings its build gave (replayed while it is unchanged)."""

    path: str  # posix, relative to the output folder
    slug: str
    kind: str  # `variants.kinds.piece_kinds`: handout, booklet, booklet-pages, press, …
    variant: str | None = None
    paper: str | None = None  # None: not known (a record rebuilt from the file's name)
    clinic: str | None = None
    title: str = ""
    lang: str | None = None
    edition: int | None = None
    content: str | None = None
    updated: str | None = None
    reviewed: str | None = None
    next_review_due: str | None = None
    pages: int = 0
    bytes: int = 0
    sha256: str | None = None  # None: never "unchanged" (see `manifest.output_intact`)
    inputs_sha256: str | None = None  # None: rebuilt next time
    warnings: tuple[str, ...] = ()

    @property
    def key(self) -> tuple:
        """The job that makes it (`batch.jobs.Job.key`)."""
        return (self.slug, self.variant, self.paper, self.clinic)

    def to_json(self) -> dict:
        return {
            "path": self.path, "slug": self.slug, "kind": self.kind, "title": self.title,
            "lang": self.lang, "edition": self.edition, "content": self.content,
            "updated": self.updated, "reviewed": self.reviewed,
            "next_review_due": self.next_review_due, "variant": self.variant,
            "paper": self.paper, "clinic": self.clinic, "pages": self.pages,
            "bytes": self.bytes, "sha256": self.sha256, "inputs_sha256": self.inputs_sha256,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data) -> OutputRecord | None:
        """The record `data` holds, checked; None when its path is not its article's
        (`output_path_ok`) or its clinic is not a valid id. A record without a known
        ``kind`` (written before kinds were recorded) gets the one its name says."""
        if not isinstance(data, dict) or not output_path_ok(data.get("path"), data.get("slug")):
            return None
        path, slug, clinic = data["path"], data["slug"], data.get("clinic")
        if clinic is not None and not slug_ok(clinic):
            return None
        kind = data.get("kind")
        if not (isinstance(kind, str) and kind in piece_kinds()):
            kind = output_kind(path, slug)[0]
        sha256 = data.get("sha256")
        return cls(
            path=path, slug=slug, kind=kind, clinic=clinic,
            **{key: _text(data.get(key), None) for key in ("variant", "paper", "content", "inputs_sha256")},
            title=_text(data.get("title")),
            lang=_tag(data.get("lang")),
            edition=valid_edition(data.get("edition")),
            **{key: _date(data.get(key)) for key in _DATES},
            pages=_count(data.get("pages")),
            bytes=_count(data.get("bytes")),
            sha256=sha256 if isinstance(sha256, str) and _SHA256.fullmatch(sha256) else None,
            warnings=_texts(data.get("warnings")))


@dataclass(frozen=True)
class ArchiveEntry:
    """An archived edition: ``dist/archive/<slug>/edition-<N>/`` and its files."""

    edition: int
    path: str  # relative to the output folder
    files: tuple[str, ...]  # relative to `path`

    def to_json(self) -> dict:
        return {"edition": self.edition, "path": self.path, "files": list(self.files)}


@dataclass(frozen=True)
class ArchivedEdition:
    """What ``edition.json`` keeps of an archived edition: the article's record as it was
    published, its files, and what each of its PDFs is."""

    article: ArticleRecord
    files: tuple[str, ...]  # relative to the edition's folder
    outputs: tuple[OutputRecord, ...]

    def to_json(self) -> dict:
        info = {k: v for k, v in self.article.to_json().items() if k != "review_baseline"}
        return {**info, "files": list(self.files),
                "outputs": [{k: o.to_json()[k] for k in ("path", "kind", "variant", "paper", "clinic",
                                                         "content")} for o in self.outputs]}

    @classmethod
    def from_json(cls, data, slug: str) -> ArchivedEdition | None:
        article = ArticleRecord.from_json(data)
        if article is None:
            return None
        outputs = (OutputRecord.from_json({**o, "slug": slug}) for o in _list(data.get("outputs"))
                   if isinstance(o, dict))
        return cls(article, tuple(f for f in _texts(data.get("files")) if safe_relative(f)),
                   tuple(o for o in outputs if o is not None))


@dataclass(frozen=True)
class PublishedSet:
    """One article's records once its set is published: its record and all its outputs."""

    slug: str
    article: ArticleRecord
    outputs: tuple[OutputRecord, ...]


def _generator() -> str:
    from handouts import __version__

    return f"handouts {__version__}"


@dataclass(frozen=True)
class Manifest:
    """What was published: each article's record, its outputs (sorted by path when
    written), and the archived editions (read from ``dist/archive/`` itself).

    A value: `with_set` gives the manifest with one article's records replaced."""

    articles: dict[str, ArticleRecord] = field(default_factory=dict)
    outputs: tuple[OutputRecord, ...] = ()
    archive: dict[str, tuple[ArchiveEntry, ...]] = field(default_factory=dict)

    def outputs_of(self, slug: str) -> tuple[OutputRecord, ...]:
        return tuple(o for o in self.outputs if o.slug == slug)

    def output(self, path: str) -> OutputRecord | None:
        return next((o for o in self.outputs if o.path == path), None)

    def with_set(self, published: PublishedSet) -> Manifest:
        """This manifest with the article's record and all of its outputs replaced by
        those `published` holds (outputs sorted by path)."""
        others = tuple(o for o in self.outputs if o.slug != published.slug)
        return replace(self, articles={**self.articles, published.slug: published.article},
                       outputs=tuple(sorted(others + published.outputs, key=lambda o: o.path)))

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "generator": _generator(),
                "articles": {slug: a.to_json() for slug, a in self.articles.items()},
                "outputs": [o.to_json() for o in self.outputs],
                "archive": {slug: [e.to_json() for e in entries]
                            for slug, entries in self.archive.items()}}
