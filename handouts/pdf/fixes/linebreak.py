"""A workaround for WeasyPrint 70 tearing lines apart at inline boxes.

The defect ("Dengue / is a viral…", "goes **down**, / usually", "1. Bautista / R.") comes
from ``weasyprint.text.line_break.split_first_line``. A text box that is followed by
another inline box (``<strong>``, ``<em>``, ``<a>``, a citation, the reference number)
keeps its trailing space, because the space separates it from that box. When the text
fits the remaining width but its trailing space does not, Pango reports "fits on one
line" (Pango lets trailing spaces hang), yet WeasyPrint measures the line *with* the
space, finds it too wide, takes the branch meant for "the line can't be split earlier"
and keeps only the **first word** on the line. Everything after it moves to the next
line, which leaves a line holding one word. It reproduces in bare WeasyPrint (see
``tests/pdf/test_pages.py::test_bare_weasyprint_tears_lines_at_inline_boxes``) and depends
only on where the text box ends, so any variant, paper or font size can hit it; the
larger type of large print and the narrow booklet pages hit it most.

The fix lets the trailing space hang, as CSS Text 3 says collapsible spaces at the end
of a line do: when the text without its trailing spaces fits entirely, the text is laid
out unconstrained (the space is then either followed by the next box on this line, or
removed with the line's trailing white space when the next box moves to a new line).
Everything else goes to WeasyPrint's own function unchanged. `install()` is idempotent
and is called by the render stage.
"""

from __future__ import annotations

from math import inf

from weasyprint.layout import inline as _inline
from weasyprint.text import line_break as _line_break

_ORIGINAL = _line_break.split_first_line


def split_first_line(text, style, context, max_width, justification_spacing,
                     is_line_start=True, minimum=False):
    """WeasyPrint's `split_first_line`, with a hanging trailing space."""
    if (max_width is not None and max_width != inf and not minimum and text.endswith(" ")
            and style["white_space"] in ("normal", "pre-line")):
        stripped = text.rstrip(" ")
        if stripped and "\n" not in stripped:
            layout = _line_break.create_layout(stripped, style, context, max_width,
                                               justification_spacing)
            first_line, resume_index = layout.get_first_line()
            fits = resume_index is None and _line_break.line_size(first_line, style)[0] <= max_width
            layout.deactivate()
            if fits:
                return _ORIGINAL(text, style, context, inf, justification_spacing,
                                 is_line_start, minimum)
    return _ORIGINAL(text, style, context, max_width, justification_spacing,
                     is_line_start, minimum)


def install() -> None:
    """Use the fixed function for line layout (WeasyPrint imports it by name)."""
    _inline.split_first_line = split_first_line


def uninstall() -> None:
    """Back to WeasyPrint's own function (the tests compare both)."""
    _inline.split_first_line = _ORIGINAL
