"""A fast builder for the tests of what happens around the render.

`build` is `handouts.batch.build.build_job` itself (load, review gate, checks,
bibliography, Markdown, template, the variant's lay-out and finishing) with one step
replaced: instead of WeasyPrint laying the HTML out, `fake_render` writes a small PDF whose
text layer is the document's text — the running header and footer the page CSS sets, then
one line per block of the body — so a test reads the title, edition, clinic and body back
with pypdf as from a real render. A job takes about a tenth of a second instead of one or more.

For tests of publishing, editions, the manifest and the site, not of layout::

    batch.run(config, targets, options, builder=fakebuild.build)
    main([...], builder=fakebuild.build)

`build` is a module-level function, so a process pool or Dask can pickle it.
"""

from __future__ import annotations

import html as _html
import re
import textwrap
import zlib
from html.parser import HTMLParser
from pathlib import Path

from handouts.batch.build import build_job
from handouts.pdf.render import RenderedPDF

MM = 72 / 25.4
#: Tags after which the text goes on to a new line (as a block does on the page).
BLOCKS = {"p", "div", "section", "article", "header", "footer", "aside", "figure",
          "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "table",
          "blockquote", "pre", "dt", "dd", "ol", "ul", "dl", "main", "nav", "hr"}


def build(config, job):
    """`build_job` with `fake_render` for WeasyPrint."""
    return build_job(config, job, renderer=fake_render)


def fake_render(html: str, *, base_dir, theme, stylesheets, page_css: str = "",
                allow_remote: bool = False, limits=None, min_image_ppi: float = 150) -> RenderedPDF:
    """The document as a PDF of text lines, paged as the page size allows and where the
    stylesheets break pages (a booklet's cover, padding pages and back cover): `render_pdf`'s
    signature and result, without WeasyPrint."""
    width, height = page_size(page_css)
    furniture = " · ".join(css_strings(page_css))
    per_line, per_page = max(30, int(width / 6)), max(8, int(height / 16) - 4)
    pages: list[list[str]] = [[]]
    for line in document_lines(html, page_breaks(stylesheets)):
        if line is None:  # a page break
            if pages[-1]:
                pages.append([])
            continue
        for part in textwrap.wrap(line, per_line) or [""]:
            if len(pages[-1]) == per_page:
                pages.append([])
            pages[-1].append(part)
    if len(pages) > 1 and not pages[-1]:
        pages.pop()
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    data = text_pdf([[furniture, *page] for page in pages], (width, height),
                    _html.unescape(title.group(1)).strip() if title else "")
    return RenderedPDF(data, len(pages))


def page_breaks(stylesheets) -> frozenset[str]:
    """The classes the stylesheets start a new page before (``.x { break-before: page }``)."""
    classes: set[str] = set()
    for sheet in stylesheets:
        css = re.sub(r"/\*.*?\*/", "", Path(sheet).read_text(encoding="utf-8"), flags=re.S)
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
            if re.search(r"(?:page-)?break-before:\s*(?:page|always)", body):
                classes |= {m.group(1) for sel in selectors.split(",")
                            if (m := re.fullmatch(r"\s*\.([\w-]+)\s*", sel))}
    return frozenset(classes)


def page_size(page_css: str) -> tuple[float, float]:
    """(width, height) in points of ``size: W H`` plus ``bleed: B`` on every side."""
    size = re.search(r"size:\s*([\d.]+)mm\s+([\d.]+)mm", page_css)
    bleed = re.search(r"bleed:\s*([\d.]+)mm", page_css)
    w, h = (float(size.group(1)), float(size.group(2))) if size else (210.0, 297.0)
    b = float(bleed.group(1)) if bleed else 0.0
    return (w + 2 * b) * MM, (h + 2 * b) * MM


def css_strings(css: str) -> list[str]:
    """The quoted strings of the ``content:`` declarations (running header and footer),
    once each, in order."""
    found: dict[str, None] = {}
    for value in re.findall(r"content:\s*([^;}]*)", css):
        for quoted in re.findall(r'"((?:[^"\\]|\\.)*)"', value):
            text = re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), quoted)
            text = re.sub(r"\\(.)", r"\1", text).strip()
            if text:
                found[text] = None
    return list(found)


class _Text(HTMLParser):
    """The text of the body, a line per block (None where a page break comes); head, style
    and script left out."""

    def __init__(self, breaks: frozenset[str]):
        super().__init__(convert_charrefs=True)
        self.breaks = breaks
        self.lines: list[str | None] = []
        self.current: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("head", "style", "script"):
            self.skip += 1
        elif tag in BLOCKS:
            self._end_line()
        if self.breaks.intersection((attrs.get("class") or "").split()):
            self.lines += [None, ""]  # a new page, which this element occupies
        if tag == "img" and attrs.get("alt"):
            self.current.append(attrs["alt"])

    def handle_endtag(self, tag):
        if tag in ("head", "style", "script"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCKS:
            self._end_line()

    def handle_data(self, data):
        if not self.skip:
            self.current.append(data)

    def _end_line(self):
        line = " ".join("".join(self.current).split())
        if line:
            self.lines.append(line)
        self.current = []


def document_lines(html: str, breaks: frozenset[str] = frozenset()) -> list[str | None]:
    parser = _Text(breaks)
    parser.feed(html)
    parser.close()
    parser._end_line()
    return parser.lines


def text_pdf(pages: list[list[str]], size: tuple[float, float], title: str = "") -> bytes:
    """A valid PDF of `pages` (lists of text lines) in one font, Unicode through its
    ToUnicode map: a reader extracts the text as written. Deterministic bytes."""
    width, height = size
    codes = {c: (ord(c) if ord(c) <= 0xFFFF else 0xFFFD)
             for c in sorted({c for page in pages for line in page for c in line})}
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes) -> bytes:
        packed = zlib.compress(data, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)

    catalog = add(b"<< /Type /Catalog /Pages 2 0 R >>")
    add(b"")  # the page tree, once the pages are numbered
    cmap = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
            b"/CMapName /Fake-UCS def /CMapType 2 def",
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    items = sorted(set(codes.values()))
    for i in range(0, len(items), 100):
        chunk = items[i:i + 100]
        cmap.append(b"%d beginbfchar" % len(chunk))
        cmap += [b"<%04X> <%04X>" % (code, code) for code in chunk]
        cmap.append(b"endbfchar")
    cmap += [b"endcmap CMapName currentdict /CMap defineresource pop end end"]
    to_unicode = add(stream(b"\n".join(cmap)))
    descriptor = add(b"<< /Type /FontDescriptor /FontName /Helvetica /Flags 32 "
                     b"/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 "
                     b"/CapHeight 700 /StemV 80 >>")
    cid = add(b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Helvetica /CIDSystemInfo "
              b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor "
              b"%d 0 R /DW 500 /CIDToGIDMap /Identity >>" % descriptor)
    font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /Helvetica /Encoding /Identity-H "
               b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (cid, to_unicode))
    info = add(b"<< /Title <FEFF%s> /Producer (handouts test builder) >>"
               % title.encode("utf-16-be").hex().upper().encode())
    kids = []
    for lines in pages:
        ops = [b"BT /F1 10 Tf 36 %.2f Td" % (height - 40)]
        for line in lines:
            ops.append(b"<%s> Tj 0 -14 Td" % "".join("%04X" % codes[c] for c in line).encode())
        ops.append(b"ET")
        content = add(stream(b"\n".join(ops)))
        kids.append(add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources "
                        b"<< /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                        % (width, height, font, content)))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out, offsets = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, catalog, info, xref))
    return bytes(out)
