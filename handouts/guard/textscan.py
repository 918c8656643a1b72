"""Line-oriented scans of Markdown source, used to report problems with line numbers.

Python-Markdown keeps no line numbers, so the load stage finds citations and images in
the source text itself, skipping fenced code blocks and inline code spans.

Everything here is linear in the length of the text (a line of 500,000 backticks or
spaces costs one pass): no regular expression that can backtrack over a line, and line
numbers come from a table of line starts, not from counting newlines per lookup.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
#: Patterns the prose scanners (editorial checks, reviewer's packet) share.
LINK = re.compile(r"\[([^\]]*)\]\((?:<[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\)")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BACKTICKS = re.compile(r"`+")


def blank_code_spans(line: str) -> str:
    """`line` with each code span (CommonMark: a backtick run closed by the next run of
    the same length) replaced by spaces. Linear: each run is looked at once."""
    if "`" not in line:
        return line
    runs = [(m.start(), m.end() - m.start()) for m in _BACKTICKS.finditer(line)]
    # For each run, the index of the next run of the same length.
    next_same: list[int | None] = [None] * len(runs)
    last: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        next_same[i] = last.get(runs[i][1])
        last[runs[i][1]] = i
    spans = []
    i = 0
    while i < len(runs):
        j = next_same[i]
        if j is None:
            i += 1
            continue
        start, _ = runs[i]
        end = runs[j][0] + runs[j][1]
        spans.append((start, end))
        i = j + 1
    if not spans:
        return line
    out, pos = [], 0
    for start, end in spans:
        out.append(line[pos:start])
        out.append(" " * (end - start))
        pos = end
    out.append(line[pos:])
    return "".join(out)


def prose_lines(body: str, first_line: int) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` for lines outside fenced code, code spans blanked."""
    fence = None
    for offset, line in enumerate(body.split("\n")):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        yield first_line + offset, blank_code_spans(line)


class ProseText:
    """The prose of a body as one string (constructs may span lines), with line lookup."""

    def __init__(self, body: str, first_line: int):
        self._lines = list(prose_lines(body, first_line))
        self.text = "\n".join(line for _, line in self._lines)
        starts, pos = [], 0
        for _, line in self._lines:
            starts.append(pos)
            pos += len(line) + 1
        self._starts = starts

    def line(self, offset: int) -> int:
        """The article line number of character `offset` of `text`."""
        if not self._lines:
            return 0
        return self._lines[max(0, bisect.bisect_right(self._starts, offset) - 1)][0]
