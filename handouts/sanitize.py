"""HTML sanitizing for untrusted text (article bodies, formatted references).

Only the tags and attributes a handout needs survive: no script, frame, embedded object,
``<link>``, ``style`` or ``rel`` (WeasyPrint embeds ``rel=attachment`` targets), and no
URL scheme but the web's. Remote image sources are dropped unless allowed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote",
    "pre", "code", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup",
    "small", "a", "img", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "figure", "figcaption", "dl", "dt", "dd", "div", "span", "abbr", "kbd", "section",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "type", "reversed"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
}
WEB_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitize(html: str, *, allow_remote_images: bool = False) -> str:
    """Keep only the HTML a handout needs; drop remote image sources unless allowed."""

    def keep(tag: str, attr: str, value: str) -> str | None:
        scheme = urlsplit(value).scheme.lower()
        if tag == "a" and attr == "href":
            # Links go to the web or within the handout: a relative link would become a
            # file:// link to the build machine, a data: link a document of its own.
            return value if scheme in WEB_SCHEMES or value.startswith("#") else None
        if tag == "img" and attr == "src":
            remote = scheme in ("http", "https") or value.startswith("//")
            if (remote and not allow_remote_images) or (scheme and not remote and scheme != "data"):
                return None
        return value

    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=WEB_SCHEMES | {"data"}, link_rel=None, attribute_filter=keep)


