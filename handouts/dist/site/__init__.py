"""The download site: ``dist/manifest.json`` -> the pages readers browse, read and search.

    entries   manifest -> one entry per reviewed article (facts, downloads, thumbnail,
              editions, its family of translations)                           pages.py
    pages     ``<slug>/index.html``: the web version of the handout (the body the PDF
              was made from, `web.py`), downloads beside it, translations linked
    index     ``index.html`` (+ ``index-<n>.html``): originals with their translations,
              by language, paginated                                           index.py
    sitemap   ``sitemap.xml`` with hreflang alternates, ``robots.txt``: only with
              ``site_url``                                                     sitemap.py
    search    a Pagefind index of the handout pages under ``pagefind/``        search.py

`site_files` is pure with respect to the output folder (it reads thumbnails, archived
editions, ``web.json`` files and the pages it made before, and returns (path, bytes)
pairs); `publish_site` writes them with the publish stage. A handout page is rendered
only when what it is made from changed (`stamp.py`), and written only when its bytes
changed; the search index is rebuilt once, when a handout page changed (or the index is
missing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from handouts.dist.site.common import THUMB_NAME, human_size, og_locale
from handouts.dist.site.index import index_pages
from handouts.dist.site.pages import PAGE, entries, handout_page
from handouts.dist.site.search import BUNDLE, search_bundle
from handouts.dist.site.sitemap import sitemap_files
from handouts.dist.site.stamp import kept, page_key, placeholder, stamped

#: The theme's files copied to the site as they are.
ASSETS = ("site.css", "search.js")

__all__ = ["human_size", "og_locale", "publish_site", "site_files"]


def site_files(output_dir: Path, theme, manifest: dict, default_paper: str = "a4",
               clinic_names: dict[str, str] | None = None, site_url: str = "", *,
               search: bool = True) -> list[tuple[Path, bytes]]:
    """Every page of the site for `manifest` (not the search index: `publish_site`).

    `clinic_names` maps clinic ids to the names readers know them by; `site_url` is where
    the site is published (``site_url`` in handouts.toml), or "" when unknown; `search`:
    the index page offers search (the site has a search index)."""
    output_dir = Path(output_dir)
    found = entries(output_dir, theme, manifest, default_paper, clinic_names or {}, site_url)
    files = [(output_dir / name, theme.path(f"site/{name}").read_bytes()) for name in ASSETS]
    for slug, entry in found.items():
        if entry["thumb_png"]:
            files.append((output_dir / slug / THUMB_NAME, entry["thumb_png"]))
        path, key = output_dir / slug / PAGE, page_key(entry, found, output_dir, theme,
                                                       default_paper, site_url)
        page = kept(path, key)
        if page is None:
            page = stamped(handout_page(output_dir, theme, entry, found, default_paper, site_url,
                                        stamp=placeholder(key)), key)
        files.append((path, page))
    index = index_pages(theme, found, default_paper, search=search and bool(found), canonical=site_url)
    files += [(output_dir / name, data) for name, data in index]
    files += [(output_dir / name, data) for name, data in
              sitemap_files(found, [name for name, _ in index], site_url)]
    return files


@dataclass(frozen=True)
class Published:
    """What `publish_site` did: files written (their bytes changed), pages indexed, and
    the seconds the search index took."""

    written: int
    indexed: int
    index_seconds: float = 0.0


def publish_site(output_dir: Path, theme, manifest: dict, default_paper: str = "a4",
                 clinic_names: dict[str, str] | None = None, site_url: str = "") -> Published:
    """Render the site, index its handout pages when one changed, write what changed.

    Index pages beyond the last one (the site shrank) and search files the new index
    does not use are removed. Raises `InputError` or `OSError` as `publish_set` does."""
    from handouts.dist.publish import same_bytes, publish_set

    output_dir = Path(output_dir)
    files = site_files(output_dir, theme, manifest, default_paper, clinic_names, site_url)
    changed = [(path, data) for path, data in files if not same_bytes(path, data)]
    pages = [(path, data) for path, data in files
             if path.name == PAGE and path.parent.parent == output_dir]
    bundle_dir = output_dir / BUNDLE
    old_bundle = _files_under(bundle_dir)
    stale_index = [p for p in output_dir.glob("index-*.html")
                   if p.is_file() and p not in {path for path, _ in files}]
    remove: list[Path] = list(stale_index)
    indexed, seconds = 0, 0.0
    if pages and (any(path in {p for p, _ in pages} for path, _ in changed) or not old_bundle):
        started = time.perf_counter()
        bundle = search_bundle([("/" + path.relative_to(output_dir).as_posix(), data.decode())
                                for path, data in pages])
        seconds = time.perf_counter() - started
        indexed = len(pages)
        files += [(bundle_dir / name, data) for name, data in bundle]
        remove += sorted(old_bundle - {bundle_dir / name for name, _ in bundle})
    publish_set(files, remove=remove, within=output_dir)
    return Published(len(changed), indexed, seconds)


def _files_under(folder: Path) -> set[Path]:
    """The regular files under `folder` (not through symbolic links); none when it is
    not a real folder."""
    import os

    if not folder.is_dir() or folder.is_symlink():
        return set()
    out = set()
    for where, dirs, names in os.walk(folder):
        out.update(Path(where, n) for n in names if not Path(where, n).is_symlink())
    return out
