"""``dist/manifest.json``: what was published, from which inputs (format v1).

The build reads it to skip unchanged outputs, the download site to list handouts and
their facts, the checks to find PDFs and editions. It is written atomically and sorted,
with no timestamps, so the same build gives the same file. Format (documented in the
README, "The manifest")::

    {"format": "handouts-manifest", "version": 1, "generator": "handouts 0.1.0",
     "articles": {slug: {title, subtitle, summary, lang, keywords, authors: [name],
         reviewers: [{name, credential, specialty, reviewed, content, covers}], reviewed,
         updated, edition,
         next_review_due, publisher, disclaimer, source_url, draft,
         source: "source/<slug>/article.md", source_files: [relative to the article folder],
         references: [{number, html, text}], content_sha256,
         content_fingerprint, content, content_parts: {part: sha256},
         signoffs: [{name, reviewed, content, legacy}],
         review_baseline: {reviewed, content_sha256, edition} | null,
         translation_of: slug | null,
         translates: {slug, edition, content_fingerprint, content, bound_to} | null}},
     "outputs": [{path, slug, kind, title, lang, edition, content, updated, reviewed,
         next_review_due, variant, paper, clinic, pages, bytes, sha256, inputs_sha256,
         warnings: [text]}],
     "archive": {slug: [{edition, path, files: [relative to path]}]}}

Dates are ISO strings (or null), paths posix and relative to the output folder. A
reader must ignore keys it does not know; a change that breaks readers bumps `version`.

`content_fingerprint` is the article's content fingerprint (`article.content_fingerprint`,
what a review approves), `content` its first 12 hex digits as printed on the handout;
`signoffs` binds each reviewer entry to the fingerprint it approved (an entry without
``content:`` is recorded here when first published, and stays bound to that text);
`covers` says whether a reviewer's sign-off covers the published content (the credit).
`translation_of` names the original a translation translates; `translates` is the text of
it the translation was made from (`handouts.dist.translations`).
`content_sha256` is the digest earlier versions kept (title, summary, body, references
file), still written so sign-offs recorded by them can be matched. An output's `kind`
is the piece of its variant it is (handout, booklet, booklet-pages, press, large-print:
`variants.kinds.piece_kinds`); a record without one (written before kinds were recorded)
gets the kind its file name says.

The records are typed (`handouts.dist.records`): `read_manifest` checks every entry once
and returns a `Manifest`; the batch replaces an article's records in that value as it
publishes its set, and `write_manifest` writes it back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

from handouts.errors import Diagnostic, warning
from handouts.guard import limits as limits_mod
from handouts.dist.archive import published_files, scan_archive
from handouts.dist.editions import content_sha256, review_status
from handouts.dist.recover import recover_manifest
from handouts.source.dates import latest_review, next_review_due
from handouts.dist.publish import TooLarge, publish_set, read_regular
from handouts.dist.records import (FORMAT, VERSION, ArticleRecord, Manifest, OutputRecord, ReferenceRecord,
                                   ReviewerRecord, SignoffRecord, inside_output, manifest_path, safe_relative,
                                   slug_ok)


def read_manifest(output_dir: Path, *, limits=None, warnings: list | None = None) -> Manifest:
    """The manifest of `output_dir`, every entry checked (`valid_manifest`).

    The manifest is a cache in a folder anyone may have written to, not a source of truth.
    When it is absent, of another format or version, unreadable, not JSON, or larger than
    the ``manifest_bytes`` limit, its records are rebuilt from the files in ``dist/``
    (`recover_manifest`): the published edition of each article is the one its published
    ``source/<slug>/article.md`` says, so a new edition still archives the old one. The
    reason goes to `warnings` (a list of `Diagnostic`) when one is given.
    """
    output_dir = Path(output_dir)
    path = manifest_path(output_dir)
    problem = None
    try:
        data = json.loads(read_regular(path, limits_mod.get(limits, "manifest_bytes")))
    except FileNotFoundError:
        return recover_manifest(output_dir)
    except TooLarge as exc:
        problem = f"the manifest is {limits_mod.over('manifest_bytes', exc.size, limits, 'bytes')}"
    except OSError as exc:
        problem = f"cannot read the manifest: {exc.strerror or exc}"
    except ValueError as exc:
        problem = f"the manifest is not valid JSON ({str(exc)[:80]})"
    else:
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
            problem = "the manifest is not a handouts manifest of version 1"
    if problem is not None:
        if warnings is not None:
            warnings.append(warning(path, None, problem, "its records were rebuilt from the "
                                    "files in the output folder; the build writes a new one"))
        return recover_manifest(output_dir)
    return valid_manifest(output_dir, data, warnings)


def valid_manifest(output_dir: Path, data: dict, warnings: list | None = None) -> Manifest:
    """The `Manifest` `data` holds, every entry checked (`records`): an article under a
    valid slug with a valid edition, outputs whose paths are theirs, fields of their
    types (texts, ISO dates, language tags; others dropped or defaulted). The archive
    section is read from ``dist/archive/`` itself (`scan_archive`). An article whose
    record is unusable is recovered from its published sources, as when there is no
    manifest."""
    articles: dict[str, ArticleRecord] = {}
    lost = []
    entries = data.get("articles")
    for slug, entry in entries.items() if isinstance(entries, dict) else ():
        if slug_ok(slug):
            if (record := ArticleRecord.from_json(entry)) is not None:
                articles[slug] = record
            else:
                lost.append(slug)
    outputs = data.get("outputs") if isinstance(data.get("outputs"), list) else []
    checked = [o for o in map(OutputRecord.from_json, outputs) if o is not None and o.slug in articles]
    if lost:
        if warnings is not None:
            warnings.append(warning(manifest_path(output_dir), None, "unusable record(s) of "
                                    + ", ".join(f"'{slug}'" for slug in lost[:5]),
                                    "they were rebuilt from the files in the output folder"))
        found = recover_manifest(output_dir, only=set(lost))
        articles.update(found.articles)
        checked += found.outputs
    return Manifest(articles, tuple(checked), scan_archive(output_dir))


def dumps(manifest: Manifest) -> bytes:
    return (json.dumps(manifest.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_manifest(output_dir: Path, manifest: Manifest) -> Manifest:
    """Write `manifest` atomically and return it as written: outputs whose file is gone are
    dropped, outputs are sorted by path, and the archive section is read back from
    ``dist/archive/``."""
    output_dir = Path(output_dir)
    outputs = {}
    for item in manifest.outputs:
        if (output_dir / item.path).is_file():
            outputs[item.path] = item  # the last entry for a path wins
    written = dataclasses.replace(manifest, outputs=tuple(outputs[p] for p in sorted(outputs)),
                                  archive=scan_archive(output_dir))
    publish_set([(manifest_path(output_dir), dumps(written))], within=output_dir)
    return written


# ---------------------------------------------------------------------------------------
# Entries


def _iso(day) -> str | None:
    return day.isoformat() if day else None


_TAG = re.compile(r"<[^>]+>")


def html_to_text(fragment: str) -> str:
    import html  # only a build needs it (html.entities: ~1.5 ms of every run)

    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", fragment))).strip()


def article_entry(article, bibliography, status=None) -> ArticleRecord:
    """The article's record for the manifest (built in the worker, picklable), before it
    is published (`archive.publish_article` adds its review baseline). `status`: its
    `editions.ReviewStatus` (default: bound without any publication record)."""
    status = status or review_status(article)
    refs = tuple(ReferenceRecord(e.number, e.html, e.text or html_to_text(e.html))
                 for e in bibliography.entries)
    due = article.next_review_due
    if due is None and article.reviewers:
        due = next_review_due(article.reviewers)
    return ArticleRecord(
        title=article.title,
        subtitle=article.subtitle,
        summary=article.summary,
        lang=article.lang,
        keywords=tuple(article.keywords),
        authors=tuple(a.name for a in article.authors),
        reviewers=tuple(ReviewerRecord(s.reviewer.name, s.reviewer.credential, s.reviewer.specialty,
                                       _iso(s.reviewer.reviewed), s.reviewer.content or None,
                                       not status.draft and status.content.matches(s.content))
                        for s in status.signoffs),
        reviewed=_iso(latest_review(article.reviewers)),
        updated=_iso(article.updated),
        edition=article.edition,
        next_review_due=_iso(due),
        publisher=article.publisher,
        disclaimer=article.disclaimer,
        source_url=article.source_url,
        draft=bool(article.draft),
        translation_of=article.translation_of or None,
        source=f"source/{article.slug}/article.md",
        source_files=tuple(published_files(article)),
        references=refs,
        content_sha256=content_sha256(article),
        content_fingerprint=article.content.digest,
        content=article.content.short,
        content_parts=tuple(sorted(article.content.parts)),
        signoffs=tuple(SignoffRecord(s.reviewer.name, _iso(s.reviewer.reviewed), s.content, s.legacy)
                       for s in status.signoffs),
    )


def output_entry(*, path: str, slug: str, kind: str, variant: str, paper: str, clinic: str | None,
                 pages: int, data: bytes, inputs_sha256: str, article: ArticleRecord, warnings=(),
                 root: Path | None = None) -> OutputRecord:
    """One published file's record (`path` posix, relative to the output folder).
    `warnings`: the job's warnings, as printed; an unchanged rebuild repeats them (and
    ``--strict`` rebuilds a job that had some, so they fail it). Their paths are written
    relative to the project `root`, so the manifest does not depend on the checkout folder."""
    a = article
    return OutputRecord(
        path=path, slug=slug, kind=kind, title=a.title, lang=a.lang, edition=a.edition,
        content=a.content, updated=a.updated, reviewed=a.reviewed,
        next_review_due=a.next_review_due, variant=variant, paper=paper, clinic=clinic,
        pages=pages, bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
        inputs_sha256=inputs_sha256, warnings=tuple(_portable(w, root) for w in warnings))


def _portable(diagnostic: Diagnostic, root: Path | None) -> str:
    """A diagnostic's text with its path relative to the project (when it is inside)."""
    path = diagnostic.path
    if root is not None and path is not None and Path(path).is_absolute():
        try:
            rel = Path(path).relative_to(Path(root)).as_posix()
        except ValueError:
            rel = None
        if rel is not None:
            return str(dataclasses.replace(diagnostic, path=rel))
    return str(diagnostic)


#: A recorded diagnostic's text: ``path[:line]: severity: message``.
_RECORDED = re.compile(r"(?P<path>[^\n]+?)(?::(?P<line>\d+))?: (?P<severity>error|warning|info): "
                       r"(?P<message>.*)", re.S)


def restored(text: str, root: Path, exists: dict | None = None):
    """A recorded warning (`_portable` text) as a `Diagnostic` whose path is the file under
    `root` again, so a replayed warning prints as a fresh one does; text that does not name
    a file of the project stays text. `exists`: a dict the caller keeps for one run, so
    that each file is looked for (and its path made) once however many warnings name it."""
    m = _RECORDED.fullmatch(text)
    if m is None:
        return text
    exists = {} if exists is None else exists
    name = m["path"]
    if name not in exists:  # the file under root, or None: absolute, or not there
        path = Path(name)
        exists[name] = None if path.is_absolute() or not (Path(root) / path).exists() \
            else Path(root) / path
    if exists[name] is None:
        return text
    return Diagnostic(exists[name], int(m["line"]) if m["line"] else None, m["message"],
                      severity=m["severity"])


def output_intact(output_dir: Path, entry: OutputRecord) -> bool:
    """True when the file `entry` records is a regular file inside the output folder
    whose bytes still have the recorded size and sha256."""
    path = Path(output_dir) / entry.path
    if not (safe_relative(entry.path) and entry.sha256 is not None):
        return False
    try:
        data = read_regular(path, entry.bytes)
    except (OSError, TooLarge):
        return False
    return (len(data) == entry.bytes and inside_output(path, output_dir)
            and hashlib.sha256(data).hexdigest() == entry.sha256)
