"""Images: every image has alt text that describes it (not a file name), and raster
images have enough pixels for print.

WeasyPrint lays an image out at 96 pixels per inch, shrunk to the text column when wider
(``img { max-width: 100% }``), so the printed resolution is
``pixels / min(pixels / 96, column width)`` per inch.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from handouts.guard.limits import raster_size
from handouts.checks.registry import Hit, rule
from handouts.source.images import image_refs, local_image_name

_FILE_NAME = re.compile(r"^\S+\.(png|jpe?g|gif|svg|webp|tiff?|bmp|heic)$"
                        r"|^(img|dsc|dscn|pxl|screenshot|image|photo|picture|figure|fig)[-_ ]?\d*$", re.I)


def find_images(article) -> list[tuple[int, str | None, str]]:
    """(line, alt or None when absent, src) of every image in the body."""
    prose, found = image_refs(article.body, article.body_line)
    return [(prose.line(start), alt, src) for start, alt, src in sorted(found, key=lambda f: f[0])]


NO_ALT_HINT = ("describe what the image shows for readers who cannot see it: ![A nurse "
               "measuring blood pressure](…)")


def missing_alt(article) -> list[tuple[int, str]]:
    """(line, src) of every image without alt text. The build refuses them: the handout
    is tagged (PDF/UA), and a figure there must have alternative text."""
    return [(line, src) for line, alt, src in find_images(article) if alt is None or not alt.strip()]


@rule("images/alt-text", severity="error")
def alt_text(ctx, opts):
    """An image without alt text, or whose alt text is a file name."""
    for line, alt, src in find_images(ctx.article):
        name = Path(unquote(urlsplit(src).path)).name
        if alt is None or not alt.strip():
            yield Hit(line, f"image '{src}' has no alt text", NO_ALT_HINT)
        elif _FILE_NAME.match(alt.strip()) or alt.strip().lower() in (name.lower(), Path(name).stem.lower()):
            yield Hit(line, f"the alt text of image '{src}' is a file name: “{alt.strip()}”",
                      "describe what the image shows")


@rule("images/resolution", min_ppi=150, column_width_mm=170.0)
def resolution(ctx, opts):
    """A raster image that prints below `min_ppi` (default 150) pixels per inch."""
    folder = ctx.article.folder.resolve()
    for line, _alt, src in find_images(ctx.article):
        name = local_image_name(src)
        if not name:  # remote, data: or another scheme
            continue
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file() or path.suffix.lower() == ".svg":
            continue
        try:
            with path.open("rb") as handle:  # a regular file inside the folder (checked above)
                size = raster_size(handle)  # the header only: no pixel is decoded
        except OSError:
            continue
        if size is None:  # not an image Pillow reads: the render stage reports it
            continue
        width, height = size
        printed_in = min(width / 96, opts["column_width_mm"] / 25.4)
        ppi = width / printed_in
        if ppi < opts["min_ppi"]:
            need = round(opts["min_ppi"] * opts["column_width_mm"] / 25.4)
            yield Hit(line, f"image '{src}' ({width}×{height} px) prints at {ppi:.0f} pixels per inch "
                      f"(minimum {opts['min_ppi']})",
                      f"use a larger original, about {need} px wide for the full column")
