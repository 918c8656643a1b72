"""Cleaning SVG images: an SVG is a document of its own, with stylesheets and fonts; an
``@font-face`` inside an image would become the whole handout's font.

`clean_svg` keeps only drawing elements and presentation attributes: no ``<style>``, no
``style=``, no script, no event handler, no reference but ``#id`` inside the same image;
DOCTYPEs (entities) are refused, and nesting and ``<use>`` expansion are bounded
(`Limits`: ``svg_bytes``, ``svg_elements``, ``nesting_depth``).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET

from handouts.guard import limits as limits_mod

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
    max_depth = 2 * limits_mod.get(limits, "nesting_depth")
    root = _parse(_text_of(text, limits_mod.get(limits, "svg_bytes")), max_depth)
    if (shown := _unshaped_text(root)) is not None:
        letter = next((c for c in shown if _SHAPED_SCRIPT.match(c) or unicodedata.combining(c)), "")
        script = unicodedata.name(letter, "COMBINING").split()[0].capitalize()
        shown = shown if len(shown) <= 30 else shown[:29] + "…"
        raise UnshapedSVGText(f"the SVG has {script} text (“{shown}”), which prints with broken "
                              "letters: text inside an SVG image is not shaped")
    ids = _strip(root)
    _count_drawn(root, ids, limits_mod.get(limits, "svg_elements"), max_depth)
    return _serialize(root)


def _text_of(text: str | bytes, max_bytes: int) -> str:
    """The SVG as text: UTF-8, within ``svg_bytes``."""
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
    return text


def _parse(text: str, max_depth: int) -> ET.Element:
    """The ``<svg>`` root element; no DOCTYPE, nesting at most `max_depth` levels."""
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
    return root


def _strip(root: ET.Element) -> dict[str, ET.Element]:
    """Remove every element and attribute outside the allow-lists (in place); the
    elements by ``id``."""
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
    return ids


def _count_drawn(root: ET.Element, ids: dict[str, ET.Element], max_elements: int,
                 max_depth: int) -> None:
    """Refuse an SVG that draws more than `max_elements` elements: each ``<use>`` counts
    what it references (memoized; a cycle is refused)."""
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


def _serialize(root: ET.Element) -> str:
    """The cleaned SVG with its namespace as the default one, whatever prefixes other
    modules registered in ElementTree's global table: the same image, the same bytes."""
    svg = "{" + SVG_NS + "}"
    for elem in root.iter():
        if isinstance(elem.tag, str) and elem.tag.startswith(svg):
            elem.tag = elem.tag[len(svg):]
    attributes = dict(root.attrib)  # xmlns first, as SVG files write it
    root.attrib.clear()
    root.set("xmlns", SVG_NS)
    root.attrib.update(attributes)
    return ET.tostring(root, encoding="unicode")
