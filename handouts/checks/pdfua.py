"""PDF/UA-1 self-check: the machine-checkable core of ISO 14289-1, after the Matterhorn
Protocol's automatic checkpoints, read with pikepdf.

What it checks (rule -> Matterhorn checkpoints):

- ``pdfua/marked``          06-001/06-002 MarkInfo /Marked true
- ``pdfua/struct-tree``     01-006 (structure) a StructTreeRoot with content
- ``pdfua/tagged-content``  01-005 every painting operator on every page is inside tagged
                            marked content (an MCID the structure tree uses) or an Artifact;
                            01-001-ish: text in the top/bottom page margin (running headers,
                            footers, page numbers) is an Artifact, not tagged content
- ``pdfua/lang``            11-006 the document's natural language (/Lang)
- ``pdfua/title``           06-003/07-001 dc:title in the XMP and DisplayDocTitle true
- ``pdfua/pdfuaid``         06-002 the pdfuaid:part identification in the XMP
- ``pdfua/figure-alt``      13-004 every Figure has /Alt (or /ActualText)
- ``pdfua/table-headers``   15-003-ish every Table has header cells (TH)
- ``pdfua/headings``        14-001..14-003/14-007 headings in sequence, numbered H1-H6 not
                            mixed with H, and not empty
- ``pdfua/links``           28-004/28-011 a Link annotation has /Contents and a Link
                            structure element (through /StructParent), and 28-002 other
                            annotations are tagged; pages with annotations use /Tabs /S
- ``pdfua/fonts-embedded``  31-009..31-011 every font used on a page is embedded

What no machine can judge (and this does not check): whether alt text is a good
description, whether the reading order and tag types match the meaning, whether colour
alone carries meaning, contrast of text over images, whether the language is the right
one, logical heading *content*. Those need a person with a screen reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import limits as limits_mod
from .registry import Finding, Hit, rule

_PAINT = {"Tj", "TJ", "'", '"', "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "Do", "sh", "BI",
          "INLINE IMAGE"}
_TEXT_SHOW = {"Tj", "TJ", "'", '"'}
HEADINGS = {f"/H{i}" for i in range(1, 7)}
MAX_DEPTH = 200  # structure-tree levels read (a handout has about 8)


@dataclass
class StructElem:
    type: str  # standard type after the role map, e.g. "/H2"
    obj: object
    depth: int
    mcids: list[tuple[int, int]] = field(default_factory=list)  # (page index, mcid)
    children: list["StructElem"] = field(default_factory=list)
    annots: list[object] = field(default_factory=list)


@dataclass
class PageContent:
    untagged: int = 0  # painting operators outside tagged content and artifacts
    untagged_examples: list[str] = field(default_factory=list)
    margin_tagged: int = 0  # text shown in the top/bottom margin inside tagged content
    mcids: set = field(default_factory=set)
    text_mcids: set = field(default_factory=set)  # MCIDs that show text or images
    unread: str | None = None  # why the content was not read (over a limit)


class PdfModel:
    """What the rules look at, read once."""

    def __init__(self, pdf, margin_ratio: float = 0.06, limits=None):
        import pikepdf

        self.pikepdf = pikepdf
        self.max_content = limits_mod.get(limits, "pdf_content_bytes")
        self.pdf = pdf
        self.root = pdf.Root
        self.pages = list(pdf.pages)
        self.page_index = {p.obj.objgen: i for i, p in enumerate(self.pages)}
        self.elements: list[StructElem] = []
        self.struct_mcids: set[tuple[int, int]] = set()
        self.role_map = {}
        st = self.root.get("/StructTreeRoot")
        if st is not None:
            rm = st.get("/RoleMap")
            if isinstance(rm, pikepdf.Dictionary):
                self.role_map = {str(k): str(v) for k, v in rm.items()}
            self._walk(st.get("/K"), None, 0, None)
        self.content = [self._scan_page(p, margin_ratio) for p in self.pages]

    # -- structure tree --------------------------------------------------------------
    def _std(self, name: str) -> str:
        seen = set()
        while name in self.role_map and name not in seen:
            seen.add(name)
            name = self.role_map[name]
        return name

    def _page_of(self, obj, inherited):
        pg = obj.get("/Pg") if isinstance(obj, self.pikepdf.Dictionary) else None
        if pg is not None:
            return self.page_index.get(pg.objgen, inherited)
        return inherited

    def _walk(self, root, parent: StructElem | None, depth: int, page):
        """Read the structure tree below `root` (a /K value) into `self.elements`.

        Iterative, and each indirect object is read once: a /K that contains itself (or
        an ancestor), or one element shared by many parents, cannot recurse for ever or
        multiply; the tree is cut at `MAX_DEPTH` levels."""
        pikepdf = self.pikepdf
        seen: set[tuple[int, int]] = set()
        stack = [(root, parent, depth, page)]
        while stack:
            k, parent, depth, page = stack.pop()
            if k is None or depth > MAX_DEPTH:
                continue
            objgen = getattr(k, "objgen", (0, 0))
            if objgen != (0, 0):
                if objgen in seen:
                    continue
                seen.add(objgen)
            if isinstance(k, pikepdf.Array):
                stack.extend((item, parent, depth, page) for item in reversed(list(k)))
                continue
            if not isinstance(k, pikepdf.Dictionary):
                try:
                    value = int(k)
                except (TypeError, ValueError):
                    continue
                if parent is not None and page is not None:
                    parent.mcids.append((page, value))
                    self.struct_mcids.add((page, value))
                continue
            kind = str(k.get("/Type", ""))
            if kind == "/MCR":
                pg = self._page_of(k, page)
                if parent is not None and pg is not None and "/MCID" in k:
                    parent.mcids.append((pg, int(k.MCID)))
                    self.struct_mcids.add((pg, int(k.MCID)))
                continue
            if kind == "/OBJR":
                if parent is not None and "/Obj" in k:
                    parent.annots.append(k.Obj)
                continue
            if "/S" not in k:
                continue
            elem = StructElem(self._std(str(k.S)), k, depth)
            self.elements.append(elem)
            if parent is not None:
                parent.children.append(elem)
            stack.append((k.get("/K"), elem, depth + 1, self._page_of(k, page)))

    def descendants(self, elem: StructElem):
        for child in elem.children:
            yield child
            yield from self.descendants(child)

    def parent_tree(self) -> dict[int, object]:
        """ParentTree number tree -> {key: value}."""
        st = self.root.get("/StructTreeRoot")
        out: dict[int, object] = {}
        if st is None or "/ParentTree" not in st:
            return out

        seen: set = set()
        stack = [(st.ParentTree, 0)]
        while stack:  # each node once: /Kids that repeat or contain a node cannot multiply
            node, depth = stack.pop()
            if depth > MAX_DEPTH or not isinstance(node, self.pikepdf.Dictionary):
                continue
            if node.objgen != (0, 0):
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            nums = node.get("/Nums")
            if nums is not None:
                for i in range(0, len(nums) - 1, 2):
                    out[int(nums[i])] = nums[i + 1]
            stack.extend((kid, depth + 1) for kid in node.get("/Kids", []))
        return out

    # -- page content ----------------------------------------------------------------
    def _scan_page(self, page, margin_ratio: float) -> PageContent:
        pikepdf = self.pikepdf
        out = PageContent()
        try:
            box = [float(v) for v in page.obj.get("/CropBox", page.obj.MediaBox)]
        except Exception:
            box = [0, 0, 612, 792]
        bottom, top = min(box[1], box[3]), max(box[1], box[3])
        margin = (top - bottom) * margin_ratio
        try:
            data = content_bytes(page, self.max_content)
        except ContentTooLarge as exc:
            out.unread = str(exc)
            return out
        try:
            ops = pikepdf.parse_content_stream(pikepdf.Stream(self.pdf, data))
        except Exception:
            return out
        stack: list[tuple[str, int | None]] = []  # (kind: "artifact"/"tagged"/"other", mcid)
        ctm = [1.0, 0, 0, 1.0, 0, 0]
        ctm_stack = []
        tm = [1.0, 0, 0, 1.0, 0, 0]

        def mul(m, n):
            return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
                    m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
                    m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]

        for operands, op in ops:
            name = str(op)
            if name == "q":
                ctm_stack.append(ctm)
            elif name == "Q":
                ctm = ctm_stack.pop() if ctm_stack else ctm
            elif name == "cm" and len(operands) == 6:
                ctm = mul([float(v) for v in operands], ctm)
            elif name == "BT":
                tm = [1.0, 0, 0, 1.0, 0, 0]
            elif name == "Tm" and len(operands) == 6:
                tm = [float(v) for v in operands]
            elif name in ("Td", "TD") and len(operands) == 2:
                tm = mul([1, 0, 0, 1, float(operands[0]), float(operands[1])], tm)
            elif name in ("BMC", "BDC"):
                tag = str(operands[0]) if operands else ""
                mcid = None
                if name == "BDC" and len(operands) > 1:
                    props = operands[1]
                    if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
                        mcid = int(props.MCID)
                    elif isinstance(props, pikepdf.Name):
                        res = page.obj.get("/Resources", {}).get("/Properties", {})
                        d = res.get(str(props)) if res else None
                        if d is not None and "/MCID" in d:
                            mcid = int(d.MCID)
                if tag == "/Artifact":
                    stack.append(("artifact", None))
                elif mcid is not None:
                    stack.append(("tagged", mcid))
                    out.mcids.add(mcid)
                else:
                    stack.append(("other", None))
            elif name == "EMC":
                if stack:
                    stack.pop()
            elif name in _PAINT:
                kinds = [k for k, _ in stack]
                if "artifact" in kinds:
                    continue
                tagged = [m for k, m in stack if k == "tagged"]
                if not tagged:
                    out.untagged += 1
                    if len(out.untagged_examples) < 3:
                        out.untagged_examples.append(name)
                    continue
                if name in _TEXT_SHOW or name in ("Do", "BI", "INLINE IMAGE"):
                    out.text_mcids.add(tagged[-1])
                if name in _TEXT_SHOW:
                    y = mul(tm, ctm)[5]
                    if y > top - margin or y < bottom + margin:
                        out.margin_tagged += 1
        return out


class ContentTooLarge(Exception):
    """A page's content streams decode to more than the limit."""


_EXPANDING = {"/FlateDecode", "/LZWDecode", "/RunLengthDecode"}


def content_bytes(page, limit: int) -> bytes:
    """The page's content streams, decoded and joined, at most `limit` bytes.

    Flate is inflated here in bounded steps, so a small stream that inflates to gigabytes
    costs `limit` bytes, not gigabytes; a chain of other filters is left to pikepdf only
    when even their worst expansion (LZW: ~4,000×) stays within `limit`."""
    import zlib

    import pikepdf

    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    out = bytearray()
    for stream in streams[:10_000]:
        if not isinstance(stream, pikepdf.Stream):
            continue
        room = limit - len(out)
        filters = stream.get("/Filter")
        filters = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else \
            [str(filters)] if filters is not None else []
        if filters and all(f == "/FlateDecode" for f in filters) and "/DecodeParms" not in stream:
            data = stream.read_raw_bytes()
            for _ in filters:
                inflate = zlib.decompressobj()
                try:
                    data = inflate.decompress(data, room + 1)
                except zlib.error:
                    data = b""
                if len(data) > room:
                    break
        elif len(stream.read_raw_bytes()) * 4096 ** sum(f in _EXPANDING for f in filters) <= room:
            data = stream.read_bytes()
        else:
            raise ContentTooLarge(f"its content streams use the filters {' '.join(filters)}, "
                                  "which could decode to more than the limit")
        if len(data) > room:
            raise ContentTooLarge(f"its content decodes to over {limit:,} bytes (pdf_content_bytes)")
        out += data + b"\n"
    return bytes(out)


def _xmp(model: PdfModel):
    try:
        return model.pdf.open_metadata()
    except Exception:
        return None


@rule("pdfua/marked", severity="error", scope="pdf")
def marked(model, opts):
    """The document is tagged: MarkInfo /Marked true (Matterhorn 06-001)."""
    mi = model.root.get("/MarkInfo")
    if mi is None or not bool(mi.get("/Marked", False)):
        yield Hit(None, "not marked as tagged (MarkInfo /Marked is not true)",
                  "produce the PDF with tagging on (WeasyPrint: pdf_variant='pdf/ua-1')")


@rule("pdfua/struct-tree", severity="error", scope="pdf")
def struct_tree(model, opts):
    """A structure tree (StructTreeRoot) with elements."""
    if model.root.get("/StructTreeRoot") is None:
        yield Hit(None, "no structure tree (StructTreeRoot)", "produce a tagged PDF")
    elif not model.elements:
        yield Hit(None, "the structure tree is empty", "produce a tagged PDF")


@rule("pdfua/tagged-content", severity="error", scope="pdf", margin_ratio=0.06)
def tagged_content(model, opts):
    """All page content is tagged or an artifact; running headers and footers are artifacts."""
    for i, page in enumerate(model.content, 1):
        if page.unread:
            yield Hit(None, f"page {i} not checked: {page.unread}",
                      limits_mod.hint("pdf_content_bytes", "simplify the page"), data={"page": i})
        if page.untagged:
            yield Hit(None, f"page {i}: {page.untagged} drawing operation(s) neither tagged nor "
                      f"marked as artifact (e.g. {', '.join(page.untagged_examples)})",
                      "tag the content, or mark decoration as /Artifact", data={"page": i})
        orphans = sorted(m for m in page.mcids if (i - 1, m) not in model.struct_mcids)
        if orphans and model.elements:
            yield Hit(None, f"page {i}: marked content {orphans[:5]} is not in the structure tree",
                      "every tagged MCID must belong to a structure element, or be an artifact "
                      "(handouts repairs WeasyPrint's running headers and footers; rebuild the PDF)",
                      data={"page": i})
        if page.margin_tagged:
            yield Hit(None, f"page {i}: {page.margin_tagged} text run(s) in the top or bottom margin "
                      "are tagged content: running headers, footers and page numbers must be artifacts",
                      "mark them /Artifact (handouts repairs WeasyPrint's output; rebuild the PDF)",
                      data={"page": i})


@rule("pdfua/lang", severity="error", scope="pdf")
def lang(model, opts):
    """The natural language of the document (/Lang in the catalog)."""
    value = str(model.root.get("/Lang", "")).strip()
    if not value:
        yield Hit(None, "no document language (/Lang)", "set <html lang=\"…\">")
    elif not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", value):
        yield Hit(None, f"document language {value!r} is not a language tag", "use e.g. en or vi")


@rule("pdfua/title", severity="error", scope="pdf")
def title(model, opts):
    """dc:title in the XMP metadata, shown as the window title (DisplayDocTitle)."""
    meta = _xmp(model)
    text = ""
    if meta is not None:
        try:
            text = str(meta.get("dc:title", "") or "").strip()
        except Exception:
            text = ""
    if not text:
        yield Hit(None, "no dc:title in the XMP metadata", "give the document a <title>")
    vp = model.root.get("/ViewerPreferences")
    if vp is None or not bool(vp.get("/DisplayDocTitle", False)):
        yield Hit(None, "ViewerPreferences /DisplayDocTitle is not true",
                  "viewers must show the title, not the file name")


@rule("pdfua/pdfuaid", severity="error", scope="pdf")
def pdfuaid(model, opts):
    """The PDF/UA identification (pdfuaid:part) in the XMP metadata."""
    meta = _xmp(model)
    part = ""
    if meta is not None:
        try:
            part = str(meta.get("pdfuaid:part", "") or "")
        except Exception:
            part = ""
    if part.strip() != "1":
        yield Hit(None, "no PDF/UA identification (pdfuaid:part = 1) in the XMP metadata"
                  + (f" (found {part!r})" if part else ""),
                  "write the PDF with pdf_variant='pdf/ua-1'")


@rule("pdfua/figure-alt", severity="error", scope="pdf")
def figure_alt(model, opts):
    """Every Figure has alternative text (/Alt or /ActualText)."""
    for e in model.elements:
        if e.type == "/Figure":
            alt = str(e.obj.get("/Alt", "") or e.obj.get("/ActualText", "")).strip()
            if not alt:
                page = e.mcids[0][0] + 1 if e.mcids else None
                yield Hit(None, "a Figure has no alternative text" + (f" (page {page})" if page else ""),
                          "give the image alt text", data={"page": page})


@rule("pdfua/table-headers", severity="error", scope="pdf")
def table_headers(model, opts):
    """Every Table has header cells (TH)."""
    for e in model.elements:
        if e.type != "/Table":
            continue
        cells = [d for d in model.descendants(e) if d.type in ("/TH", "/TD")]
        page = next((d.mcids[0][0] + 1 for d in model.descendants(e) if d.mcids), None)
        where = f" (page {page})" if page else ""
        if not any(d.type == "/TH" for d in cells):
            yield Hit(None, "a Table has no header cells (TH)" + where,
                      "give the table a header row", data={"page": page})
            continue
        # Matterhorn 15-003/15-005: each TH has a Scope, or the cells name their headers.
        scoped = all(_attr(d.obj, "/Scope") is not None for d in cells if d.type == "/TH")
        headed = all(_attr(d.obj, "/Headers") is not None for d in cells if d.type == "/TD")
        if not (scoped or headed):
            yield Hit(None, "a Table's header cells are not associated with its data cells (no "
                      "/Scope on TH, no /Headers on TD)" + where,
                      "give header cells a scope", data={"page": page})


def _attr(obj, key):
    """A structure attribute (in /A, a dictionary or an array of them)."""
    attrs = obj.get("/A")
    if attrs is None:
        return None
    import pikepdf

    for a in (attrs if isinstance(attrs, pikepdf.Array) else [attrs]):
        if isinstance(a, pikepdf.Dictionary) and key in a:
            return a[key]
    return None


@rule("pdfua/headings", severity="error", scope="pdf")
def headings(model, opts):
    """Headings: numbered H1-H6 not mixed with H, no level skipped going deeper, none empty."""
    hs = [e for e in model.elements if e.type in HEADINGS or e.type == "/H"]
    kinds = {e.type == "/H" for e in hs}
    if len(kinds) > 1:
        yield Hit(None, "numbered headings (H1-H6) mixed with unnumbered H", "use one scheme")
    level = 0
    for e in hs:
        if e.type == "/H":
            continue
        n = int(e.type[2])
        if n > level + 1:
            yield Hit(None, f"heading level H{n} follows H{level or '(none)'}: a level is skipped",
                      "nest headings one level at a time")
        level = n
        mcids = [m for d in [e, *model.descendants(e)] for m in d.mcids]
        has_text = any(m in model.content[p].text_mcids for p, m in mcids if p < len(model.content))
        if not has_text and not str(e.obj.get("/ActualText", "")).strip() \
                and not str(e.obj.get("/Alt", "")).strip():
            yield Hit(None, f"an empty H{n} heading", "remove it or give it text")


@rule("pdfua/links", severity="error", scope="pdf")
def links(model, opts):
    """Link annotations have /Contents and a Link structure element; other annotations are
    tagged; pages with annotations have tab order /S."""
    tree = model.parent_tree()
    for i, page in enumerate(model.pages, 1):
        annots = page.obj.get("/Annots") or []
        if annots and str(page.obj.get("/Tabs", "")) != "/S":
            yield Hit(None, f"page {i} has annotations but no /Tabs /S (structure tab order)",
                      "set the page's tab order to the structure order", data={"page": i})
        for a in annots:
            subtype = str(a.get("/Subtype", ""))
            if subtype in ("/Popup", "/PrinterMark"):
                continue
            sp = a.get("/StructParent")
            parent = tree.get(int(sp)) if sp is not None else None
            if subtype == "/Link":
                if not str(a.get("/Contents", "")).strip():
                    yield Hit(None, f"page {i}: a link has no /Contents (its description)",
                              "describe the link target", data={"page": i})
                ptype = model._std(str(parent.get("/S", ""))) if parent is not None and hasattr(parent, "get") else ""
                if ptype != "/Link":
                    yield Hit(None, f"page {i}: a link annotation is not in a Link structure element",
                              "tag the link (Link + OBJR)", data={"page": i})
            elif parent is None:
                yield Hit(None, f"page {i}: a {subtype[1:]} annotation is not in the structure tree",
                          "tag the annotation", data={"page": i})


@rule("pdfua/fonts-embedded", severity="error", scope="pdf")
def fonts_embedded(model, opts):
    """Every font is embedded."""
    pikepdf = model.pikepdf
    seen = set()

    visited: set = set()

    def fonts_of(resources, depth=0):
        if resources is None or depth > 10:
            return
        if resources.objgen != (0, 0):  # forms that draw each other: each once
            if resources.objgen in visited:
                return
            visited.add(resources.objgen)
        for _, font in (resources.get("/Font") or {}).items():
            yield font
        for _, xobj in (resources.get("/XObject") or {}).items():
            if str(xobj.get("/Subtype", "")) == "/Form" and xobj.objgen not in visited:
                visited.add(xobj.objgen)
                yield from fonts_of(xobj.get("/Resources"), depth + 1)

    for i, page in enumerate(model.pages, 1):
        for font in fonts_of(page.obj.get("/Resources")):
            key = font.objgen if font.objgen != (0, 0) else id(font)
            if key in seen:
                continue
            seen.add(key)
            subtype = str(font.get("/Subtype", ""))
            if subtype == "/Type3":
                continue
            desc_font = font.DescendantFonts[0] if subtype == "/Type0" and "/DescendantFonts" in font else font
            fd = desc_font.get("/FontDescriptor")
            embedded = fd is not None and any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            if not embedded:
                name = str(font.get("/BaseFont", "?"))[1:]
                yield Hit(None, f"font {name} (page {i}) is not embedded", "embed every font",
                          data={"page": i})
    _ = pikepdf


def check_pdf(path, *, settings=None, limits=None) -> list[Finding]:
    """Run the PDF/UA self-check on the PDF at `path`; return its findings. `limits`
    (handouts.toml's ``[limits]``) bounds what a page's content may decode to."""
    import pikepdf

    from . import load_families, settings_of
    from .registry import RULES

    load_families()
    if settings is None:
        settings = settings_of(None)
    path = Path(path)
    try:
        pdf = pikepdf.open(path)
    except Exception as exc:  # not a PDF, encrypted, unreadable
        return [Finding.make("pdfua/readable", "error", path, None,
                             f"cannot read the PDF: {exc}", "check the file")]
    with pdf:
        margin = settings.of("pdfua/tagged-content").options["margin_ratio"]
        model = PdfModel(pdf, margin, limits)
        findings = []
        for name, r in RULES.items():
            own = settings.of(name)
            if r.scope != "pdf" or not own.enabled:
                continue
            for hit in r.func(model, own.options) or ():
                findings.append(Finding.make(name, own.severity, path, None, hit.text, hit.hint, hit.data))
    return findings
