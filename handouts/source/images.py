"""The one image scanner: every image address of an article's body (Markdown,
reference-style and ``<img>``), and the loader's checks of the files they name."""

from __future__ import annotations

import os
from pathlib import Path
import re
from urllib.parse import unquote, urlsplit

from handouts.errors import Diagnostic, warning
from handouts.guard import limits as limits_mod
from handouts.guard import paths
from handouts.guard import svg
from handouts.guard.textscan import ProseText


# ![alt](path) or ![alt](<path with spaces>). Each pattern stops at the next "![" or "<"
# it cannot belong to, so a line of 150,000 "![" or 40,000 "<img " is one linear pass
# (the obvious patterns re-scan the rest of the line from every start: quadratic).
_ALT = r"[^\]\n!]*(?:!(?!\[)[^\]\n!]*)*"
_MD_IMAGE = re.compile(r"!\[(" + _ALT + r")\]\(\s*(?:<([^<>\n]+)>|([^)\s\[<]+))")
# An <img> tag up to the next "<" or ">", then its src and alt inside it.
_HTML_IMAGE = re.compile(r"<img\b[^<>]*", re.IGNORECASE)
_HTML_SRC = re.compile(r"\bsrc\s*=\s*[\"']?([^\"'\s<>]+)", re.IGNORECASE)
_HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_MD_IMAGE_REF = re.compile(r"!\[(" + _ALT + r")\](?:\[([^\[\]\n]*)\])?(?!\()")
_LINK_DEF = re.compile(r"^ {0,3}\[([^\]\n]+)\]:[ \t]*<?([^\s>]+)", re.M)
REMOTE_SCHEMES = ("http", "https")
_RASTER = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*", b"BM")


def _data_bytes(src: str) -> bytes | None:
    """The bytes of a base64 ``data:`` address, else None. (A raw
    ``data:image/svg+xml,<svg …>`` holds spaces and ``<``, so the scan cannot be sure it has
    all of it: such an image is cleaned -- or refused with a warning -- when the page is
    drawn, by the render stage's fetcher.)"""
    import base64
    import binascii

    header, _, payload = src.partition(",")
    if not header.lower().endswith(";base64"):
        return None
    try:
        return base64.b64decode(unquote(payload), validate=False)
    except (ValueError, binascii.Error):
        return None


def image_refs(body: str, body_line: int) -> tuple[ProseText, list[tuple[int, str | None, str]]]:
    """Every image of the body (Markdown, reference-style and ``<img>``) as ``(offset in
    the prose text, alt text or None when absent, address or "" when absent)``, with the
    prose text for line numbers. One linear pass, whatever the line holds."""
    # One text for the whole prose: an <img> tag may span lines, and a reference-style
    # image's address sits on its definition's line.
    prose = ProseText(body, body_line)
    text = prose.text
    defs = {m.group(1).strip().lower(): m.group(2) for m in _LINK_DEF.finditer(text)}
    found = [(m.start(), m.group(1), m.group(2) or m.group(3)) for m in _MD_IMAGE.finditer(text)]
    for m in _HTML_IMAGE.finditer(text):
        src = _HTML_SRC.search(text, m.start(), m.end())
        alts = list(_HTML_ALT.finditer(text, m.start(), m.end()))
        alt = next(g for g in alts[-1].groups() if g is not None) if alts else None
        found.append((m.start(), alt, src.group(1) if src else ""))
    for m in _MD_IMAGE_REF.finditer(text):
        label = (m.group(2) or m.group(1)).strip().lower()
        if label in defs:
            found.append((m.start(), m.group(1), defs[label]))
    return prose, found


def image_sources(body: str, body_line: int) -> tuple[ProseText, list[tuple[int, str]]]:
    """Every image address of the body as ``(offset in the prose text, address)``, with
    the prose text for line numbers (`image_refs` without the alt texts)."""
    prose, found = image_refs(body, body_line)
    return prose, [(start, src) for start, _, src in found if src]


def local_image_name(src: str) -> str | None:
    """The file an image address names in the article's folder (``images/a b.png``), or
    None for a remote, ``data:`` or other-scheme address."""
    if "\x00" in src or urlsplit(src).scheme or src.startswith("//"):
        return None
    return unquote(src.split("#")[0].split("?")[0])


def check_images(path: Path, body: str, body_line: int, allow_remote: bool, limits=None):
    """Local images must be files inside the article's folder (symbolic links resolved, no
    hard links), within the size limits, and an SVG must be one `svg.clean_svg` can
    make safe; remote ones need opting in. Returns (problems, warnings, the local image
    names relative to the folder)."""
    folder = path.parent
    problems, warnings = [], []
    prose, found = image_sources(body, body_line)
    max_images = limits_mod.get(limits, "images")
    if len(found) > max_images:
        found.sort()
        problems.append(Diagnostic(path, prose.line(found[max_images][0]),
                                   limits_mod.over("images", len(found), limits, "images"),
                                   limits_mod.hint("images", "split the article")))
        return problems, warnings, ()
    checked: dict[str, tuple] = {}
    for start, src in sorted(found):
        line_no = prose.line(start)
        shown = shown_src(src)
        scheme = urlsplit(src).scheme.lower() if "\x00" not in src else ""
        if scheme in REMOTE_SCHEMES or src.startswith("//"):
            if not allow_remote:
                warnings.append(warning(path, line_no, f"remote image {shown} left out",
                                        "download it into images/ or build with --allow-remote"))
            continue
        if scheme == "data":
            data = _data_bytes(src)
            if data is not None and svg.looks_like_xml(data):
                try:
                    svg.clean_svg(data, limits)
                except svg.UnsafeSVG as exc:
                    problems.append(Diagnostic(path, line_no, f"embedded SVG image: {exc}", exc.hint))
            elif data is not None and (problem := limits_mod.pixel_problem(
                    data, limits, "the embedded (data:) image")):
                problems.append(Diagnostic(path, line_no, *problem))
            continue
        if scheme:
            problems.append(Diagnostic(path, line_no, f"image '{shown}' uses the '{scheme}:' scheme",
                                       "put the image in the article's images/ folder and link it relatively"))
            continue
        name = local_image_name(src)
        if name not in checked:
            checked[name] = _check_image_file(folder, name, shown, limits)
        for message, hint in checked[name]:
            problems.append(Diagnostic(path, line_no, message, hint))
    return problems, warnings, tuple(name for name, found in checked.items() if not found)


def shown_src(src: str) -> str:
    """An image address as a message may print it: short, control characters escaped."""
    text = src if len(src) <= 80 else src[:60] + "…" + src[-10:]
    return text.encode("unicode_escape").decode("ascii") if any(
        ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in text) else text


def _check_image_file(folder: Path, name: str, shown: str, limits) -> tuple:
    """Problems of the local image `name` (relative to the article folder) as
    (message, hint) pairs; the file is opened only once it is known to be a regular file
    of the folder, and a raster image is judged by its header (`limits.pixel_problem`)."""
    target = folder / name
    handle = paths.open_checked(target, [folder], what=f"image '{shown}'",
                                where="the article's folder")
    if isinstance(handle, Diagnostic):
        hint = handle.hint
        if "outside" in handle.message:
            hint = f"copy it into {folder.name}/images/ and link 'images/…'"
        return ((handle.message, hint),)
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limits_mod.get(limits, "image_bytes"):
            return ((f"image '{shown}' is " + limits_mod.over("image_bytes", size, limits, "bytes"),
                     limits_mod.hint("image_bytes", "make the image smaller")),)
        head = handle.read(16)
        if not head.startswith(_RASTER) and (svg.looks_like_xml(head) or target.suffix.lower() == ".svg"):
            if size > limits_mod.get(limits, "svg_bytes"):
                return ((f"SVG image '{shown}' is " + limits_mod.over("svg_bytes", size, limits, "bytes"),
                         limits_mod.hint("svg_bytes", "simplify the drawing")),)
            try:
                svg.clean_svg(head + handle.read(), limits)
            except svg.UnsafeSVG as exc:
                return ((f"SVG image '{shown}': {exc}", exc.hint),)
            return ()
        handle.seek(0)
        if problem := limits_mod.pixel_problem(handle, limits, f"image '{shown}'"):
            return (problem,)
    return ()
