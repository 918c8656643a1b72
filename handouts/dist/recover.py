"""A manifest rebuilt from the files in ``dist/``, when ``manifest.json`` cannot be trusted
(absent, damaged, of another format) or an article's record in it is unusable.

The published ``source/<slug>/article.md`` of each article gives its edition, title and
language; its PDFs are found under their output names (`variants.kinds.output_kind`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from handouts.guard import limits as limits_mod
from handouts.dist.publish import TooLarge, read_regular
from handouts.dist.records import (ArticleRecord, Manifest, OutputRecord, inside_output, slug_ok,
                                   valid_edition)
from handouts.variants.kinds import output_kind, piece_kinds


def recover_manifest(output_dir: Path, only: set[str] | None = None) -> Manifest:
    """A manifest rebuilt from the files in `output_dir`: for each published
    ``source/<slug>/article.md`` (its front matter gives the edition, title, language),
    the article's PDFs found under their output names. Outputs carry no inputs hash, so
    the next build rebuilds them (after archiving them if the edition went up)."""
    output_dir = Path(output_dir)
    sources = output_dir / "source"
    if not sources.is_dir() or not inside_output(sources, output_dir):
        return Manifest()
    pdfs = _pdfs_on_disk(output_dir)
    articles, outputs = {}, []
    for folder in sorted(os.scandir(sources), key=lambda e: e.name):
        slug = folder.name
        if (only is not None and slug not in only) or not slug_ok(slug) \
                or not folder.is_dir(follow_symlinks=False):
            continue
        meta = _front_matter(Path(folder.path) / "article.md")
        edition = valid_edition(meta.get("edition", 1))
        if edition is None:
            continue
        files = sorted(Path(d, n).relative_to(folder.path).as_posix()
                       for d, _, names in os.walk(folder.path) for n in names)
        articles[slug] = ArticleRecord.from_json({
            "title": meta.get("title"), "lang": meta.get("lang"), "edition": edition,
            "draft": meta.get("draft") is True, "source": f"source/{slug}/article.md",
            "source_files": files})
        outputs += [_recovered_output(output_dir, rel, slug, edition) for rel in pdfs
                    if output_kind(rel, slug) is not None]
    return Manifest(articles, tuple(outputs))


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


def _recovered_output(output_dir: Path, rel: str, slug: str, edition: int) -> OutputRecord:
    kind, paper = output_kind(rel, slug)
    data = (output_dir / rel).read_bytes()
    return OutputRecord(rel, slug, kind, piece_kinds()[kind], paper,
                        rel.split("/")[1] if rel.startswith("clinics/") else None, edition=edition,
                        bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


def _front_matter(path: Path) -> dict:
    """The front matter of a published article.md as a dict ({} when it cannot be read)."""
    import yaml

    try:
        text = read_regular(path, limits_mod.DEFAULT.article_bytes).decode("utf-8", "replace")
    except (OSError, TooLarge):
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
