"""Sanitizing what an article supplies: its raw HTML and attribute lists.

Nothing an article supplies may change what the handout *says* -- the title, the review
credit, the disclaimer -- or reach outside the article:

* HTML (`sanitize`): only the tags and attributes a handout needs survive: no script,
  frame, embedded object, ``<link>``, ``style`` or ``rel`` (WeasyPrint embeds
  ``rel=attachment`` targets), and no URL scheme but the web's. Classes come from an
  allow-list (`ALLOWED_CLASSES`): an article could otherwise borrow the template's
  ``draft-stamp`` (printed on every page) or ``disclaimer`` styles. Ids are plain names,
  table spans are bounded, sizes are numbers.
* Attribute lists (`SafeAttrListExtension`): ``{: … }`` may set only classes of the
  allow-list, an id, width, height, alt, title and lang -- never ``src`` or ``href``
  (which would swap an image after the load stage checked it) or ``style``.

SVG images are cleaned by `handouts.guard.svg`, CSL style files checked by
`handouts.guard.csl`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from markdown.extensions.attr_list import AttrListExtension, AttrListTreeprocessor

from handouts.guard import limits as limits_mod

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

#: The safety callouts' kinds (``!!! warning``), styled by the theme's base.css.
CALLOUT_KINDS = ("note", "tip", "important", "warning", "caution")
#: Figure widths an author may ask for (``{width=40%}``), in steps of 5 %.
FIGURE_WIDTHS = tuple(range(5, 101, 5))

#: Classes that may appear in the article body: what authors may write (``{: .x }``,
#: ``class="x"``) and what the Markdown stage generates, i.e. the classes the theme
#: styles. Everything else is dropped. This is the one list: the Markdown stage takes its
#: callout kinds and figure widths from here.
ALLOWED_CLASSES = frozenset({
    # Python-Markdown's own output (footnotes, admonitions before callouts convert them)
    "footnote", "footnote-ref", "footnote-backref", "admonition", "admonition-title",
    # citations (references/inline.py)
    "citation", "citation-narrative",
    # page breaks and wide tables (markdown/body.py)
    "page-break", "table-wide", "table-many",
    # safety callouts (markdown/callouts.py) and figures (markdown/figures.py)
    "callout", "callout-title", *(f"callout-{kind}" for kind in CALLOUT_KINDS),
    "figure", *(f"w-{step}" for step in FIGURE_WIDTHS),
})
#: Fenced code's ``language-x`` class (no style uses it; it is kept for the tags).
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,32}")
#: An id an author may set: a plain name, not one the template uses (``ref-3``).
_ID = re.compile(r"(?!ref-\d)[A-Za-z][A-Za-z0-9_:.-]{0,63}")
_NUMBER = re.compile(r"\s*(\d{1,6})(?:\.\d+)?\s*(px|%)?\s*")
#: Attributes an attribute list ``{: … }`` may set (besides classes of the allow-list).
ATTR_LIST_KEYS = {"id", "width", "height", "alt", "title", "lang"}


def class_allowed(name: str) -> bool:
    return name in ALLOWED_CLASSES or bool(_LANGUAGE_CLASS.fullmatch(name))


def keep_classes(value: str) -> str | None:
    kept = [c for c in value.split() if class_allowed(c)]
    return " ".join(dict.fromkeys(kept)) or None


def id_allowed(value: str) -> bool:
    return bool(_ID.fullmatch(value))


def sanitize(html: str, *, allow_remote_images: bool = False, limits=None) -> str:
    """Keep only the HTML a handout needs; drop remote image sources unless allowed."""
    max_span = limits_mod.get(limits, "table_span")

    def keep(tag: str, attr: str, value: str) -> str | None:
        if attr == "class":
            return keep_classes(value)
        if attr == "id":
            return value if id_allowed(value) else None
        if attr in ("colspan", "rowspan"):
            m = re.fullmatch(r"\s*(\d{1,9})\s*", value)
            return str(min(max(int(m.group(1)), 1), max_span)) if m else None
        if attr in ("width", "height"):
            m = _NUMBER.fullmatch(value)
            return value.strip() if m and int(m.group(1)) <= 10_000 else None
        if attr == "start":
            return value if re.fullmatch(r"-?\d{1,6}", value.strip()) else None
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


# ---------------------------------------------------------------------------------------
# Attribute lists


class _SafeAttrListTreeprocessor(AttrListTreeprocessor):
    """Python-Markdown's attribute lists, limited to `ATTR_LIST_KEYS` and allowed classes.

    The load stage reports a refused attribute with its line (`attr_list_problems`); this
    is the guarantee that nothing else reaches the HTML.
    """

    def assign_attrs(self, elem, attrs_string, *, strict=False):
        from markdown.extensions.attr_list import get_attrs_and_remainder

        attrs, remainder = get_attrs_and_remainder(attrs_string)
        if strict and remainder:
            return remainder
        safe = []
        for key, value in attrs:
            if key == ".":
                if class_allowed(value):
                    safe.append(f".{value}")
            elif key == "id" or key == "#":
                if value and id_allowed(value):
                    safe.append(f"#{value}")
            elif key in ATTR_LIST_KEYS and value is not None:
                safe.append(f'{key}="{value.replace(chr(34), "")}"')
        super().assign_attrs(elem, " ".join(safe))
        return remainder


class SafeAttrListExtension(AttrListExtension):
    """``attr_list`` with `_SafeAttrListTreeprocessor` (same name and priority)."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(_SafeAttrListTreeprocessor(md), "attr_list", 8)
        md.registerExtension(self)


#: An attribute list in the source: ``{: … }`` or ``{…}`` after an element.
ATTR_LIST_RE = re.compile(r"\{:?[ ]*([^\}\n ][^\}\n]*)\}")


def attr_list_problems(content: str) -> list[str]:
    """What an attribute list's content sets that is not allowed (empty: all is fine).

    `content` is the text between the braces; content that is no attribute list at all
    (``{x, y}`` in prose) parses as nothing an author meant, so only keys that look like
    attributes are judged.
    """
    from markdown.extensions.attr_list import get_attrs_and_remainder

    try:
        attrs, _ = get_attrs_and_remainder(content)
    except Exception:  # the scanner gives up on odd text: not an attribute list
        return []
    problems = []
    for key, value in attrs:
        if key == ".":
            if not class_allowed(value):
                problems.append(f"class '{value}'")
        elif key in ("id", "#"):
            if not id_allowed(value or ""):
                problems.append(f"id '{value}'")
        elif value is None:
            continue  # a bare word: prose in braces, not an attribute
        elif key not in ATTR_LIST_KEYS:
            problems.append(f"attribute '{key}'")
    return problems
