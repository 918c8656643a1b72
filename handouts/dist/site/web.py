"""The web version of a handout: the article body the PDF was made from, shown on its page.

The build's worker converts the body once (`handouts.markdown.body.convert`, the same
pipeline and sanitizer as the PDF); publishing keeps that HTML beside the page as
``dist/<slug>/web.json`` together with the content fingerprint it belongs to
(`web_file`), in the same set as the PDFs. The site reads it back (`web_body`) only when
that fingerprint is the one the manifest credits, so the text shown is always the text
the review credit covers.

``web.json`` lies in ``dist/``, which anyone may have written to: its HTML goes through
the sanitizer again, and an image is shown only from the article's published sources
(``dist/source/<slug>/``, a regular file inside the output folder); any other image
(remote, missing, a link outside) is left out and its alt text shown instead.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import Markup

from handouts.dist.site.common import relative

WEB_FILE = "web.json"
_TABLE = re.compile(r"<table(?=[\s>])")
FORMAT = "handouts-web"
#: web.json of one article at most (a long handout's body is ~40 KB of HTML).
MAX_BYTES = 4 * 2**20


def web_file(output_dir: Path, slug: str, content_fingerprint: str, body_html: str) -> tuple[Path, bytes]:
    """``dist/<slug>/web.json`` for the body HTML of the content `content_fingerprint`."""
    data = {"format": FORMAT, "version": 1, "content_fingerprint": content_fingerprint,
            "html": body_html}
    return Path(output_dir) / slug / WEB_FILE, (json.dumps(data, ensure_ascii=False, sort_keys=True)
                                               + "\n").encode()


def web_body(output_dir: Path, slug: str, article) -> Markup | None:
    """The body to show on `slug`'s page (`article`: its `ArticleRecord`), or None when
    ``web.json`` is missing, unreadable, or of other content than the credited one."""
    from handouts.dist.publish import TooLarge, read_regular
    from handouts.guard.paths import inside
    from handouts.guard.sanitize import sanitize

    path = Path(output_dir) / slug / WEB_FILE
    if not inside(path.parent, [output_dir]):
        return None
    try:
        data = json.loads(read_regular(path, MAX_BYTES))
    except (OSError, TooLarge, ValueError):
        return None
    if not (isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("html"), str)
            and data.get("content_fingerprint") == article.content_fingerprint
            and article.content_fingerprint):
        return None
    clean = sanitize(data["html"])
    # A table wider than a phone scrolls in its own box: the keyboard must reach it too.
    clean = _TABLE.sub('<table tabindex="0"', clean)
    return Markup(_web_images(clean, output_dir, slug, article.source_files))


class _Images(HTMLParser):
    """Where the ``<img>`` tags of sanitized HTML are: (line, column, tag text, attributes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[tuple[int, int], str, dict]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.found.append((self.getpos(), self.get_starttag_text(), dict(attrs)))

    handle_startendtag = handle_starttag


def _web_images(fragment: str, output_dir: Path, slug: str, published) -> str:
    """`fragment` with each image pointed at its published copy under
    ``dist/source/<slug>/``, or replaced by its alt text when it has none there."""
    if "<img" not in fragment:
        return fragment
    parser = _Images()
    parser.feed(fragment)
    parser.close()
    lines = fragment.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    out, at, published = [], 0, set(published)
    for (line, column), text, attrs in parser.found:
        begin = starts[line - 1] + column
        out += [fragment[at:begin], _web_image(attrs, output_dir, slug, published)]
        at = begin + len(text)
    return "".join(out) + fragment[at:]


def _web_image(attrs: dict, output_dir: Path, slug: str, published: set[str]) -> str:
    from handouts.dist.archive import PUBLISHED_IMAGES, SOURCE
    from handouts.guard.paths import inside

    src, alt = attrs.get("src") or "", attrs.get("alt") or ""
    keep = {k: v for k, v in attrs.items() if k in ("alt", "width", "height", "title") and v}
    if src.startswith("data:image/") and ";base64," in src[:40]:
        url = src
    else:
        name = posixpath.normpath(src) if src and "://" not in src and not src.startswith("/") else ""
        path = Path(output_dir) / SOURCE / slug / name
        ok = (name in published and not name.startswith("..") and
              posixpath.splitext(name)[1].lower() in PUBLISHED_IMAGES and
              path.is_file() and not path.is_symlink() and inside(path, [output_dir]))
        if not ok:
            return f'<span class="image-omitted">{html.escape(alt)}</span>' if alt else ""
        url = relative(f"{SOURCE}/{slug}/{name}", slug)
    extra = "".join(f' {k}="{html.escape(v)}"' for k, v in sorted(keep.items()))
    return f'<img src="{html.escape(url)}"{extra} loading="lazy">'
