"""Checks that need the laid-out pages: image resolution at printed size, tables that
had to squeeze.

The render stage calls `check_layout(document, min_ppi)` with WeasyPrint's document after
layout (before the PDF is written) and reports each message as a warning. Sizes come
from the boxes: an image's printed size is its content box, reduced as ``object-fit:
contain`` draws it (base.css), in CSS pixels of 1/96 inch.

* An image printed below `min_ppi` (150 for office printing, 300 for the press
  variant: `variant.min_image_ppi`) gets a warning with the image's name, its pixels,
  its printed width and what would be enough.
* A table whose columns became so narrow that words were broken inside gets a warning
  naming the table (its caption or first header cell); one wider than the page's content
  area even set small (`table_overflows`) is an error: the page would cut it off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from weasyprint.formatting_structure import boxes

from handouts.project.i18n import SPACELESS_SCRIPT

CSS_PX_PER_INCH = 96
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class ImagePlacement:
    """One image as printed: page (1-based), name, pixels, printed size (CSS px) and
    position of the drawn image on the page (CSS px from the top left)."""

    page: int
    name: str
    pixels: tuple[int, int]
    size: tuple[float, float]
    box: tuple[float, float, float, float]  # x, y, width, height of the drawn image

    @property
    def ppi(self) -> float:
        return self.pixels[0] / (self.size[0] / CSS_PX_PER_INCH) if self.size[0] else float("inf")


def _walk(box):
    """`box` and its descendants, in document order (a stack, not nested generators: a
    box deep in the tree would pass through one generator per level)."""
    stack = [box]
    while stack:
        box = stack.pop()
        yield box
        stack.extend(reversed(getattr(box, "children", ()) or ()))


def _name(element) -> str:
    src = element.get("src", "") if element is not None else ""
    if src.startswith("data:"):
        return "an embedded (data:) image"
    return re.sub(r"^file:///article/", "", src) or "an image"


def image_placements(document) -> list[ImagePlacement]:
    """Every raster image on every page, with the size it prints at."""
    out = []
    for number, page in enumerate(document.pages, 1):
        for box in _walk(page._page_box):
            if not isinstance(box, boxes.ReplacedBox):
                continue
            image = box.replacement
            pixels = (getattr(image, "width", None), getattr(image, "height", None))
            if not all(isinstance(p, int) and p > 0 for p in pixels):
                continue  # a vector image (SVG) has no pixels to count
            width, height = box.width, box.height
            if not width or not height:
                continue
            # object-fit: contain draws the whole image inside the box, centred.
            scale = min(width / pixels[0], height / pixels[1])
            drawn = (pixels[0] * scale, pixels[1] * scale)
            x = box.content_box_x() + (width - drawn[0]) / 2
            y = box.content_box_y() + (height - drawn[1]) / 2
            out.append(ImagePlacement(number, _name(box.element), pixels, drawn,
                                      (x, y, drawn[0], drawn[1])))
    return out


def image_warnings(document, min_ppi: float) -> list[str]:
    messages = []
    seen = set()
    for placed in image_placements(document):
        ppi = placed.ppi
        if ppi + 0.5 >= min_ppi or (placed.name, round(ppi)) in seen:
            continue
        seen.add((placed.name, round(ppi)))
        width_mm = placed.size[0] / CSS_PX_PER_INCH * MM_PER_INCH
        needed = int(-(-placed.size[0] / CSS_PX_PER_INCH * min_ppi // 1))
        messages.append(
            f"image {placed.name} prints at {ppi:.0f} ppi on page {placed.page} "
            f"({placed.pixels[0]} px across {width_mm:.0f} mm), below the {min_ppi:g} ppi "
            f"a sharp print needs — use an image at least {needed} px wide, or print it "
            f"smaller with {{width=…%}}")
    return messages


def _text(box) -> str:
    return "".join(b.text for b in _walk(box) if isinstance(b, boxes.TextBox))


def _table_name(table) -> str:
    element = table.element
    if element is not None:
        caption = element.find("caption")
        cell = element.find(".//th")
        if cell is None:
            cell = element.find(".//td")
        for candidate in (caption, cell):
            if candidate is not None:
                text = " ".join("".join(candidate.itertext()).split())
                if text:
                    return f"“{text[:40]}”"
    return "a table"


def _broken_words(cell) -> list[str]:
    """Words of `cell` split across two of its lines (no space, no hyphen between)."""
    words = set(re.findall(r"\w+", "".join(cell.element.itertext()))) if cell.element is not None else set()
    lines = [b for b in _walk(cell) if isinstance(b, boxes.LineBox)]
    broken = []
    for first, second in zip(lines, lines[1:]):
        a, b = _text(first), _text(second)
        if not a or not b or a[-1].isspace() or not (a[-1].isalnum() and b[0].isalnum()):
            continue
        if SPACELESS_SCRIPT.match(a[-1]) and SPACELESS_SCRIPT.match(b[0]):
            continue  # Thai and the like: lines break between words, found by dictionary
        tail, head = re.findall(r"\w+$", a), re.findall(r"^\w+", b)
        if tail and head and tail[0] + head[0] in words:
            broken.append(tail[0] + head[0])
    return broken


def table_warnings(document) -> list[str]:
    messages = []
    seen = set()
    for number, page in enumerate(document.pages, 1):
        area_right = page._page_box.content_box_x() + page._page_box.width
        for box in _walk(page._page_box):
            if not isinstance(box, boxes.TableBox):
                continue
            name = _table_name(box)
            right = box.border_box_x() + box.border_width()
            broken = sorted({w for cell in _walk(box) if isinstance(cell, boxes.TableCellBox)
                             for w in _broken_words(cell)})
            key = (name, bool(broken), right > area_right + 0.5)
            if key in seen:
                continue
            if right > area_right + 0.5:
                continue  # cut off at the page edge: `table_overflows` refuses it
            if broken:
                seen.add(key)
                shown = ", ".join(broken[:3]) + (" …" if len(broken) > 3 else "")
                messages.append(
                    f"table {name} on page {number} is too wide for the page: its columns "
                    f"were narrowed until words broke ({shown}) — use fewer columns or "
                    "shorter words, or split the table")
    return messages


def table_overflows(document) -> list[tuple[str, str]]:
    """(what, fix) for each table wider than the page even set small (base.css): its
    right-hand columns would be cut off, so the render stage refuses the document."""
    problems = {}
    for number, page in enumerate(document.pages, 1):
        area_right = page._page_box.content_box_x() + page._page_box.width
        for box in _walk(page._page_box):
            if isinstance(box, boxes.TableBox):
                right = box.border_box_x() + box.border_width()
                name = _table_name(box)
                if right > area_right + 0.5 and name not in problems:
                    columns = max((len(row.children) for group in box.children
                                   for row in getattr(group, "children", ())), default=0)
                    problems[name] = (
                        f"table {name} ({columns} columns) is "
                        f"{(right - area_right) / CSS_PX_PER_INCH * MM_PER_INCH:.0f} mm wider than "
                        f"the page on page {number}, even set at 7 pt: its right-hand columns "
                        "would be cut off", "split it into two tables or use fewer columns")
    return list(problems.values())


def check_layout(document, min_ppi: float = 150) -> list[str]:
    """Warnings about the laid-out `document` (WeasyPrint's, after `render()`)."""
    return image_warnings(document, min_ppi) + table_warnings(document)
