"""Finish stage: pypdf post-work on rendered PDFs (booklet imposition, print-shop page
boxes and crop marks; PDF/X-4 is in `handouts.variants.pdfx`). Every function maps PDF bytes to
PDF bytes and keeps the document's metadata, so the outputs stay reproducible. Which
variant gets which finishing is the variant's own business (`handouts.variants.kinds`).
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, FloatObject, IndirectObject, NameObject, RectangleObject

from handouts.variants.impose import flate_stream, impose_2up, padded_sequence
from handouts.variants.paper import MM


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _copy_document_info(reader: PdfReader, writer: PdfWriter) -> None:
    """Title, authors, dates and language of `reader` onto `writer` (no pypdf Producer)."""
    if reader.metadata:
        writer.add_metadata({k: v for k, v in reader.metadata.items()})
    root = reader.trailer["/Root"]
    for key in ("/Lang", "/ViewerPreferences"):
        if key in root:
            writer._root_object[NameObject(key)] = root[key].clone(writer)
    if reader.trailer.get("/ID"):
        writer._ID = reader.trailer["/ID"].clone(writer)


def pad_booklet(data: bytes) -> tuple[bytes, int]:
    """Insert blank pages before the back cover up to a multiple of 4.

    The booklet normally arrives padded already (Notes pages laid out by WeasyPrint, see
    `Booklet.lay_out`); this is the fallback when that render did not come out at a
    multiple of 4. Returns the padded PDF (reading order, still tagged) and the number of
    blanks added.
    """
    reader = PdfReader(io.BytesIO(data))
    count = len(reader.pages)
    sequence = padded_sequence(count)
    blanks = len(sequence) - count
    if not blanks:
        return data, 0
    writer = PdfWriter(clone_from=reader)
    box = reader.pages[0].mediabox
    for _ in range(blanks):
        writer.insert_blank_page(float(box.width), float(box.height), index=len(writer.pages) - 1)
    return _bytes(writer), blanks


def impose_booklet(data: bytes, sheet_pt: tuple[float, float]) -> bytes:
    """2-up saddle-stitch sheets from a padded reading-order booklet."""
    reader = PdfReader(io.BytesIO(data))
    writer = impose_2up(reader, *sheet_pt)
    _copy_document_info(reader, writer)
    return _bytes(writer)


def add_crop_marks(data: bytes, bleed_mm: float, slug_mm: float = 10.0,
                   gap_mm: float = 1.0, weight_pt: float = 0.25) -> bytes:
    """Put each page (trim + bleed, as WeasyPrint lays it out) on a larger sheet.

    MediaBox = BleedBox plus a slug on every side; TrimBox and BleedBox are set on
    every page; crop marks sit in the slug, in line with the trim edges, starting
    `gap_mm` outside the bleed so they never print over the bleed area. The page's own
    content stream is kept as it is (wrapped in a translation), so its tags stay valid.
    """
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    bleed, slug, gap = bleed_mm * MM, slug_mm * MM, gap_mm * MM
    for page in writer.pages:
        box = page.mediabox  # trim + bleed; WeasyPrint puts its origin at (-bleed, -bleed)
        width, height = float(box.width), float(box.height)
        dx, dy = slug - float(box.left), slug - float(box.bottom)
        full_w, full_h = width + 2 * slug, height + 2 * slug
        bleed_box = (slug, slug, slug + width, slug + height)
        trim = (slug + bleed, slug + bleed, slug + width - bleed, slug + height - bleed)
        old = page.raw_get(NameObject("/Contents"))  # keep indirect references as they are
        old = old.get_object() if isinstance(old, IndirectObject) and isinstance(
            old.get_object(), ArrayObject) else old
        old = list(old) if isinstance(old, ArrayObject) else [old]
        before = writer._add_object(flate_stream(f"q 1 0 0 1 {dx:.3f} {dy:.3f} cm\n".encode()))
        after = writer._add_object(flate_stream(b"Q\n" + _marks(trim, bleed_box, gap, weight_pt, full_w, full_h)))
        page[NameObject("/Contents")] = ArrayObject([before, *old, after])
        for annotation in page.get("/Annots", []):  # links move with the content
            annotation = annotation.get_object()
            x0, y0, x1, y1 = (float(v) for v in annotation["/Rect"])
            annotation[NameObject("/Rect")] = _box((x0 + dx, y0 + dy, x1 + dx, y1 + dy))
        page.mediabox = RectangleObject((0, 0, full_w, full_h))
        page.cropbox = RectangleObject((0, 0, full_w, full_h))
        page.bleedbox = RectangleObject(bleed_box)
        page.trimbox = RectangleObject(trim)
        if "/ArtBox" in page:  # PDF/X: a TrimBox or an ArtBox, never both
            del page["/ArtBox"]
    return _bytes(writer)


def _box(values) -> ArrayObject:
    return ArrayObject(FloatObject(round(v, 4)) for v in values)


def _marks(trim, bleed_box, gap, weight, full_w, full_h) -> bytes:
    """Eight crop marks: the trim edges extended into the slug, outside the bleed."""
    x0, y0, x1, y1 = trim
    bx0, by0, bx1, by1 = bleed_box
    lines = []
    for x in (x0, x1):  # vertical marks below and above the bleed
        lines += [(x, 0, x, by0 - gap), (x, by1 + gap, x, full_h)]
    for y in (y0, y1):  # horizontal marks left and right of the bleed
        lines += [(0, y, bx0 - gap, y), (bx1 + gap, y, full_w, y)]
    # Marked as an artifact: not content a screen reader reads (PDF/UA).
    ops = ["/Artifact BMC", "q", f"{weight:.2f} w", "0 0 0 1 K"]  # black on the K plate
    ops += [f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for a, b, c, d in lines]
    return ("\n".join(ops) + "\nQ\nEMC\n").encode()
