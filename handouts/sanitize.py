"""Sanitizing what an article supplies: its raw HTML, attribute lists and SVG images.

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
* SVG (`clean_svg`): an SVG is a document of its own, with stylesheets and fonts; an
  ``@font-face`` inside an image would become the whole handout's font. Only drawing
  elements and presentation attributes survive; no ``<style>``, no ``style=``, no
  script, no event handler, no reference but ``#id`` inside the same image; DOCTYPEs
  (entities) are refused, and nesting and ``<use>`` expansion are bounded.
"""

from __future__ import annotations

import functools
import importlib
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import nh3
from markdown.extensions.attr_list import AttrListExtension, AttrListTreeprocessor

from . import limits as limits_mod

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

#: Classes that may appear in the article body: what authors may write (``{: .x }``,
#: ``class="x"``) and what the body stage generates. Everything else is dropped. Owners of
#: generated markup add their classes here (one line each).
ALLOWED_CLASSES = {
    # Python-Markdown's own output (footnotes, admonitions before callouts convert them)
    "footnote", "footnote-ref", "footnote-backref", "admonition", "admonition-title",
    # citations (handouts/citations.py)
    "citation", "citation-narrative",
    # page breaks and wide tables (handouts/body.py)
    "page-break", "table-wide",
}
#: Modules whose ``CLASSES`` tuple lists more generated classes (callouts, figures, …).
CLASS_MODULES = ("handouts.body", "handouts.callouts", "handouts.figures")
#: Fenced code's ``language-x`` class (no style uses it; it is kept for the tags).
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,32}")
#: An id an author may set: a plain name, not one the template uses (``ref-3``).
_ID = re.compile(r"(?!ref-\d)[A-Za-z][A-Za-z0-9_:.-]{0,63}")
_NUMBER = re.compile(r"\s*(\d{1,6})(?:\.\d+)?\s*(px|%)?\s*")
#: Attributes an attribute list ``{: … }`` may set (besides classes of the allow-list).
ATTR_LIST_KEYS = {"id", "width", "height", "alt", "title", "lang"}


@functools.lru_cache(maxsize=1)
def allowed_classes() -> frozenset[str]:
    """`ALLOWED_CLASSES` plus the ``CLASSES`` of the modules that generate markup."""
    names = set(ALLOWED_CLASSES)
    for module in CLASS_MODULES:
        names.update(importlib.import_module(module).CLASSES)
    return frozenset(names)


def class_allowed(name: str) -> bool:
    return name in allowed_classes() or bool(_LANGUAGE_CLASS.fullmatch(name))


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


# ---------------------------------------------------------------------------------------
# SVG


class UnsafeSVG(ValueError):
    """An SVG that cannot be made safe (entities, too deep, too many elements)."""

    hint = "simplify the drawing, or save it as PNG"


class UnshapedSVGText(UnsafeSVG):
    """An SVG with text that needs shaping (Thai, Arabic, Devanagari, combining marks):
    WeasyPrint draws SVG text letter by letter, so vowel and tone marks print on dotted
    circles (ปกติ as ปกต◌ิ) and joined scripts fall apart."""

    hint = ("convert the text to paths (Inkscape: Path > Object to Path; Illustrator: "
            "Type > Create Outlines), or save the image as PNG")


#: Scripts whose letters combine or join, so they need shaping: Hebrew to Arabic
#: Extended, Devanagari to Sinhala, Thai, Lao, Tibetan, Myanmar, Khmer.
_SHAPED_SCRIPT = re.compile("[\u0590-\u08FF\u0900-\u0DFF\u0E00-\u0FFF\u1000-\u109F"
                            "\u1780-\u17FF\uFB1D-\uFDFF\uFE70-\uFEFF]")


def _unshaped_text(root: ET.Element) -> str | None:
    """The first drawn text of the SVG that needs shaping, or None."""
    import unicodedata

    for elem in root.iter():
        if _local(elem.tag) not in ((SVG_NS, "text"), (SVG_NS, "tspan"), (SVG_NS, "textPath")):
            continue
        text = "".join(t for t in (elem.text, elem.tail if elem is not root else "") if t)
        if _SHAPED_SCRIPT.search(text) or any(unicodedata.combining(c) for c in text):
            return text.strip()
    return None


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
SVG_ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "path", "rect", "circle",
    "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern", "marker",
}
SVG_ATTRIBUTES = {
    "id", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy",
    "width", "height", "d", "points", "transform", "viewBox", "preserveAspectRatio",
    "version", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
    "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-dasharray",
    "stroke-dashoffset", "stroke-miterlimit", "opacity", "offset", "stop-color",
    "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod", "patternUnits",
    "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
    "maskContentUnits", "clip-path", "clip-rule", "mask", "marker-start", "marker-mid",
    "marker-end", "markerWidth", "markerHeight", "refX", "refY", "orient", "markerUnits",
    "dx", "dy", "rotate", "text-anchor", "dominant-baseline", "font-size", "font-weight",
    "font-style", "letter-spacing", "word-spacing", "visibility", "display", "color",
}
#: Elements whose ``href`` may point at an ``#id`` of the same image.
HREF_ELEMENTS = {"use", "linearGradient", "radialGradient", "pattern", "textPath"}
_LOCAL_URL = re.compile(r"url\(\s*['\"]?#[A-Za-z_][\w.:-]*['\"]?\s*\)")
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


def _local(name: str) -> tuple[str, str]:
    """``{ns}tag`` -> (ns, tag)."""
    if name.startswith("{"):
        ns, _, tag = name[1:].partition("}")
        return ns, tag
    return "", name


def looks_like_xml(data: bytes) -> bool:
    """True when `data` could be parsed as XML (SVG) rather than a raster image."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    # UTF-16 XML (with or without its byte order mark) parses too.
    return head.startswith((b"<", b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00"))


def clean_svg(text: str | bytes, limits=None) -> str:
    """A safe copy of an SVG image: drawing only, nothing that reaches outside it.

    Raises `UnsafeSVG` when the text is not an SVG the builder can make safe.
    """
    max_bytes = limits_mod.get(limits, "svg_bytes")
    max_elements = limits_mod.get(limits, "svg_elements")
    max_depth = 2 * limits_mod.get(limits, "nesting_depth")
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise UnsafeSVG(f"the SVG is {len(text):,} bytes, over the limit of {max_bytes:,} (svg_bytes)")
        if text[:2] in (b"\xff\xfe", b"\xfe\xff") or text[:1] == b"\x00":
            raise UnsafeSVG("the SVG is not UTF-8 text")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeSVG("the SVG is not UTF-8 text") from None
    if len(text) > max_bytes:
        raise UnsafeSVG(f"the SVG is {len(text):,} characters, over the limit of {max_bytes:,} (svg_bytes)")
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise UnsafeSVG("the SVG has a DOCTYPE (entities are not allowed)")
    # Parse with bounded depth; expat itself does not recurse.
    parser = ET.XMLPullParser(events=("start", "end"))
    root = None
    depth = 0
    try:
        parser.feed(text.removeprefix("\ufeff"))
        parser.close()
        for event, elem in parser.read_events():
            if event == "start":
                depth += 1
                if depth > max_depth:
                    raise UnsafeSVG(f"the SVG nests more than {max_depth} levels (2 x nesting_depth)")
                if root is None:
                    root = elem
            else:
                depth -= 1
    except ET.ParseError as exc:
        raise UnsafeSVG(f"the SVG is not well-formed XML ({exc})") from None
    if root is None or _local(root.tag) != (SVG_NS, "svg"):
        raise UnsafeSVG("not an SVG image (the root element must be <svg> in the SVG namespace)")
    if (text := _unshaped_text(root)) is not None:
        import unicodedata

        letter = next((c for c in text if _SHAPED_SCRIPT.match(c) or unicodedata.combining(c)), "")
        script = unicodedata.name(letter, "COMBINING").split()[0].capitalize()
        shown = text if len(text) <= 30 else text[:29] + "…"
        raise UnshapedSVGText(f"the SVG has {script} text (“{shown}”), which prints with broken "
                              "letters: text inside an SVG image is not shaped")

    ids: dict[str, ET.Element] = {}
    # Clean iteratively (depth is bounded, but recursion is not needed).
    stack = [root]
    while stack:
        elem = stack.pop()
        for attr in list(elem.attrib):
            ns, name = _local(attr)
            value = elem.attrib[attr]
            href = name == "href" and ns in ("", XLINK_NS)
            tag = _local(elem.tag)[1]
            if href:
                if tag in HREF_ELEMENTS and re.fullmatch(r"#[A-Za-z_][\w.:-]*", value.strip()):
                    continue
                del elem.attrib[attr]
            elif ns or name not in SVG_ATTRIBUTES:
                del elem.attrib[attr]
            elif "url(" in value.lower() and not _LOCAL_URL.fullmatch(value.strip()):
                del elem.attrib[attr]
            elif name == "id":
                ids.setdefault(value, elem)
        for child in list(elem):
            ns, tag = _local(child.tag) if isinstance(child.tag, str) else ("", "")
            if ns != SVG_NS or tag not in SVG_ELEMENTS:
                elem.remove(child)
            else:
                stack.append(child)

    # <use> expansion: count the elements a renderer would draw, each <use> counting
    # what it references (memoized; a cycle is refused).
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(elem, level: int = 0) -> int:
        key = id(elem)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            raise UnsafeSVG("the SVG's <use> elements refer to each other in a loop")
        if level > 4 * max_depth:
            raise UnsafeSVG("the SVG's <use> elements refer to each other too deeply")
        visiting.add(key)
        total = 1
        for child in elem:
            total += size(child, level + 1)
            if total > max_elements:
                break
        if _local(elem.tag)[1] == "use":
            ref = elem.get("href") or elem.get(f"{{{XLINK_NS}}}href") or ""
            target = ids.get(ref.strip()[1:])
            if target is not None:
                total += size(target, level + 1)
        visiting.discard(key)
        if total > max_elements:
            raise UnsafeSVG(f"the SVG draws more than {max_elements:,} elements once its "
                            "<use> copies are expanded (svg_elements)")
        sizes[key] = total
        return total

    size(root)
    # The SVG namespace as the default one, whatever prefixes other modules registered
    # in ElementTree's global table: the same image always gives the same bytes.
    svg = "{" + SVG_NS + "}"
    for elem in root.iter():
        if isinstance(elem.tag, str) and elem.tag.startswith(svg):
            elem.tag = elem.tag[len(svg):]
    attributes = dict(root.attrib)  # xmlns first, as SVG files write it
    root.attrib.clear()
    root.set("xmlns", SVG_NS)
    root.attrib.update(attributes)
    return ET.tostring(root, encoding="unicode")


# ---------------------------------------------------------------------------------------
# Project XML files (a .csl style)


CSL_NS = "http://purl.org/net/xbiblio/csl"


def csl_problem(path, limits=None) -> str | None:
    """Why the CSL style file `path` cannot be used (too big, a DOCTYPE -- whose entities
    could pull in other files: XXE --, not well-formed, too deep, not a CSL style), or None.

    citeproc-py parses styles with lxml, which expands entities from local files: a style
    must therefore be checked before it is handed over.
    """
    max_bytes = limits_mod.get(limits, "style_bytes")
    max_depth = 2 * limits_mod.get(limits, "nesting_depth")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return f"{size:,} bytes, over the limit of {max_bytes:,} (style_bytes)"
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        return "has a DOCTYPE or ENTITY declaration, which a CSL style never needs"
    parser = ET.XMLPullParser(events=("start", "end"))
    depth, root = 0, None
    try:
        parser.feed(data)
        parser.close()
        for event, elem in parser.read_events():
            if event == "start":
                depth += 1
                root = elem if root is None else root
                if depth > max_depth:
                    return f"nests more than {max_depth} levels (2 x nesting_depth)"
            else:
                depth -= 1
    except ET.ParseError as exc:
        return f"is not well-formed XML ({exc})"
    if root is None or root.tag != f"{{{CSL_NS}}}style":
        return "is not a CSL style (the root element must be <style> in the CSL namespace)"
    return None
