"""Line-oriented scans of Markdown source, used to report problems with line numbers.

Python-Markdown keeps no line numbers, so the load stage finds citations and images in
the source text itself, skipping fenced code blocks and inline code spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def prose_lines(body: str, first_line: int) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` for lines outside fenced code, code spans blanked."""
    fence = None
    for offset, line in enumerate(body.split("\n")):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        yield first_line + offset, _CODE_SPAN.sub(lambda s: " " * len(s.group(0)), line)


class ProseText:
    """The prose of a body as one string (constructs may span lines), with line lookup."""

    def __init__(self, body: str, first_line: int):
        self._lines = list(prose_lines(body, first_line))
        self.text = "\n".join(line for _, line in self._lines)

    def line(self, offset: int) -> int:
        """The article line number of character `offset` of `text`."""
        return self._lines[self.text.count("\n", 0, offset)][0] if self._lines else 0
