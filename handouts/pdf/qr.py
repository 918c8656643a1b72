"""QR codes for print: a printed page goes stale, the online article does not.

The code is an SVG made by segno and embedded in the HTML as a ``data:`` URI, so
rendering touches neither the network nor the disk. It keeps the standard quiet zone of
four modules and is laid out at `SIZE_MM` (quiet zone included), which leaves the code
itself at least 2 cm wide: large enough for a phone to read from paper at arm's length.
"""

from __future__ import annotations

import base64
import functools
import io

QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)
SIZE_MM = 26.0  # the printed square, quiet zone included
MIN_CODE_MM = 20.0  # the code without its quiet zone never gets smaller than this
@functools.lru_cache(maxsize=64)
def qr_svg(url: str) -> str:
    """The QR code for `url` as SVG text with a viewBox (scales to any box)."""
    import segno

    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", border=QUIET_ZONE, dark="#000", light="#fff",
              omitsize=True, xmldecl=False, svgclass=None, lineclass=None)
    return out.getvalue().decode("utf-8")


def modules(url: str) -> int:
    """The width of the code in modules, quiet zone included."""
    import segno

    return segno.make(url, error="m", micro=False).symbol_size(border=QUIET_ZONE)[0]


def qr_data_uri(url: str) -> str:
    """The QR code for `url` as a ``data:image/svg+xml;base64,…`` URI."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url).encode("utf-8")).decode("ascii")


def size_for(url: str) -> float:
    """The printed size (mm, quiet zone included) that keeps the code at least 2 cm."""
    total = modules(url)
    return max(SIZE_MM, MIN_CODE_MM * total / (total - 2 * QUIET_ZONE))
