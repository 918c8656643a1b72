"""Images as authors size and caption them.

* **Width** from attributes: pandoc's ``![…](x.png){width=50%}`` and Python-Markdown's
  ``![…](x.png){: width="50%" }`` (both reach us through ``attr_list``). The sanitizer
  removes ``style`` and WeasyPrint ignores HTML ``width`` attributes, so the width becomes
  a class, ``w-<percent>`` in steps of 5 (``w-50``), a share of the text column. Absolute
  widths (``8cm``, ``3in``, ``240px``, ``200pt``) are taken as a share of the A4 handout's
  text column (150 mm) so they scale with the variant, capped at 100%.
* **Caption** from the image title: an image alone in its paragraph with a title,
  ``![alt](x.png "Figure 1. …")``, becomes ``<figure class="figure">`` with the image and a
  ``<figcaption>`` (tagged ``Caption`` by WeasyPrint; the image is tagged ``Figure`` with
  its alt text).
* Height: CSS keeps every image inside the page's content area (``max-height`` in ``vh``,
  which WeasyPrint measures on the page area), so a tall image shrinks, keeping its
  proportions, and the page furniture stays where it is.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from handouts.guard.sanitize import FIGURE_WIDTHS

#: Width of the A4 handout's text column in mm (base.css: 210 mm - 2 x 30 mm).
REFERENCE_COLUMN_MM = 150.0
MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "px": 25.4 / 96}
WIDTH_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%|mm|cm|in|pt|px)?\s*$", re.IGNORECASE)
WIDTH_STEPS = FIGURE_WIDTHS  # their classes (w-40) are in the sanitizer's allow-list


def width_class(value: str) -> str | None:
    """``"60%"`` -> ``"w-60"``; ``"8cm"`` -> ``"w-55"``; None when not a width."""
    match = WIDTH_RE.match(value or "")
    if not match:
        return None
    number, unit = float(match.group(1)), (match.group(2) or "px").lower()
    percent = number if unit == "%" else number * MM_PER_UNIT[unit] / REFERENCE_COLUMN_MM * 100
    step = min(100, max(5, int(round(percent / 5.0)) * 5))
    return f"w-{step}"


def _only_child_image(p: etree.Element) -> etree.Element | None:
    if p.tag != "p" or len(p) != 1 or (p.text or "").strip():
        return None
    img = p[0]
    if img.tag != "img" or (img.tail or "").strip():
        return None
    return img


class FigureTreeprocessor(Treeprocessor):
    """Widths as classes; captioned images as figures."""

    def run(self, root):
        for img in root.iter("img"):
            width = img.attrib.pop("width", None)
            if width is not None:
                cls = width_class(width)
                if cls:
                    img.attrib.pop("height", None)  # keep the proportions
                    img.set("class", " ".join(filter(None, [img.get("class"), cls])))
        for parent in root.iter():
            for index, child in enumerate(list(parent)):
                img = _only_child_image(child)
                if img is None or not (img.get("title") or "").strip():
                    continue
                figure = etree.Element("figure", {"class": "figure"})
                caption = img.attrib.pop("title").strip()
                # The figure takes the image's width so the caption lines up under it.
                widths = [c for c in (img.get("class") or "").split() if c.startswith("w-")]
                if widths:
                    figure.set("class", f"figure {widths[-1]}")
                    rest = [c for c in img.get("class").split() if not c.startswith("w-")]
                    if rest:
                        img.set("class", " ".join(rest))
                    else:
                        del img.attrib["class"]
                img.tail = None
                figure.append(img)
                figcaption = etree.SubElement(figure, "figcaption")
                figcaption.text = caption  # smarty (priority 6) curls its quotes next
                figure.tail = child.tail
                parent[index] = figure


class FigureExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        # After attr_list (8), which sets the width, and before smarty (6), which then
        # curls the caption's quotes as it does the body's.
        md.treeprocessors.register(FigureTreeprocessor(md), "figures", 7)
