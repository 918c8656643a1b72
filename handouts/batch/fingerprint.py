"""What an output depends on, as one sha256: the record that makes rebuilds incremental.

`inputs_sha256(config, job)` hashes everything a job's PDF is made from:

- the article: ``article.md``, its references file and the images its text names
  (`used_files`: the files of the article's folder whose relative path the article
  mentions, plus the ``references.*`` file found beside it);
- the project: every theme file, built-in or overridden by the project's ``styles/``
  (templates, CSS, labels, ICC profiles; the download site's ``site/`` excepted), the settings of ``handouts.toml`` that
  shape a PDF (not the output folder, not the other clinics), the job's clinic profile,
  and the CSL style file when it is a path;
- the software: the versions of handouts, WeasyPrint, pydyf, citeproc-py (+ styles),
  pypdf, Markdown and Jinja2 (read with `importlib.metadata`: none is imported) and a
  digest of handouts' own source, so a changed engine rebuilds (`software`);
- the job: slug, variant, paper, clinic, bleed, allow_draft; and SOURCE_DATE_EPOCH for
  an article without an ``updated:`` date (a draft takes its date from it).

Paths enter the hash relative to the project, so another checkout folder gives the same
hash. The theme's part is the digest `Theme.load` took when the run loaded the project.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import quote

from handouts.guard import limits as limits_mod
from handouts.guard import paths
from handouts.errors import Diagnostic
from handouts.batch.software import engine_digest, versions

#: Bump when the way the inputs are hashed changes: every output is rebuilt once.
SCHEME = "handouts-inputs/1"

_REFERENCES = re.compile(r"^references\.[A-Za-z]+$")
_UPDATED = re.compile(rb"^updated\s*:", re.M)
#: Config fields that do not change a PDF (where files go, the other clinics).
_CONFIG_SKIP = {"root", "source_dir", "output_dir", "styles_dir", "clinics", "theme"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------
# The article's files


def used_files(article_md: Path, roots=None) -> list[Path]:
    """``article.md``, its references file and the images (any file) of its folder that
    its text names, sorted. A name appears in the text as written in Markdown or HTML:
    plain (``images/a b.png``) or URL-encoded (``images/a%20b.png``). Files the build may
    not read (`paths.check_file`) are left out."""
    article_md = Path(article_md)
    _, text = _article_text(article_md, roots)
    folder = os.fspath(article_md.parent)
    return [article_md] + [article_md.parent / rel
                           for rel, full in sorted(_mentioned(folder, article_md.name, text))
                           if paths.check_file(full, [folder], what="file") is None]


def _open(path: str | Path, roots) -> object | None:
    """`path` opened when the build may read it (`paths.open_checked`: inside `roots`,
    symbolic links resolved, a regular file, not hard-linked), else None: a link to a
    file outside, a FIFO or a device is never opened, only named in the hash."""
    handle = paths.open_checked(path, roots, what="file")
    return None if isinstance(handle, Diagnostic) else handle


def _article_text(article_md: Path, roots=None, max_bytes: int | None = None):
    """(article.md's bytes, its text), or (None, "") when the build may not read it.
    `roots`: where article.md may lie (default: its own folder); at most `max_bytes` of it
    are read (the build refuses a longer one)."""
    handle = _open(article_md, roots or [os.fspath(article_md.parent)])
    if handle is None:
        return None, ""
    with handle:
        data = handle.read(max_bytes + 1 if max_bytes else -1)
    return data, data.decode("utf-8", "replace")


def _mentioned(folder: str, own: str, text: str):
    """(relative posix name, full path) of each file under `folder` (hidden ones left
    out) that `text` names, and of a ``references.*`` file at its top; `own` (article.md)
    is not one of them."""
    stack = [("", folder)]
    while stack:  # os.scandir, strings only: ~0.1 ms for a usual article folder
        prefix, where = stack.pop()
        with os.scandir(where) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                rel = prefix + name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel + "/", entry.path))
                elif not (not prefix and name == own) and (
                        (not prefix and _REFERENCES.match(name)) or rel in text or quote(rel) in text):
                    yield rel, entry.path


def _article_digest(article_md: Path, roots=None, max_bytes: int | None = None) -> tuple[str, bool]:
    """(sha256 over the used files' relative names and bytes, has an updated: date): each
    file the text names (`_mentioned`) is checked and read in one `paths.open_checked`; a
    file the build may not read enters by its name alone (the build then refuses it)."""
    article_md = Path(article_md)
    data, text = _article_text(article_md, roots, max_bytes)
    h = hashlib.sha256()
    if data is None:
        h.update(article_md.name.encode() + b"\0refused\n")
        return h.hexdigest(), False
    h.update(article_md.name.encode() + b"\0" + _sha(data).encode() + b"\n")
    folder = os.fspath(article_md.parent)
    read: list[tuple[str, str]] = []
    refused: list[str] = []
    for rel, full in _mentioned(folder, article_md.name, text):
        handle = _open(full, [folder])
        if handle is None:
            refused.append(rel)
            continue
        file_hash = hashlib.sha256()
        with handle:
            while chunk := handle.read(1 << 20):
                file_hash.update(chunk)
        read.append((rel, file_hash.hexdigest()))
    for rel, digest in sorted(read):
        h.update(rel.encode() + b"\0" + digest.encode() + b"\n")
    for rel in sorted(refused):
        h.update(rel.encode() + b"\0refused\n")
    return h.hexdigest(), bool(_UPDATED.search(data))


# ---------------------------------------------------------------------------------------
# The project's part


def _plain(value, root: Path):
    """A JSON-able, checkout-independent form of a config value; files named by it are
    represented by their content's hash."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), root) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v, root) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v, root) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (Path, str)) and str(value):
        text = str(value)
        path = Path(text)
        if path.is_absolute() or isinstance(value, Path) or _FILE_NAME.match(text):
            path = path if path.is_absolute() else root / path
            try:
                rel = path.resolve().relative_to(root).as_posix()
            except ValueError:
                rel = text
            try:
                return {"file": rel, "sha256": _sha(path.read_bytes())} if path.is_file() else rel
            except OSError:
                return rel
        return text
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return repr(value)


#: A setting that names a file relative to the project (a clinic's logo, a press ICC
#: profile, a .csl style): its content is the input, not its name.
_FILE_NAME = re.compile(r"^[^\s:]+\.(svg|png|jpe?g|gif|webp|icc|icm|csl|css|ya?ml|json|toml)$", re.I)


@functools.lru_cache(maxsize=16)
def _project_digest(config_key: str, theme_digest: str) -> str:
    h = hashlib.sha256()
    h.update(SCHEME.encode() + b"\n")
    h.update(json.dumps(versions(), sort_keys=True).encode() + b"\n")
    h.update(engine_digest().encode() + b"\n")
    h.update(theme_digest.encode() + b"\n")
    h.update(config_key.encode())
    return h.hexdigest()


def project_digest(config) -> str:
    """The part of every job's hash that is the same for the whole project."""
    now = time.monotonic()
    hit = _PROJECT_CACHE.get(id(config))
    if hit and hit[0] is config and now - hit[2] < CACHE_SECONDS:
        return hit[1]
    root = Path(config.root).resolve()
    settings = {f.name: _plain(getattr(config, f.name), root)
                for f in dataclasses.fields(config) if f.name not in _CONFIG_SKIP}
    key = json.dumps(settings, sort_keys=True, ensure_ascii=True)
    digest = _project_digest(key, config.theme.digest)
    _PROJECT_CACHE[id(config)] = (config, digest, now)
    return digest


#: A batch hashes each article once for all its jobs, the project once for all articles:
#: results are reused for `CACHE_SECONDS` (a watcher calls `clear_cache` when files change).
CACHE_SECONDS = 2.0
_PROJECT_CACHE: dict[int, tuple] = {}
_ARTICLE_CACHE: dict[Path, tuple] = {}


def clear_cache() -> None:
    _PROJECT_CACHE.clear()
    _ARTICLE_CACHE.clear()
    _project_digest.cache_clear()


def _article_digest_cached(article_md: Path, roots=None, max_bytes=None) -> tuple[str, bool]:
    now = time.monotonic()
    hit = _ARTICLE_CACHE.get(article_md)
    if hit and now - hit[1] < CACHE_SECONDS:
        return hit[0]
    value = _article_digest(article_md, roots, max_bytes)
    if len(_ARTICLE_CACHE) > 4096:
        _ARTICLE_CACHE.clear()
    _ARTICLE_CACHE[article_md] = (value, now)
    return value


def _clinic(config, clinic_id):
    if clinic_id is None:
        return None
    if clinic_id in config.clinics:
        return config.clinics[clinic_id]
    try:
        return config.clinic(clinic_id)
    except Exception:  # an unknown clinic: the build reports it
        return clinic_id


def _press_profile(config) -> str | None:
    """sha256 of the CMYK profile the press variant embeds (handouts.toml's
    ``press_profile``, else Ghostscript's default)."""
    setting = config.press_profile
    if setting:
        path = Path(setting) if Path(setting).is_absolute() else Path(config.root) / setting
    else:
        from handouts.variants.kinds import DEFAULT_PRESS_PROFILE

        path = Path(DEFAULT_PRESS_PROFILE)
    try:
        st = path.stat()
        return _file_sha(str(path), st.st_size, st.st_mtime_ns)
    except OSError:
        return None


@functools.lru_cache(maxsize=16)
def _file_sha(path: str, _size: int, _mtime_ns: int) -> str:
    """The file's sha256, cached by its size and modification time."""
    with open(path, "rb") as f:
        return _sha(f.read())


def inputs_sha256(config, job) -> str:
    """The hex sha256 of everything `job` (a `batch.jobs.Job`)'s output is made from (see
    the module text)."""
    article_md = Path(job.article)
    roots = [config.root, config.source_dir]
    article_part, dated = _article_digest_cached(
        article_md, roots, limits_mod.get(config.limits, "article_bytes"))
    clinic = _clinic(config, job.clinic)
    parts = {
        "project": project_digest(config),
        "article": article_part,
        "slug": job.slug or article_md.parent.name,
        "variant": job.variant,
        "paper": job.paper,
        "clinic": None if clinic is None else _plain(clinic, Path(config.root).resolve()),
        "bleed_mm": job.bleed_mm,
        "allow_draft": job.allow_draft,
        "source_date_epoch": None if dated else os.environ.get("SOURCE_DATE_EPOCH"),
        "press_profile": _press_profile(config) if job.variant == "press" else None,
    }
    return _sha(json.dumps(parts, sort_keys=True, ensure_ascii=True, default=repr).encode())
