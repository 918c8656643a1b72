"""Repair WeasyPrint's tagging so the PDF meets PDF/UA-1: running headers and footers as
artifacts, header cells with a scope, bookmarks of headings without citation numbers.

WeasyPrint 70 wraps the text of ``@page`` margin boxes in ``/Span <</MCID n>> BDC`` and
then leaves those structure elements out of the structure tree (weasyprint/pdf/tags.py:
"It could be included in tree as Artifact, but that's only allowed in PDF 2.0"). Such
content is neither in the structure tree nor an artifact: Matterhorn 01-005 fails, and a
screen reader may read "Page 1 of 3" in the middle of a sentence or not at all. In PDF
1.7 the fix is in the content stream: ``/Artifact <</Type /Pagination>> BDC``. Exactly
the marked-content sequences whose MCID the structure tree does not reach are rewritten,
and dropped from the ParentTree; everything else is left as it is.

`finisher(html)` is given to WeasyPrint's ``write_pdf(finisher=…)``: it edits the PDF's
objects (pydyf's) after WeasyPrint made them and before they are written, so the repair
reads and writes no PDF file. The same input gives the same bytes.
"""

from __future__ import annotations

import html as _html
import re

import pydyf

_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S | re.I)
_CITATION_SUP = re.compile(r"<sup\b[^>]*\bclass=\"[^\"]*\bcitation\b[^\"]*\"[^>]*>.*?</sup>", re.S | re.I)


def finisher(html: str | None):
    """WeasyPrint's ``finisher`` that repairs the document made from `html` (None: no
    bookmark fix, every table checked)."""
    labels = heading_labels(html) if html else {}
    tables = html is None or "<th" in html

    def finish(_document, pdf: pydyf.PDF) -> None:
        repair_objects(pdf, labels, tables)

    return finish


def repair_objects(pdf: pydyf.PDF, labels: dict[str, str], tables: bool = True) -> None:
    """Repair `pdf` in place: margin-box text as pagination artifacts, bookmark titles by
    `labels` (`heading_labels`), and (when `tables`) a /Scope on every header cell."""
    objects = _Objects(pdf)
    _fix_outline(objects, labels)
    root = objects.get(pdf.catalog.get("StructTreeRoot"))
    if not isinstance(root, dict):
        return
    _artifacts(objects, root)
    if tables:
        _add_table_scopes(objects)


class _Objects:
    """The PDF's objects, found by their references (``b"12 0 R"``)."""

    def __init__(self, pdf: pydyf.PDF):
        self.pdf = pdf
        self.page_index = {ref: i for i, ref in enumerate(pdf.page_references)}

    def get(self, value):
        """The object `value` refers to; `value` itself when it is no reference."""
        if isinstance(value, bytes) and value.endswith(b" R"):
            number = int(value.split()[0])
            if 0 < number < len(self.pdf.objects):
                return self.pdf.objects[number]
            return None
        return value


def _reachable(objects: _Objects, root: dict) -> set[tuple[int | None, int]]:
    """(page index, MCID) of the marked content the structure tree reaches from its root."""
    out: set[tuple[int | None, int]] = set()
    seen: set[int] = set()
    stack = [(root.get("K"), None)]
    while stack:
        k, page = stack.pop()
        if isinstance(k, bytes) and k.endswith(b" R"):
            target = objects.get(k)
            if target is None or id(target) in seen:
                continue
            seen.add(id(target))
            stack.append((target, page))
        elif isinstance(k, bool):
            continue
        elif isinstance(k, int):
            out.add((page, k))
        elif isinstance(k, list):
            stack.extend((item, page) for item in k)
        elif isinstance(k, dict):
            pg = k.get("Pg")
            if pg is not None:
                page = objects.page_index.get(pg, page)
            if "MCID" in k:  # a marked-content reference
                out.add((page, int(k["MCID"])))
                continue
            if "K" in k:
                stack.append((k["K"], page))
    return out


def _artifacts(objects: _Objects, root: dict) -> None:
    """Turn the marked content the structure tree does not reach into pagination
    artifacts, and take it out of the ParentTree."""
    parent_tree = objects.get(root.get("ParentTree"))
    nums = parent_tree.get("Nums") if isinstance(parent_tree, dict) else None
    if not isinstance(nums, list):
        return
    by_key = {nums[i]: objects.get(nums[i + 1]) for i in range(0, len(nums) - 1, 2)}
    reachable = _reachable(objects, root)
    for index, ref in enumerate(objects.pdf.page_references):
        page = objects.get(ref)
        array = by_key.get(page.get("StructParents"))
        contents = objects.get(page.get("Contents"))
        if not isinstance(array, list) or not isinstance(contents, pydyf.Stream):
            continue
        orphans = {i for i, elem in enumerate(array)
                   if isinstance(elem, bytes) and elem.endswith(b" R") and (index, i) not in reachable}
        if not orphans:
            continue
        items = contents.stream
        for at, item in enumerate(items):
            if (isinstance(item, dict) and item.get("MCID") in orphans and 0 < at < len(items) - 1
                    and items[at + 1] == b"BDC"):
                items[at - 1] = "/Artifact"
                items[at] = pydyf.Dictionary({"Type": "/Pagination"})
        for mcid in orphans:
            array[mcid] = b"null"  # no structure element


def _fix_outline(objects: _Objects, labels: dict[str, str]) -> None:
    """Bookmark titles as the headings read without their citation numbers."""
    if not labels:
        return
    outlines = objects.get(objects.pdf.catalog.get("Outlines"))
    stack = [outlines.get("First")] if isinstance(outlines, dict) else []
    seen = 0
    while stack and seen < 10000:
        item = objects.get(stack.pop())
        if not isinstance(item, dict):
            continue
        seen += 1
        title = item.get("Title")
        text = str(title.string) if isinstance(title, pydyf.String) else ""
        clean = labels.get(" ".join(text.split()))
        if clean is not None and clean != text:
            item["Title"] = pydyf.String(clean)
        stack.extend([item.get("Next"), item.get("First")])


def _text(fragment: str) -> str:
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def heading_labels(html: str) -> dict[str, str]:
    """Bookmark title as WeasyPrint writes it -> the heading's text without its citation
    numbers ("Give it time4" -> "Give it time"), for headings that contain citations."""
    out = {}
    for m in _HEADING.finditer(html or ""):
        inner = m.group(2)
        if _CITATION_SUP.search(inner):
            out[_text(inner)] = _text(_CITATION_SUP.sub("", inner))
    return out


def _add_table_scopes(objects: _Objects) -> None:
    """Give every header cell (TH) without one a /Scope, as HTML's "auto" scope reads it:
    a header in the table head or first row heads its column, the first cell of a later
    row heads its row. WeasyPrint 70 associates cells only through /Headers and /ID;
    with /Scope as well, readers (and checkers) that look at the header cells find it."""

    def kids(elem):
        k = elem.get("K")
        for item in (k if isinstance(k, list) else [k]):
            child = objects.get(item)
            if isinstance(child, dict) and child.get("Type") == "/StructElem":
                yield child

    def rows(elem, in_head=False):
        for child in kids(elem):
            if child.get("S") == "/TR":
                yield child, in_head
            elif child.get("S") in ("/THead", "/TBody", "/TFoot"):
                yield from rows(child, child.get("S") == "/THead")

    for table in list(objects.pdf.objects):
        if not (isinstance(table, dict) and table.get("Type") == "/StructElem"
                and table.get("S") == "/Table"):
            continue
        for r, (row, in_head) in enumerate(rows(table)):
            for c, cell in enumerate(x for x in kids(row) if x.get("S") in ("/TH", "/TD")):
                if cell.get("S") != "/TH":
                    continue
                attrs = objects.get(cell.get("A"))
                if attrs is None:
                    attrs = cell["A"] = pydyf.Dictionary({"O": "/Table"})
                if isinstance(attrs, list):
                    attrs = next((a for a in map(objects.get, attrs)
                                  if isinstance(a, dict) and a.get("O") == "/Table"), None)
                if not isinstance(attrs, dict) or "Scope" in attrs:
                    continue
                attrs["Scope"] = "/Column" if in_head or r == 0 or c > 0 else "/Row"
