"""Finding articles: the project a folder belongs to, its articles, what a command line's
targets name, and the front-matter peeks planning needs. The one home of these rules."""

from __future__ import annotations

import re
from pathlib import Path

from handouts.errors import Diagnostic, InputError, did_you_mean
from handouts.guard.paths import open_checked
from handouts.project.config import Config

#: The file that makes a folder under ``source/`` an article.
ARTICLE_FILE = "article.md"


def find_project(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding ``handouts.toml`` or ``source/``,
    as git and MkDocs look for their root; None when there is none."""
    start = start.absolute()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        if (folder / "handouts.toml").exists() or (folder / "source").is_dir():
            return folder
    return None


def find_articles(source_dir: Path) -> list[Path]:
    """Every ``<slug>/article.md`` under `source_dir`, sorted by slug."""
    try:
        return sorted(p for p in source_dir.glob(f"*/{ARTICLE_FILE}"))
    except OSError:
        return []


def article_at(config: Config, where: Path) -> Path | None:
    """The article whose folder holds `where` (a file or folder inside source/<slug>/)."""
    source = config.source_dir.resolve()
    try:
        parts = where.resolve().relative_to(source).parts
    except (ValueError, OSError):
        return None
    if not parts:
        return None
    candidate = config.source_dir / parts[0] / ARTICLE_FILE
    return candidate if candidate.is_file() else None


def resolve_targets(config: Config, targets: list[str], cwd: Path | None = None) -> list[Path]:
    """Command-line targets (slugs, folders, files) -> article.md paths of this project.

    No targets: the article the current folder is in, else every article.
    """
    cwd = cwd or Path.cwd()
    if not targets:
        here = article_at(config, cwd)
        if here:
            return [here]
        found = find_articles(config.source_dir)
        if not found:
            raise InputError.at(config.source_dir, None, "no articles found",
                                f"add a folder with an {ARTICLE_FILE} under it, or run "
                                "handouts inside a project (a folder with handouts.toml)")
        return found
    paths: list[Path] = []
    for target in targets:
        path = None
        as_path = cwd / target
        if as_path.exists():
            path = article_at(config, as_path)
            if path is None:
                raise InputError.at(target, None, "not an article of this project",
                                    f"articles live in {config.source_dir}/<slug>/{ARTICLE_FILE}")
        elif (config.source_dir / target / ARTICLE_FILE).is_file() and "/" not in target \
                and target not in (".", ".."):
            path = config.source_dir / target / ARTICLE_FILE
        if path is None:
            slugs = [p.parent.name for p in find_articles(config.source_dir)]
            hint = did_you_mean(target, slugs) or \
                f"articles live in {config.source_dir}/<slug>/{ARTICLE_FILE}"
            raise InputError.at(target, None, "no such article", hint)
        if path not in paths:
            paths.append(path)
    return paths


_LANG = re.compile(r"^lang\s*:\s*['\"]?([A-Za-z0-9-]+)", re.M)
_DRAFT = re.compile(r"^draft\s*:\s*['\"]?(true|yes|on)['\"]?\s*(#.*)?$", re.M | re.I)


def front_matter_head(article: Path, roots=None) -> str | None:
    """The front matter's text (up to its closing ``---``), read without parsing the YAML.
    An article the build may not read (outside `roots`, default its folder; not a regular
    file) is not opened: None."""
    handle = open_checked(article, roots or [article.parent], what="the article")
    if isinstance(handle, Diagnostic):
        return None
    with handle:
        head = handle.read(65536).decode("utf-8", "replace")
    end = head.find("\n---", 3)
    return head[:end] if end > 0 else head


def front_matter_draft(article: Path, roots=None) -> bool:
    """Whether the front matter says ``draft: true`` (for planning)."""
    head = front_matter_head(article, roots)
    return bool(head and _DRAFT.search(head))


def front_matter_lang(article: Path, roots=None) -> str | None:
    """The ``lang:`` of an article's front matter, read without parsing the YAML (for
    planning; the load stage validates it)."""
    head = front_matter_head(article, roots)
    if head is None:
        return None
    m = _LANG.search(head)
    return m.group(1) if m else "en"
