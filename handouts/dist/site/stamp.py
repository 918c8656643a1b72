"""Incremental site builds: a handout page is rendered again only when what it shows changed.

Each handout page carries ``<meta name="handouts-page" content="KEY:SHA">``: KEY is the
digest of everything the page is made from (its manifest entry, outputs, editions, its
family of translations, its ``web.json``, the site templates, this package's code, the
site's address and paper), SHA the sha256 of the page's own bytes with SHA written as
zeros. A page whose KEY is unchanged and whose bytes still match its SHA is kept as it
is: neither rendered nor written. ``dist/`` is not trusted: a page edited by hand no
longer matches its SHA and is rendered again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

_PLACEHOLDER = "0" * 64
_META = re.compile(rb'<meta name="handouts-page" content="([0-9a-f]{64}):([0-9a-f]{64})">')
#: How much of a page is read to find its stamp (it is in the head).
_HEAD_BYTES = 4096
#: A handout page at most (a long handout with references is ~60 KB).
MAX_PAGE_BYTES = 8 * 2**20


@functools.cache
def _code_digest() -> str:
    """This package's own code and the handouts version: a change to either re-renders."""
    from handouts import __version__

    h = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def page_key(entry: dict, found: dict[str, dict], output_dir: Path, theme, default_paper: str,
             site_url: str) -> str:
    """The digest of what `entry`'s page is made from."""
    from handouts.dist.site.web import WEB_FILE

    try:
        web = hashlib.sha256((Path(output_dir) / entry["slug"] / WEB_FILE).read_bytes()).hexdigest()
    except OSError:
        web = ""
    family = [(s, found[s]["article"].lang, found[s]["article"].title, found[s]["url"])
              for s in entry["family"]]
    facts = {k: v for k, v in entry.items() if k not in ("thumb_png", "names")}
    facts["names"] = {o.clinic: entry["names"].get(o.clinic) for o in entry["outputs"] if o.clinic}
    data = json.dumps(_plain([facts, family, web, bool(entry["thumb_png"]), theme.site_digest,
                              default_paper, site_url, _code_digest()]),
                      sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def _plain(value):
    """`value` as plain JSON data (records by their JSON), without null entries."""
    if hasattr(value, "to_json"):
        return _plain(value.to_json())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def placeholder(key: str) -> str:
    """The stamp a template writes before the page's own digest is known."""
    return f"{key}:{_PLACEHOLDER}"


def stamped(page: bytes, key: str) -> bytes:
    """`page` (rendered with `placeholder(key)`) with its own digest filled in."""
    blank = placeholder(key).encode()
    return page.replace(blank, f"{key}:{hashlib.sha256(page).hexdigest()}".encode(), 1)


def kept(path: Path, key: str) -> bytes | None:
    """The bytes of the page at `path` when it was made from `key` and is as it was
    written; None otherwise (render it)."""
    from handouts.dist.publish import TooLarge, read_regular

    try:
        page = read_regular(path, MAX_PAGE_BYTES)
    except (OSError, TooLarge):
        return None
    m = _META.search(page, 0, _HEAD_BYTES)
    if m is None or m.group(1).decode() != key:
        return None
    blank = page[:m.start(2)] + _PLACEHOLDER.encode() + page[m.end(2):]
    return page if hashlib.sha256(blank).hexdigest() == m.group(2).decode() else None
