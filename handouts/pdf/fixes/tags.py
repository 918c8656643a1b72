"""Repair WeasyPrint's tagging of page margin boxes (running headers, footers, page
numbers) so the PDF meets PDF/UA-1.

WeasyPrint 70 wraps the text of ``@page`` margin boxes in ``/Span <</MCID n>> BDC`` and
then leaves those structure elements out of the structure tree (weasyprint/pdf/tags.py:
"It could be included in tree as Artifact, but that's only allowed in PDF 2.0"). Such
content is neither in the structure tree nor an artifact: Matterhorn 01-005 fails, and a
screen reader may read "Page 1 of 3" in the middle of a sentence or not at all. In PDF
1.7 the fix is in the content stream: ``/Artifact <</Type /Pagination>> BDC``. This
module rewrites exactly the marked-content sequences whose MCID the structure tree does
not reach, and drops them from the ParentTree. Everything else is left as it is; the
result is deterministic (same input, same bytes).
"""

from __future__ import annotations

import io
import re


_MARKED = re.compile(rb"/([A-Za-z][\w.]*)\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _reachable(pdf, pikepdf) -> set[tuple[int, int]]:
    """(page index, MCID) of the marked content the structure tree reaches from its root."""
    page_index = {p.objgen: i for i, p in enumerate(pdf.pages)}
    out: set[tuple[int, int]] = set()
    Array, Dictionary = pikepdf.Array, pikepdf.Dictionary
    stack = [(pdf.Root.StructTreeRoot.get("/K"), None)]
    while stack:
        k, page = stack.pop()
        if isinstance(k, int):
            out.add((page, k))
        elif isinstance(k, Array):
            stack.extend((item, page) for item in k)
        elif isinstance(k, Dictionary):
            pg = k.get("/Pg")
            if pg is not None:
                page = page_index.get(pg.objgen, page)
            mcid = k.get("/MCID")  # a marked-content reference
            if mcid is not None:
                out.add((page, int(mcid)))
                continue
            kids = k.get("/K")
            if kids is not None:
                stack.append((kids, page))
    return out


_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S | re.I)
_CITATION_SUP = re.compile(r"<sup\b[^>]*\bclass=\"[^\"]*\bcitation\b[^\"]*\"[^>]*>.*?</sup>", re.S | re.I)


def _text(fragment: str) -> str:
    import html as _html

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


def _fix_outline(pdf, labels: dict[str, str]) -> bool:
    import pikepdf

    outlines = pdf.Root.get("/Outlines")
    changed = False
    stack = [outlines.get("/First")] if outlines is not None else []
    seen = 0
    while stack and seen < 10000:
        item = stack.pop()
        if item is None:
            continue
        seen += 1
        title = str(item.get("/Title", ""))
        clean = labels.get(" ".join(title.split()))
        if clean is not None and clean != title:
            item.Title = pikepdf.String(clean)
            changed = True
        stack.extend([item.get("/Next"), item.get("/First")])
    return changed


def mark_untagged_as_artifacts(data: bytes, html: str | None = None) -> bytes:
    """`data` with marked content outside the structure tree turned into pagination
    artifacts, table header scopes added, and (given the document's `html`) bookmarks of
    headings without their citation numbers; `data` itself when nothing changes."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        outline_changed = _fix_outline(pdf, heading_labels(html)) if html else False
        st = pdf.Root.get("/StructTreeRoot")
        if st is None:
            return _save(pdf) if outline_changed else data
        parent_tree = st.get("/ParentTree") if st is not None else None
        nums = parent_tree.get("/Nums") if parent_tree is not None else None
        if nums is None:
            nums = []
        by_key = {int(nums[i]): nums[i + 1] for i in range(0, len(nums) - 1, 2)}
        reachable = _reachable(pdf, pikepdf)
        changed = outline_changed
        for index, page in enumerate(pdf.pages):
            key = page.obj.get("/StructParents")
            array = by_key.get(int(key)) if key is not None else None
            contents = page.obj.get("/Contents")
            if not isinstance(array, pikepdf.Array) or not isinstance(contents, pikepdf.Stream):
                continue
            orphans = {i for i, elem in enumerate(array)
                       if isinstance(elem, pikepdf.Dictionary) and (index, i) not in reachable}
            if not orphans:
                continue

            def artifact(m):
                if int(m.group(2)) in orphans:
                    return b"/Artifact <</Type /Pagination>> BDC"
                return m.group(0)

            contents.write(_MARKED.sub(artifact, contents.read_bytes()))
            for mcid in orphans:
                array[mcid] = None  # null: no structure element
            changed = True
        if html is None or "<th" in html:
            changed |= _add_table_scopes(pdf, pikepdf)
        if not changed:
            return data
        return _save(pdf)


def _save(pdf) -> bytes:
    import pikepdf

    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return buffer.getvalue()


def _add_table_scopes(pdf, pikepdf) -> bool:
    """Give every header cell (TH) without one a /Scope, as HTML's "auto" scope reads it:
    a header in the table head or first row heads its column, the first cell of a later
    row heads its row. WeasyPrint 70 associates cells only through /Headers and /ID;
    with /Scope as well, readers (and checkers) that look at the header cells find it."""
    from handouts.pdf.structure import PdfModel

    model = PdfModel.__new__(PdfModel)
    model.pikepdf, model.pdf, model.root = pikepdf, pdf, pdf.Root
    model.pages = list(pdf.pages)
    model.page_index = {p.obj.objgen: i for i, p in enumerate(model.pages)}
    model.elements, model.struct_mcids, model.role_map = [], set(), {}
    model._walk(pdf.Root.StructTreeRoot.get("/K"), None, 0, None)
    changed = False

    def rows(elem, in_head=False):
        for child in elem.children:
            if child.type == "/TR":
                yield child, in_head
            elif child.type in ("/THead", "/TBody", "/TFoot"):
                yield from rows(child, child.type == "/THead")

    for table in (e for e in model.elements if e.type == "/Table"):
        for r, (row, in_head) in enumerate(rows(table)):
            for c, cell in enumerate(x for x in row.children if x.type in ("/TH", "/TD")):
                if cell.type != "/TH":
                    continue
                attrs = cell.obj.get("/A")
                if attrs is None:
                    attrs = pikepdf.Dictionary(O=pikepdf.Name.Table)
                    cell.obj.A = attrs
                if isinstance(attrs, pikepdf.Array):
                    attrs = next((a for a in attrs if str(a.get("/O", "")) == "/Table"), None)
                    if attrs is None:
                        continue
                if "/Scope" in attrs:
                    continue
                attrs.Scope = pikepdf.Name.Column if in_head or r == 0 or c > 0 else pikepdf.Name.Row
                changed = True
    return changed
