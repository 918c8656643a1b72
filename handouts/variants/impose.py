"""Booklet imposition: saddle-stitch page order (pure functions) and 2-up sheets (pypdf).

A saddle-stitched booklet is a stack of sheets folded once. Each sheet carries four
pages, two on each side. Printed duplex with "flip on short edge" and folded, the stack
reads in order. Pages are numbered from 1; ``None`` is a blank page.
"""

from __future__ import annotations

from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, StreamObject


def padded_sequence(page_count: int) -> list[int | None]:
    """Reading order padded to a multiple of 4, blanks placed before the back cover.

    >>> padded_sequence(5)
    [1, 2, 3, 4, None, None, None, 5]
    """
    if page_count < 1:
        raise ValueError("a booklet needs at least one page")
    blanks = -page_count % 4
    if page_count == 1:
        return [1] + [None] * blanks
    return [*range(1, page_count), *([None] * blanks), page_count]


@dataclass(frozen=True)
class Side:
    """One side of a sheet: the page on the left half and on the right half."""

    sheet: int  # 1-based
    face: str  # "front" or "back"
    left: int | None
    right: int | None


def booklet_order(page_count: int) -> list[Side]:
    """The sides to print, in order, for a booklet of `page_count` reading pages.

    Sheet 1 front holds the back cover (left) and page 1 (right); its back holds
    pages 2 (left) and n-1 (right), where n is the padded count; and so inwards.
    """
    seq = padded_sequence(page_count)
    n = len(seq)
    sides = []
    for i in range(n // 4):
        # Positions in the padded sequence (0-based), outermost sheet first.
        sides.append(Side(i + 1, "front", seq[n - 1 - 2 * i], seq[2 * i]))
        sides.append(Side(i + 1, "back", seq[2 * i + 1], seq[n - 2 - 2 * i]))
    return sides


def impose_2up(reader: PdfReader, sheet_width: float, sheet_height: float) -> PdfWriter:
    """Place the reading-order pages of `reader` two-up on landscape sheets.

    Each page becomes a form XObject drawn once on its half (scaled to fit, which is no
    scaling for A5 on A4 or half-Letter on Letter, and centred). Unlike pypdf's
    `merge_transformed_page`, this never parses the pages' content streams.
    """
    writer = PdfWriter()
    forms = [_form_xobject(writer, page) for page in reader.pages]
    half = sheet_width / 2
    for side in booklet_order(len(reader.pages)):
        ops, xobjects = [], DictionaryObject()
        for slot, number in ((0, side.left), (1, side.right)):
            if number is None:
                continue
            box = reader.pages[number - 1].mediabox
            width, height = float(box.width), float(box.height)
            scale = min(half / width, sheet_height / height, 1.0)
            dx = slot * half + (half - width * scale) / 2
            dy = (sheet_height - height * scale) / 2
            name = f"/P{number}"
            xobjects[NameObject(name)] = forms[number - 1]
            ops.append(f"q {scale:.6g} 0 0 {scale:.6g} {dx:.3f} {dy:.3f} cm {name} Do Q")
        sheet = writer.add_blank_page(sheet_width, sheet_height)
        sheet[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
        sheet[NameObject("/Contents")] = writer._add_object(flate_stream("\n".join(ops).encode()))
    return writer


def flate_stream(data: bytes, **entries) -> StreamObject:
    """A Flate-compressed stream holding `data`, with dictionary `entries`."""
    stream = StreamObject()
    stream.update({NameObject(k): v for k, v in entries.items()})
    stream.set_data(data)
    return stream.flate_encode()


def _form_xobject(writer: PdfWriter, page: PageObject):
    """`page` as a form XObject in `writer` (its resources copied along)."""
    box = page.mediabox
    contents = page.get_contents()  # None on a blank page
    form = flate_stream(contents.get_data() if contents is not None else b"",
                   **{"/Type": NameObject("/XObject"), "/Subtype": NameObject("/Form"),
                      "/BBox": ArrayObject(FloatObject(v) for v in (box.left, box.bottom, box.right, box.top)),
                      "/Resources": page.get("/Resources", DictionaryObject()).clone(writer)})
    return writer._add_object(form)
