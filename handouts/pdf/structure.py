"""The structure a tagged PDF carries, read once with pikepdf: the structure tree (with
role map and marked-content ids), each page's content operators (tagged, artifact or
neither; text in the page margins), bounded in the bytes it inflates and read without
recursion. The PDF/UA self-check judges it; the tag repair after rendering edits it."""

from __future__ import annotations

from dataclasses import dataclass, field

from handouts.guard import limits as limits_mod


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
    def _mcid(self, page, operands) -> int | None:
        """The MCID of a ``BDC`` operator: in its property list, inline or named in the
        page's ``/Properties`` resources."""
        if len(operands) < 2:
            return None
        props = operands[1]
        if isinstance(props, self.pikepdf.Dictionary) and "/MCID" in props:
            return int(props.MCID)
        if isinstance(props, self.pikepdf.Name):
            res = page.obj.get("/Resources", {}).get("/Properties", {})
            d = res.get(str(props)) if res else None
            if d is not None and "/MCID" in d:
                return int(d.MCID)
        return None

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

        for operands, op in ops:
            name = str(op)
            if name == "q":
                ctm_stack.append(ctm)
            elif name == "Q":
                ctm = ctm_stack.pop() if ctm_stack else ctm
            elif name == "cm" and len(operands) == 6:
                ctm = _mul([float(v) for v in operands], ctm)
            elif name == "BT":
                tm = [1.0, 0, 0, 1.0, 0, 0]
            elif name == "Tm" and len(operands) == 6:
                tm = [float(v) for v in operands]
            elif name in ("Td", "TD") and len(operands) == 2:
                tm = _mul([1, 0, 0, 1, float(operands[0]), float(operands[1])], tm)
            elif name in ("BMC", "BDC"):
                tag = str(operands[0]) if operands else ""
                mcid = self._mcid(page, operands) if name == "BDC" else None
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
                    y = _mul(tm, ctm)[5]
                    if y > top - margin or y < bottom + margin:
                        out.margin_tagged += 1
        return out


def _mul(m, n):
    """The product of two PDF matrices ``[a b c d e f]``."""
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


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
