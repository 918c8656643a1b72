"""Booklet imposition: saddle-stitch page order (pure functions) and 2-up sheets (pypdf).

A saddle-stitched booklet is a stack of sheets folded once. Each sheet carries four
pages, two on each side. Printed duplex with "flip on short edge" and folded, the stack
reads in order. Pages are numbered from 1; ``None`` is a blank page.
"""

from __future__ import annotations

from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter, Transformation


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

    Each page is scaled to fit half a sheet (no scaling when A5 goes on A4, or half-Letter
    on Letter) and centred in its half.
    """
    writer = PdfWriter()
    half = sheet_width / 2
    for side in booklet_order(len(reader.pages)):
        sheet = writer.add_blank_page(sheet_width, sheet_height)
        for slot, number in ((0, side.left), (1, side.right)):
            if number is None:
                continue
            page: PageObject = reader.pages[number - 1]
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            scale = min(half / width, sheet_height / height, 1.0)
            dx = slot * half + (half - width * scale) / 2
            dy = (sheet_height - height * scale) / 2
            sheet.merge_transformed_page(page, Transformation().scale(scale).translate(dx, dy))
    for sheet in writer.pages:
        sheet.compress_content_streams()
    return writer
