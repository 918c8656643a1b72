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
     "outputs": [{path, slug, title, lang, edition, content, updated, reviewed, next_review_due,
         variant, paper, clinic, pages, bytes, sha256, inputs_sha256, warnings: [text]}],
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
file), still written so sign-offs recorded by them can be matched.
"""

from __future__ import annotations

import hashlib
import html as _html
import json
import re
from pathlib import Path

from handouts.errors import Diagnostic, warning
from handouts.guard import limits as limits_mod
from handouts.dist.archive import published_files
from handouts.dist.editions import content_sha256, review_status
from handouts.source.dates import latest_review, next_review_due
from handouts.dist.publish import TooLarge, publish_set, read_regular
from handouts.dist.records import (FORMAT, VERSION, empty_manifest, inside_output, manifest_path, recover_manifest,
                                   safe_relative, scan_archive, valid_manifest)

def read_manifest(output_dir: Path, *, limits=None, warnings: list | None = None) -> dict:
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


def dumps(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_manifest(output_dir: Path, manifest: dict) -> Path:
    """Write `manifest` atomically: outputs whose file is gone are dropped, outputs are
    sorted by path, and the archive section is read back from ``dist/archive/``."""
    output_dir = Path(output_dir)
    outputs = {}
    for item in manifest.get("outputs", []):
        if (output_dir / item["path"]).is_file():
            outputs[item["path"]] = item  # the last entry for a path wins
    kept = {k: v for k, v in manifest.items() if k not in ("format", "version", "generator")}
    data = {**empty_manifest(), **kept, "outputs": [outputs[p] for p in sorted(outputs)],
            "archive": scan_archive(output_dir)}
    manifest.update(data)
    target = manifest_path(output_dir)
    publish_set([(target, dumps(data))], within=output_dir)
    return target


# ---------------------------------------------------------------------------------------
# Entries


def _iso(day) -> str | None:
    return day.isoformat() if day else None


_TAG = re.compile(r"<[^>]+>")


def html_to_text(fragment: str) -> str:
    return re.sub(r"\s+", " ", _html.unescape(_TAG.sub("", fragment))).strip()


def article_entry(article, bibliography=None, status=None) -> dict:
    """The article's facts for the manifest (plain, picklable data; built in the worker).
    `status`: its `editions.ReviewStatus` (default: bound without any publication record)."""
    status = status or review_status(article)
    refs = []
    for e in getattr(bibliography, "entries", ()) or ():
        fragment = getattr(e, "html", "")
        text = getattr(e, "text", None) or html_to_text(fragment)
        refs.append({"number": e.number, "html": fragment, "text": text})
    files = published_files(article)
    due = getattr(article, "next_review_due", None)
    if due is None and article.reviewers:
        due = next_review_due(article.reviewers)
    return {
        "title": article.title,
        "subtitle": article.subtitle,
        "summary": article.summary,
        "lang": article.lang,
        "keywords": list(article.keywords),
        "authors": [a.name for a in article.authors],
        "reviewers": [{"name": s.reviewer.name, "credential": s.reviewer.credential,
                       "specialty": s.reviewer.specialty, "reviewed": _iso(s.reviewer.reviewed),
                       "content": s.reviewer.content or None,
                       "covers": not status.draft and status.content.matches(s.content)}
                      for s in status.signoffs],
        "reviewed": _iso(latest_review(article.reviewers)),
        "updated": _iso(article.updated),
        "edition": article.edition,
        "next_review_due": _iso(due),
        "publisher": article.publisher,
        "disclaimer": article.disclaimer,
        "source_url": article.source_url,
        "draft": bool(article.draft),
        "translation_of": article.translation_of or None,
        "source": f"source/{article.slug}/article.md",
        "source_files": files,
        "references": refs,
        "content_sha256": content_sha256(article),
        "content_fingerprint": article.content.digest,
        "content": article.content.short,
        "content_parts": dict(article.content.parts),
        "signoffs": [{"name": s.reviewer.name, "reviewed": _iso(s.reviewer.reviewed),
                      "content": s.content, "legacy": s.legacy} for s in status.signoffs],
    }


def output_entry(*, path: str, slug: str, variant: str, paper: str, clinic: str | None, pages: int,
                 data: bytes, inputs_sha256: str, article_entry: dict, warnings=(),
                 root: Path | None = None) -> dict:
    """One published file's record (`path` posix, relative to the output folder).
    `warnings`: the job's warnings, as printed; an unchanged rebuild repeats them (and
    ``--strict`` rebuilds a job that had some, so they fail it). Their paths are written
    relative to the project `root`, so the manifest does not depend on the checkout folder."""
    a = article_entry
    return {
        "path": path, "slug": slug, "title": a.get("title"), "lang": a.get("lang"),
        "edition": a.get("edition"), "content": a.get("content"), "updated": a.get("updated"),
        "reviewed": a.get("reviewed"),
        "next_review_due": a.get("next_review_due"), "variant": variant, "paper": paper,
        "clinic": clinic, "pages": pages, "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(), "inputs_sha256": inputs_sha256,
        "warnings": [_portable(w, root) for w in warnings],
    }


def _portable(diagnostic, root: Path | None) -> str:
    """A diagnostic's text with its path relative to the project (when it is inside)."""
    path = getattr(diagnostic, "path", None)
    if root is not None and path is not None and Path(path).is_absolute():
        try:
            rel = Path(path).relative_to(Path(root)).as_posix()
        except ValueError:
            rel = None
        if rel is not None:
            import dataclasses

            try:
                return str(dataclasses.replace(diagnostic, path=rel))
            except TypeError:  # not a dataclass
                return str(diagnostic).replace(str(path), rel, 1)
    return str(diagnostic)


#: A recorded diagnostic's text: ``path[:line]: severity: message``.
_RECORDED = re.compile(r"(?P<path>[^\n]+?)(?::(?P<line>\d+))?: (?P<severity>error|warning|info): "
                       r"(?P<message>.*)", re.S)


def restored(text: str, root: Path):
    """A recorded warning (`_portable` text) as a `Diagnostic` whose path is the file under
    `root` again, so a replayed warning prints as a fresh one does; text that does not name
    a file of the project stays text."""
    m = _RECORDED.fullmatch(text)
    if m is None or Path(m["path"]).is_absolute() or not (Path(root) / m["path"]).exists():
        return text
    return Diagnostic(Path(root) / m["path"], int(m["line"]) if m["line"] else None, m["message"],
                      severity=m["severity"])


def outputs_of(manifest: dict, slug: str) -> list[dict]:
    return [o for o in manifest.get("outputs", []) if o.get("slug") == slug]


def output_intact(output_dir: Path, entry: dict) -> bool:
    """True when the file `entry` records is a regular file inside the output folder
    whose bytes still have the recorded size and sha256."""
    path = Path(output_dir) / entry.get("path", "")
    if not (safe_relative(entry.get("path")) and isinstance(entry.get("sha256"), str)):
        return False
    try:
        data = read_regular(path, max(int(entry.get("bytes") or 0), 0))
    except (OSError, TooLarge, ValueError, TypeError):
        return False
    return (len(data) == entry.get("bytes") and inside_output(path, output_dir)
            and hashlib.sha256(data).hexdigest() == entry["sha256"])
