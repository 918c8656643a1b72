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

import errno
import hashlib
import html as _html
import json
import os
import re
from pathlib import Path

FORMAT = "handouts-manifest"
VERSION = 1
NAME = "manifest.json"


def _generator() -> str:
    from handouts import __version__

    return f"handouts {__version__}"


def empty_manifest() -> dict:
    return {"format": FORMAT, "version": VERSION, "generator": _generator(),
            "articles": {}, "outputs": [], "archive": {}}


def manifest_path(output_dir: Path) -> Path:
    return Path(output_dir) / NAME


def read_manifest(output_dir: Path, *, limits=None, warnings: list | None = None) -> dict:
    """The manifest of `output_dir`, every entry checked (`valid_manifest`).

    The manifest is a cache in a folder anyone may have written to, not a source of truth.
    When it is absent, of another format or version, unreadable, not JSON, or larger than
    the ``manifest_bytes`` limit, its records are rebuilt from the files in ``dist/``
    (`recover_manifest`): the published edition of each article is the one its published
    ``source/<slug>/article.md`` says, so a new edition still archives the old one. The
    reason goes to `warnings` (a list of `Diagnostic`) when one is given.
    """
    from handouts.guard import limits as limits_mod
    from handouts.errors import warning

    output_dir = Path(output_dir)
    path = manifest_path(output_dir)
    problem = None
    try:
        data = json.loads(read_regular(path, limits_mod.get(limits, "manifest_bytes")))
    except FileNotFoundError:
        return recover_manifest(output_dir)
    except _TooLarge as exc:
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


class _TooLarge(ValueError):
    def __init__(self, size: int):
        self.size = size


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of `path`, a regular file (not a symbolic link, FIFO or device) of at
    most `max_bytes`."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if st.st_size > max_bytes:
            raise _TooLarge(st.st_size)
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _TooLarge(len(data))
    return data


# ---------------------------------------------------------------------------------------
# Checking what was read


_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}")
_TEXT_FIELDS = ("title", "subtitle", "summary", "publisher", "disclaimer", "source_url", "source",
                "content_sha256", "variant", "paper", "inputs_sha256")
_DATE_FIELDS = ("reviewed", "updated", "next_review_due")


def _edition(value) -> int | None:
    from handouts.dist.editions import MAX_EDITION

    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_EDITION
    return value if ok else None


def _date(value) -> str | None:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            import datetime as dt

            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def _texts(value) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _common(entry: dict) -> dict:
    """The fields articles and outputs share, each of its type or dropped/defaulted."""
    out = dict(entry)
    for key in _TEXT_FIELDS:
        if key in out and not isinstance(out[key], str):
            out[key] = "" if key in ("title", "subtitle", "summary") else None
    for key in _DATE_FIELDS:
        if key in out:
            out[key] = _date(out[key])
    if "lang" in out and not (isinstance(out["lang"], str) and _LANG.fullmatch(out["lang"])):
        out["lang"] = "en"
    if "edition" in out:
        out["edition"] = _edition(out["edition"])
    return out


def _valid_article(entry) -> dict | None:
    if not isinstance(entry, dict):
        return None
    out = _common(entry)
    if out.get("edition") is None:
        return None  # the published edition decides archiving: never guessed
    out["keywords"] = _texts(out.get("keywords"))
    out["authors"] = _texts(out.get("authors"))
    out["draft"] = out.get("draft") is True
    out["reviewers"] = [{"name": r["name"], **{k: r[k] for k in ("credential", "specialty", "content")
                                                if isinstance(r.get(k), str)},
                         **({"covers": r["covers"]} if isinstance(r.get("covers"), bool) else {}),
                         "reviewed": _date(r.get("reviewed"))}
                        for r in out.get("reviewers") or () if isinstance(r, dict)
                        and isinstance(r.get("name"), str)] if isinstance(out.get("reviewers"), list) else []
    out["references"] = [{"number": r["number"], "html": r["html"],
                          "text": r["text"] if isinstance(r.get("text"), str) else ""}
                         for r in out.get("references") or ()
                         if isinstance(r, dict) and isinstance(r.get("html"), str)
                         and isinstance(r.get("number"), int) and not isinstance(r["number"], bool)
                         ] if isinstance(out.get("references"), list) else []
    out["source_files"] = [f for f in _texts(out.get("source_files")) if safe_relative(f)]
    base = out.get("review_baseline")
    if base is not None and not (isinstance(base, dict) and _edition(base.get("edition"))
                                 and _date(base.get("reviewed"))
                                 and isinstance(base.get("content_sha256"), str)):
        out["review_baseline"] = None
    return out


def output_path_ok(path, slug) -> bool:
    """An output's path: ``<slug>….pdf`` at the top of dist/ or ``clinics/<id>/<slug>….pdf``,
    never in another article's name space or the archive, sources or review packets."""
    if not (safe_relative(path) and isinstance(slug, str) and slug_ok(slug)):
        return False
    parts = path.split("/")
    if len(parts) not in (1, 3) or (len(parts) == 3 and (parts[0] != "clinics" or not slug_ok(parts[1]))):
        return False
    from handouts.variants.kinds import output_suffixes

    name = parts[-1]
    return name.endswith(".pdf") and name.startswith(slug) and \
        name[len(slug):-4] in {"", *output_suffixes()}


def _valid_output(entry) -> dict | None:
    if not isinstance(entry, dict) or not output_path_ok(entry.get("path"), entry.get("slug")):
        return None
    out = _common(entry)
    for key in ("pages", "bytes"):
        value = out.get(key)
        out[key] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
    if not (isinstance(out.get("sha256"), str) and _SHA256.fullmatch(out["sha256"])):
        out["sha256"] = None  # never "unchanged" (see `output_intact`)
    if out.get("clinic") is not None and not (isinstance(out["clinic"], str) and slug_ok(out["clinic"])):
        return None
    out["warnings"] = _texts(out.get("warnings"))
    return out


def slug_ok(name) -> bool:
    from handouts.guard.paths import slug_problem

    return isinstance(name, str) and slug_problem(name) is None


def valid_manifest(output_dir: Path, data: dict, warnings: list | None = None) -> dict:
    """`data` with every entry checked: an article under a valid slug with a valid edition,
    outputs whose paths are theirs (`output_path_ok`), fields of their types (texts,
    ISO dates, language tags; others dropped or defaulted). The archive section is read
    from ``dist/archive/`` itself (`scan_archive`). An article whose record is unusable
    is recovered from its published sources, as when there is no manifest."""
    manifest = empty_manifest()
    articles = data.get("articles") if isinstance(data.get("articles"), dict) else {}
    outputs = data.get("outputs") if isinstance(data.get("outputs"), list) else []
    lost = []
    for slug, entry in articles.items():
        if slug_ok(slug):
            if (checked := _valid_article(entry)) is not None:
                manifest["articles"][slug] = checked
            else:
                lost.append(slug)
    manifest["outputs"] = [o for o in map(_valid_output, outputs)
                           if o is not None and o["slug"] in manifest["articles"]]
    if lost:
        if warnings is not None:
            from handouts.errors import warning

            warnings.append(warning(manifest_path(output_dir), None, "unusable record(s) of "
                                    + ", ".join(f"'{slug}'" for slug in lost[:5]),
                                    "they were rebuilt from the files in the output folder"))
        found = recover_manifest(output_dir, only=set(lost))
        manifest["articles"].update(found["articles"])
        manifest["outputs"] += found["outputs"]
    manifest["archive"] = scan_archive(output_dir)
    return manifest


def recover_manifest(output_dir: Path, only: set[str] | None = None) -> dict:
    """A manifest rebuilt from the files in `output_dir`: for each published
    ``source/<slug>/article.md`` (its front matter gives the edition, title, language),
    the article's PDFs found under their output names. Outputs carry no inputs hash, so
    the next build rebuilds them (after archiving them if the edition went up)."""
    from handouts.variants.kinds import output_suffixes

    output_dir = Path(output_dir)
    manifest = empty_manifest()
    sources = output_dir / "source"
    if not sources.is_dir() or not inside_output(sources, output_dir):
        return manifest
    pdfs = _pdfs_on_disk(output_dir)
    ends = {"", *output_suffixes()}
    for folder in sorted(os.scandir(sources), key=lambda e: e.name):
        slug = folder.name
        if (only is not None and slug not in only) or not slug_ok(slug) \
                or not folder.is_dir(follow_symlinks=False):
            continue
        meta = _front_matter(Path(folder.path) / "article.md")
        edition = _edition(meta.get("edition", 1))
        if edition is None:
            continue
        files = sorted(Path(d, n).relative_to(folder.path).as_posix()
                       for d, _, names in os.walk(folder.path) for n in names)
        manifest["articles"][slug] = _common({
            "title": meta.get("title"), "lang": meta.get("lang"), "edition": edition,
            "draft": meta.get("draft") is True, "source": f"source/{slug}/article.md",
            "source_files": files})
        for rel in pdfs:
            stem = rel.rsplit("/", 1)[-1][:-4]
            if stem.startswith(slug) and stem[len(slug):] in ends:
                manifest["outputs"].append(_recovered_output(output_dir, rel, slug, edition))
    return manifest


def _pdfs_on_disk(output_dir: Path) -> list[str]:
    """The regular ``*.pdf`` files at the top of dist/ and in ``clinics/<id>/``."""
    found = []
    folders = [(output_dir, "")]
    clinics = output_dir / "clinics"
    if clinics.is_dir() and not clinics.is_symlink():
        folders += [(Path(e.path), f"clinics/{e.name}/") for e in os.scandir(clinics)
                    if e.is_dir(follow_symlinks=False) and slug_ok(e.name)]
    for folder, prefix in folders:
        for e in os.scandir(folder):
            if e.name.endswith(".pdf") and e.is_file(follow_symlinks=False):
                found.append(prefix + e.name)
    return sorted(found)


def _recovered_output(output_dir: Path, rel: str, slug: str, edition: int) -> dict:
    from handouts.project.config import PAPERS

    stem = rel.rsplit("/", 1)[-1][len(slug):-4]
    paper = next((p for p in PAPERS if stem.endswith(f"-{p}")), None)
    piece = stem[:-len(paper) - 1] if paper else stem
    variant = piece.lstrip("-").removesuffix("-pages") or "handout"
    data = (output_dir / rel).read_bytes()
    return {"path": rel, "slug": slug, "edition": edition, "variant": variant, "paper": paper,
            "clinic": rel.split("/")[1] if rel.startswith("clinics/") else None, "pages": 0,
            "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "inputs_sha256": None,
            "warnings": []}


def _front_matter(path: Path) -> dict:
    """The front matter of a published article.md as a dict ({} when it cannot be read)."""
    import yaml

    from handouts.guard import limits as limits_mod

    try:
        text = read_regular(path, limits_mod.DEFAULT.article_bytes).decode("utf-8", "replace")
    except (OSError, _TooLarge):
        return {}
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    head = text[3:end] if end != -1 else ""
    if limits_mod.yaml_preflight(head, max_depth=limits_mod.DEFAULT.front_matter_depth,
                                 max_nodes=limits_mod.DEFAULT.front_matter_nodes):
        return {}
    try:
        meta = yaml.safe_load(head)
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def inside_output(path: Path, output_dir: Path) -> bool:
    """True when `path`, symbolic links resolved, lies inside the output folder."""
    from handouts.guard.paths import inside

    return inside(path, [output_dir])


def safe_relative(path) -> bool:
    """A posix path relative to the output folder that cannot leave it."""
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        return False
    parts = path.split("/")
    return not path.startswith("/") and ".." not in parts and "" not in parts and ":" not in parts[0]


def scan_archive(output_dir: Path) -> dict:
    """``{slug: [{edition, path, files}]}`` from the folders under ``dist/archive/``
    (symbolic links are not followed; an archive folder leading outside dist/ is empty)."""
    from handouts.dist.editions import ARCHIVE

    root = Path(output_dir) / ARCHIVE
    out: dict = {}
    if not _real_dir(root) or not inside_output(root, output_dir):
        return out
    for slug_dir in sorted(p for p in root.iterdir() if slug_ok(p.name) and _real_dir(p)):
        editions = []
        for ed in slug_dir.iterdir():
            name = ed.name
            if not (_real_dir(ed) and name.startswith("edition-") and name[8:].isdigit()
                    and _edition(int(name[8:]))):
                continue
            files = sorted(Path(d, n).relative_to(ed).as_posix() for d, _, names in os.walk(ed)
                           for n in names if Path(d, n).is_file() and not Path(d, n).is_symlink())
            editions.append({"edition": int(name[8:]), "path": ed.relative_to(output_dir).as_posix(),
                             "files": files})
        if editions:
            out[slug_dir.name] = sorted(editions, key=lambda e: e["edition"])
    return out


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def dumps(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_manifest(output_dir: Path, manifest: dict) -> Path:
    """Write `manifest` atomically: outputs whose file is gone are dropped, outputs are
    sorted by path, and the archive section is read back from ``dist/archive/``."""
    from handouts.dist.publish import publish_set

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
    from handouts.dist.editions import latest_review, published_files, review_status

    status = status or review_status(article)
    refs = []
    for e in getattr(bibliography, "entries", ()) or ():
        fragment = getattr(e, "html", "")
        text = getattr(e, "text", None) or html_to_text(fragment)
        refs.append({"number": e.number, "html": fragment, "text": text})
    files = published_files(article)
    due = getattr(article, "next_review_due", None)
    if due is None and article.reviewers:
        from handouts.dist.editions import next_review_due

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


#: A recorded diagnostic's text: ``path[:line]: severity: message``.
_RECORDED = re.compile(r"(?P<path>[^\n]+?)(?::(?P<line>\d+))?: (?P<severity>error|warning|info): "
                       r"(?P<message>.*)", re.S)


def restored(text: str, root: Path):
    """A recorded warning (`_portable` text) as a `Diagnostic` whose path is the file under
    `root` again, so a replayed warning prints as a fresh one does; text that does not name
    a file of the project stays text."""
    from handouts.errors import Diagnostic

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
    except (OSError, _TooLarge, ValueError, TypeError):
        return False
    return (len(data) == entry.get("bytes") and inside_output(path, output_dir)
            and hashlib.sha256(data).hexdigest() == entry["sha256"])
