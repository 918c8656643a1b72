"""The archive of earlier editions, and publishing an article's set.

- A new edition never destroys the old one: when ``edition`` goes up, the previous
  edition's PDFs and its sources are copied to ``dist/archive/<slug>/edition-<N>/`` (a
  staged folder renamed into place, so it appears whole or not at all) before the new
  set is published; the old edition's files the new set does not replace are then
  removed from ``dist/`` (they live in the archive). Building an older edition number
  than the one published or archived is an error.

Layout of one archived edition (stable; the reviewer's packet reads it)::

    dist/archive/<slug>/edition-<N>/
        edition.json          the article's manifest entry of that edition + its files
        <slug>.pdf …          its PDFs, same relative names as in dist/ (clinics/<id>/ too)
        source/article.md     its sources: article.md, the references file, images/…

``dist/source/<slug>/`` publishes what the handout is made from, and nothing else:
``article.md``, its references file, and the images its text embeds (PNG, JPEG, GIF,
WebP, and SVG as `guard.svg.clean_svg` cleaned it for the PDF), so no file of the
article's folder is served to readers' browsers as a page of its own (`published_files`).

Every path under ``dist/`` this module reads or writes must stay inside it: an archive
folder that is a symbolic link to elsewhere is refused with one line (`archive_dir`).

Only the publish stage writes; this module decides and calls `publish.publish_set`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

from handouts.guard import paths
from handouts.errors import InputError
from handouts.dist.publish import check_within, publish_set, read_regular, temp_path
from handouts.dist.records import (ArchiveEntry, ArchivedEdition, ArticleRecord, Manifest, OutputRecord,
                                   ReviewBaseline, inside_output, slug_ok, valid_edition)

ARCHIVE = "archive"
SOURCE = "source"
EDITION_FILE = "edition.json"


def article_path(config, slug: str, path) -> Path:
    """The article file of `slug` (`path` when given)."""
    return Path(path) if path else Path(config.source_dir) / slug / "article.md"


# ---------------------------------------------------------------------------------------
# The archive: reader API (the reviewer's packet and the site use these)


def archive_dir(config, slug: str, n: int | None = None) -> Path:
    """``dist/archive/<slug>[/edition-<n>]``; an `InputError` when it leads outside dist/."""
    folder = Path(config.output_dir) / ARCHIVE / slug
    folder = folder if n is None else folder / f"edition-{n}"
    check_within(config.output_dir, folder)
    return folder


def edition_number(folder_name: str) -> int | None:
    """``edition-3`` -> 3; anything else (``edition-x``, ``notes``) -> None."""
    number = folder_name.removeprefix("edition-")
    return int(number) if folder_name.startswith("edition-") and number.isdigit() else None


def archived_editions(config, slug: str) -> list[int]:
    """The edition numbers archived for `slug`, ascending (real folders, not links)."""
    folder = archive_dir(config, slug)
    out = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            number = edition_number(entry.name)
            if number is not None and entry.is_dir(follow_symlinks=False):
                out.append(number)
    return sorted(out)


def archived_source(config, slug: str, n: int) -> Path:
    """``dist/archive/<slug>/edition-<n>/source/article.md`` (its references file and
    images/ beside it). Raises `InputError` when that edition is not archived."""
    path = archive_dir(config, slug, n) / SOURCE / "article.md"
    if not path.is_file() or path.is_symlink():
        held = ", ".join(map(str, archived_editions(config, slug))) or "none"
        raise InputError.at(archive_dir(config, slug), None,
                            f"edition {n} of '{slug}' is not in the archive (archived: {held})",
                            "build the article once per edition to archive it")
    return path


def read_edition(folder: Path, slug: str) -> ArchivedEdition | None:
    """The ``edition.json`` of the archived edition in `folder`, checked (None when it is
    absent, not a regular file of at most 16 MB, or holds no usable record)."""
    try:
        data = json.loads(read_regular(Path(folder) / EDITION_FILE, 16 * 2**20))
    except (OSError, ValueError):
        return None
    return ArchivedEdition.from_json(data, slug)


def archived_entry(config, slug: str, n: int) -> ArchivedEdition | None:
    """What was published as edition `n` of `slug`: the article's record as it was
    (title, reviewers, content fingerprint, …), the archived files and their kinds."""
    return read_edition(archive_dir(config, slug, n), slug)


def scan_archive(output_dir: Path) -> dict[str, tuple[ArchiveEntry, ...]]:
    """The archived editions of each article, from the folders under ``dist/archive/``
    (symbolic links are not followed; an archive folder leading outside dist/ is empty)."""
    root = Path(output_dir) / ARCHIVE
    out: dict = {}
    if not _real_dir(root) or not inside_output(root, output_dir):
        return out
    for slug_dir in sorted(p for p in root.iterdir() if slug_ok(p.name) and _real_dir(p)):
        editions = []
        for ed in slug_dir.iterdir():
            number = edition_number(ed.name)
            if not (number is not None and _real_dir(ed) and valid_edition(number)):
                continue
            files = sorted(Path(d, n).relative_to(ed).as_posix() for d, _, names in os.walk(ed)
                           for n in names if Path(d, n).is_file() and not Path(d, n).is_symlink())
            editions.append(ArchiveEntry(number, ed.relative_to(output_dir).as_posix(), tuple(files)))
        if editions:
            out[slug_dir.name] = tuple(sorted(editions, key=lambda e: e.edition))
    return out


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


# ---------------------------------------------------------------------------------------
# Publishing an article's set


def check_edition(config, slug: str, edition: int, manifest: Manifest, path=None) -> None:
    """An `InputError` when `edition` is older than the published or archived one."""
    published = manifest.articles[slug].edition if slug in manifest.articles else 0
    archived = max(archived_editions(config, slug), default=0)
    newest = max(published, archived)
    if edition < newest:
        where = "published" if published >= archived else "archived"
        raise InputError.at(article_path(config, slug, path), None,
                            f"edition {edition} is older than edition {newest} already {where}",
                            f"set 'edition: {newest}' to rebuild it, or 'edition: {newest + 1}' "
                            "for a new edition")


def _relative(config, path: Path) -> str:
    """`path` (built from the output folder) relative to it; links are not followed here:
    `publish_set` refuses a target that leads outside."""
    return Path(path).relative_to(Path(config.output_dir)).as_posix()


def publish_article(config, slug: str, edition: int, files, manifest: Manifest, *, article: Path,
                    entry: ArticleRecord) -> tuple[ArticleRecord, frozenset[str]]:
    """Publish one article's outputs `files` ([(path, bytes)]) and its sources as one set.

    Archives the previous edition first when `edition` went up, and removes the previous
    edition's outputs that the new set does not replace. Returns the article's record as
    published (`entry` with its review baseline) and the paths of the outputs removed.
    Raises `InputError`.
    """
    out_dir = Path(config.output_dir)
    article = Path(article)
    edition = edition or entry.edition
    check_edition(config, slug, edition, manifest, article)
    files = [(Path(p), d) for p, d in files]
    new_paths = {_relative(config, p) for p, _ in files}
    for item in manifest.outputs:  # a file another article owns (across runs)
        if item.path in new_paths and item.slug != slug:
            raise InputError.at(out_dir / item.path, None,
                                f"output name collision: '{slug}' would overwrite the "
                                f"{item.variant} of '{item.slug}'",
                                "rename one of the article folders (the slug)")

    # The sources, as published beside the PDFs (and archived with them).
    source_dir = out_dir / SOURCE / slug
    sources = [(source_dir / rel, data) for rel, data in source_bytes(
        article.parent, entry.source_files or ["article.md"])]
    new_source = {_relative(config, p) for p, _ in sources}
    old = manifest.articles.get(slug)
    old_source = {f"{SOURCE}/{slug}/{rel}" for rel in (old.source_files if old else ())}

    remove: list[Path] = [out_dir / rel for rel in sorted(old_source - new_source)]
    dropped: frozenset[str] = frozenset()
    if old is not None and edition > old.edition:
        old_outputs = [o for o in manifest.outputs if o.slug == slug and o.edition == old.edition]
        archive_edition(config, slug, old.edition, old, old_outputs)
        dropped = frozenset(o.path for o in old_outputs) - new_paths
        remove += [out_dir / rel for rel in sorted(dropped)]

    home = out_dir.resolve()
    remove = [p for p in remove if p.parent.resolve().is_relative_to(home)]  # never outside dist/
    publish_set(files + sources, remove=remove, within=out_dir)
    with contextlib.suppress(OSError):
        source_dir.is_dir() and not source_dir.is_symlink() and _prune_empty(source_dir)
    # `review_baseline`: kept for readers of older manifests (the first edition published
    # with the latest review date); `signoffs` is what this version reads.
    baseline = old.review_baseline if old else None
    if entry.reviewed and (baseline.reviewed if baseline else None) != entry.reviewed:
        baseline = ReviewBaseline(entry.reviewed, entry.content_sha256, edition)
    translates = None
    if entry.translation_of:
        from handouts.dist.translations import binding

        translates = binding(entry, old, manifest.articles)
    return replace(entry, review_baseline=baseline, translates=translates), dropped


#: Image files published under dist/source/<slug>/ (what a static host serves as an image).
PUBLISHED_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")


def published_files(article) -> list[str]:
    """What ``dist/source/<slug>/`` publishes of a loaded article: ``article.md``, its
    references files and the images its text embeds (`PUBLISHED_IMAGES`), as posix
    paths relative to the article's folder, sorted. Any other file (notes, a page the
    text merely names) stays private."""
    from handouts.source.images import image_sources, local_image_name
    from handouts.references.readers import FORMATS

    folder = Path(article.path).parent
    names = {"article.md"}
    for ref in article.references.paths:
        if Path(ref).suffix.lower() in FORMATS and paths.inside(ref, [folder]):
            names.add(Path(os.path.realpath(ref)).relative_to(os.path.realpath(folder)).as_posix())
    for _, src in image_sources(article.body, article.body_line)[1]:
        name = local_image_name(src)
        if name and Path(name).suffix.lower() in PUBLISHED_IMAGES and ".." not in Path(name).parts \
                and not Path(name).is_absolute() \
                and paths.check_file(folder / name, [folder], what="image") is None:
            names.add(Path(os.path.normpath(name)).as_posix())
    return sorted(names)


def source_bytes(folder: Path, names) -> list[tuple[str, bytes]]:
    """The bytes to publish for `names` (`published_files`): an SVG as `clean_svg` makes
    it; a file that is not what its name says (an "image" holding HTML), is not a regular
    file of `folder`, or cannot be cleaned, is left out."""
    from handouts.guard import svg

    out = []
    for rel in names:
        path = Path(folder) / rel
        if paths.check_file(path, [folder], what="source", links=False) is not None:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        suffix = path.suffix.lower()
        if suffix in PUBLISHED_IMAGES:
            if suffix == ".svg" or svg.looks_like_xml(data):
                try:
                    data = svg.clean_svg(data).encode("utf-8")
                except (svg.UnsafeSVG, ValueError):
                    continue
        out.append((rel, data))
    return out


def _prune_empty(folder: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        if not os.listdir(dirpath):
            os.rmdir(dirpath)


def archive_edition(config, slug: str, n: int, entry: ArticleRecord,
                    outputs: list[OutputRecord]) -> Path | None:
    """Copy edition `n` (its `outputs` and ``dist/source/<slug>/``) to
    ``dist/archive/<slug>/edition-<n>/``: staged in a temporary folder, fsynced, renamed
    into place. An edition already archived (a previous run archived it and then failed)
    is kept as it is. ``edition.json`` keeps the article's record `entry` and what each
    file is (kind, variant, paper, clinic)."""
    out_dir = Path(config.output_dir)
    final = archive_dir(config, slug, n)
    if final.exists() or final.is_symlink():
        return None
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = temp_path(final)
    copied: list[str] = []
    try:
        staged.mkdir()
        for rel in sorted({o.path for o in outputs}):
            src = out_dir / rel
            if src.is_file() and not src.is_symlink() and paths.inside(src, [out_dir]):
                _copy(src, staged / rel)
                copied.append(rel)
        source = out_dir / SOURCE / slug
        if source.is_dir() and not source.is_symlink() and paths.inside(source, [out_dir]):
            for folder, _, names in sorted(os.walk(source)):  # links to folders: not followed
                for path in sorted(Path(folder, n) for n in names):
                    if path.is_file() and not path.is_symlink():
                        rel = f"{SOURCE}/{path.relative_to(source).as_posix()}"
                        _copy(path, staged / rel)
                        copied.append(rel)
        info = ArchivedEdition(replace(entry, edition=n), tuple(copied),
                               tuple(o for o in outputs if o.path in copied))
        _write(staged / EDITION_FILE, (json.dumps(info.to_json(), indent=1, sort_keys=True,
                                                  ensure_ascii=False) + "\n").encode())
        os.rename(staged, final)
    except OSError as exc:
        shutil.rmtree(staged, ignore_errors=True)
        for folder in (final.parent, final.parent.parent):  # archive/<slug>/, archive/ if empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise InputError.at(final, None, f"cannot archive edition {n}: {exc.strerror or exc}",
                            "free some disk space or make dist/archive writable; nothing was "
                            "replaced") from None
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return final


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _copy(src: Path, target: Path) -> None:
    _write(target, src.read_bytes())
