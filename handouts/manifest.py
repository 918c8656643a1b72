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
         review_baseline: {reviewed, content_sha256, edition} | null}},
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
`content_sha256` is the digest earlier versions kept (title, summary, body, references
file), still written so sign-offs recorded by them can be matched.
"""

from __future__ import annotations

import hashlib
import html as _html
import json
import re
from pathlib import Path

FORMAT = "handouts-manifest"
VERSION = 1
NAME = "manifest.json"


def _generator() -> str:
    from . import __version__

    return f"handouts {__version__}"


def empty_manifest() -> dict:
    return {"format": FORMAT, "version": VERSION, "generator": _generator(),
            "articles": {}, "outputs": [], "archive": {}}


def manifest_path(output_dir: Path) -> Path:
    return Path(output_dir) / NAME


def read_manifest(output_dir: Path) -> dict:
    """The manifest of `output_dir`; an empty one when it is absent, unreadable, or of
    another format or version (everything is then rebuilt, nothing is lost)."""
    try:
        data = json.loads(manifest_path(output_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty_manifest()
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        return empty_manifest()
    manifest = empty_manifest()
    for key, kind in (("articles", dict), ("outputs", list), ("archive", dict)):
        if isinstance(data.get(key), kind):
            manifest[key] = data[key]
    # The build deletes files the manifest names (an old edition's outputs, sources no
    # longer used): keep only entries whose paths stay inside the output folder.
    manifest["outputs"] = [o for o in manifest["outputs"]
                           if isinstance(o, dict) and safe_relative(o.get("path"))]
    articles = {}
    for slug, entry in manifest["articles"].items():
        if isinstance(entry, dict) and safe_relative(slug) and "/" not in slug:
            files = entry.get("source_files")
            entry["source_files"] = [f for f in files if safe_relative(f)] if isinstance(files, list) else []
            articles[slug] = entry
    manifest["articles"] = articles
    return manifest


def safe_relative(path) -> bool:
    """A posix path relative to the output folder that cannot leave it."""
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        return False
    parts = path.split("/")
    return not path.startswith("/") and ".." not in parts and "" not in parts and ":" not in parts[0]


def scan_archive(output_dir: Path) -> dict:
    """``{slug: [{edition, path, files}]}`` from the folders under ``dist/archive/``."""
    from .editions import ARCHIVE

    root = Path(output_dir) / ARCHIVE
    out: dict = {}
    if not root.is_dir():
        return out
    for slug_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        editions = []
        for ed in slug_dir.iterdir():
            name = ed.name
            if not (ed.is_dir() and name.startswith("edition-") and name[8:].isdigit()):
                continue
            files = sorted(p.relative_to(ed).as_posix() for p in ed.rglob("*") if p.is_file())
            editions.append({"edition": int(name[8:]), "path": ed.relative_to(output_dir).as_posix(),
                             "files": files})
        if editions:
            out[slug_dir.name] = sorted(editions, key=lambda e: e["edition"])
    return out


def dumps(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_manifest(output_dir: Path, manifest: dict) -> Path:
    """Write `manifest` atomically: outputs whose file is gone are dropped, outputs are
    sorted by path, and the archive section is read back from ``dist/archive/``."""
    from .publish import publish_set

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
    publish_set([(target, dumps(data))])
    return target


# ---------------------------------------------------------------------------------------
# Entries


def _iso(day) -> str | None:
    return day.isoformat() if day else None


_TAG = re.compile(r"<[^>]+>")


def html_to_text(fragment: str) -> str:
    return re.sub(r"\s+", " ", _html.unescape(_TAG.sub("", fragment))).strip()


def content_sha256(article) -> str:
    """The digest versions without fingerprints recorded (title, subtitle, summary, body,
    the references file's bytes): kept to match sign-offs they published. The content
    fingerprint proper is `article.content_fingerprint`."""
    h = hashlib.sha256()
    body = "\n".join(line.rstrip() for line in article.body.strip("\n").split("\n"))
    for part in (article.title, article.subtitle, article.summary, body):
        h.update(part.encode() + b"\0")
    path = getattr(getattr(article, "references", None), "path", None)
    if path:
        try:
            h.update(Path(path).read_bytes())
        except OSError:
            pass
    return h.hexdigest()


def article_entry(article, bibliography=None, status=None) -> dict:
    """The article's facts for the manifest (plain, picklable data; built in the worker).
    `status`: its `editions.ReviewStatus` (default: bound without any publication record)."""
    from .editions import latest_review, review_status
    from .inputs import used_files

    status = status or review_status(article)
    refs = []
    for e in getattr(bibliography, "entries", ()) or ():
        fragment = getattr(e, "html", "")
        text = getattr(e, "text", None) or html_to_text(fragment)
        refs.append({"number": e.number, "html": fragment, "text": text})
    folder = article.path.parent
    try:
        files = [p.relative_to(folder).as_posix() for p in used_files(article.path)]
    except OSError:
        files = ["article.md"]
    due = getattr(article, "next_review_due", None)
    if due is None and article.reviewers:
        from .editions import next_review_due

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


def outputs_of(manifest: dict, slug: str) -> list[dict]:
    return [o for o in manifest.get("outputs", []) if o.get("slug") == slug]


def is_unchanged(manifest: dict, output_dir: Path, path: str, inputs_sha256: str) -> bool:
    """True when `path` was published from the same inputs and is still there, same size."""
    for item in manifest.get("outputs", []):
        if item.get("path") == path:
            target = Path(output_dir) / path
            try:
                return (item.get("inputs_sha256") == inputs_sha256
                        and target.stat().st_size == item.get("bytes"))
            except OSError:
                return False
    return False
