"""Search without a server: a Pagefind index of the handout pages, searched in the browser.

Pagefind (the PyPI package ships its binary, so indexing runs offline) indexes each
handout page as the site renders it, copied to a private temporary folder: only pages
this site made are in the index, whatever else ``dist/`` holds. What a page offers the index is marked in its
template: ``data-pagefind-body`` (the article, not the navigation or download lists), the
title and language as metadata, and the language as the filter ``lang``.

One index holds every language (``force_language``: Pagefind would otherwise keep one
index per language and search only the one of the page searching, the English index
page), so a reader finds a handout in any language and narrows by the ``lang`` filter.
Pagefind finds words between spaces, and Thai writes none: the copy it indexes has a
space at each Thai word break (libthai, the library Pango breaks Thai lines with), and
the search box splits a Thai query the same way (the browser's ``Intl.Segmenter``).
The bundle's files are returned as (path under ``pagefind/``, bytes) for the publish
stage; the index page's own script (the theme's ``site/search.js``) shows results as
text only, so nothing an article says can run in a reader's browser.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import re
import subprocess
import tempfile
from pathlib import Path

#: The bundle's folder under dist/ (a reserved slug).
BUNDLE = "pagefind"
#: The language Pagefind stems and splits words by for every page (see above).
INDEX_LANGUAGE = "en"
#: Pagefind's ready-made interfaces: the site uses its own (`site/search.js`).
_UNUSED = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight")


def search_bundle(pages: list[tuple[str, str]]) -> list[tuple[str, bytes]]:
    """The Pagefind bundle for `pages` ((path from the site root, HTML)):
    [(path relative to ``pagefind/``, bytes)]. The pages are written to a private
    temporary folder and indexed there by one run of Pagefind's command (its Python
    service answers no sooner than its 0.1 s polling allows: ~0.3 s a build)."""
    with tempfile.TemporaryDirectory(prefix="handouts-search-") as tmp:
        site, output = Path(tmp) / "site", Path(tmp) / BUNDLE
        for path, html in pages:
            target = site / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(thai_words(html), encoding="utf-8")
        _index(site, output)
        out = []
        for folder, _, names in os.walk(output):
            for name in names:
                path = Path(folder, name)
                if not name.startswith(_UNUSED):
                    out.append((path.relative_to(output).as_posix(), path.read_bytes()))
    return sorted(out)


#: Seconds Pagefind may take to index a site (~8 s for 1,000 handouts here).
INDEX_SECONDS = 600


def _index(site: Path, output: Path) -> None:
    """Pagefind's command on `site`, writing the bundle to `output`. It runs in the private
    folder, where no configuration file (``pagefind.yml``) of anyone else's is read."""
    from pagefind_bin import get_executable

    command = [str(get_executable()), "--site", str(site), "--output-path", str(output),
               "--force-language", INDEX_LANGUAGE, "--keep-index-url", "--silent"]
    done = subprocess.run(command, cwd=site.parent, capture_output=True, text=True,
                          timeout=INDEX_SECONDS, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"Pagefind could not index the site (exit {done.returncode}): "
                           + (done.stderr or done.stdout).strip()[-500:])


_THAI = re.compile(r"[\u0e01-\u0e5b]{2,}")
_TAG = re.compile(r"(<[^>]*>)")


@functools.lru_cache(maxsize=1)
def _libthai():
    """libthai's word breaker (a handle and the function), or None without the library."""
    name = ctypes.util.find_library("thai")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.th_brk_new.restype = ctypes.c_void_p
    lib.th_brk_new.argtypes = [ctypes.c_char_p]
    lib.th_brk_wc_find_breaks.restype = ctypes.c_int
    lib.th_brk_wc_find_breaks.argtypes = [ctypes.c_void_p, ctypes.c_wchar_p,
                                          ctypes.POINTER(ctypes.c_int), ctypes.c_size_t]
    return lib.th_brk_new(None), lib.th_brk_wc_find_breaks


def thai_words(html: str) -> str:
    """`html` with a space at each word break inside runs of Thai letters in its text (not
    in its tags: titles shown with results keep their spelling); unchanged without
    libthai, or without Thai."""
    breaker = _libthai() if _THAI.search(html) else None
    if breaker is None:
        return html
    handle, find_breaks = breaker

    def split(m: re.Match) -> str:
        run = m.group(0)
        cuts = (ctypes.c_int * len(run))()
        n = find_breaks(handle, run, cuts, len(run))
        edges = [0, *cuts[:max(n, 0)], len(run)]
        return " ".join(run[a:b] for a, b in zip(edges, edges[1:]) if a < b)

    parts = _TAG.split(html)  # text, tag, text, …
    return "".join(part if i % 2 else _THAI.sub(split, part) for i, part in enumerate(parts))
