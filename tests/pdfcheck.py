"""Helpers the tests use to read PDFs back as a user would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
#: The built-in theme (templates, CSS, labels) inside the package.
THEME = REPO / "handouts" / "theme"
FICTIONAL = "fictional-rest-guide"


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def unhyphenated(text: str) -> str:
    """Join words that automatic hyphenation split at a line end (U+2010 HYPHEN)."""
    return text.replace("\u2010\n", "")


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


@dataclass(frozen=True)
class PageRead:
    """A page read back in one pass: its text as pypdf extracts it, its text runs (x, y,
    text) as `text_runs` gives them, the images drawn on it (x0, y0, x1, y1) and its size,
    all in points. For modules whose tests read the same PDFs many times over."""

    text: str
    runs: tuple[tuple[float, float, str], ...]
    images: tuple[tuple[float, float, float, float], ...]
    width: float
    height: float


def read_pages(path: Path) -> list[PageRead]:
    """Every page of the PDF at `path`, read once (see `PageRead`)."""
    pages = []
    for page in PdfReader(path).pages:
        runs, images = [], []

        def visit_text(text, cm, tm, font, size):
            if text.strip():
                runs.append(_run(text, cm, tm))

        def visit_operator(op, args, cm, tm):
            if op == b"Do":
                a, b, c, d, e, f = cm
                images.append((e, f, e + a, f + d))

        text = page.extract_text(visitor_text=visit_text, visitor_operand_before=visit_operator)
        pages.append(PageRead(text or "", tuple(runs), tuple(images),
                              float(page.mediabox.width), float(page.mediabox.height)))
    return pages


def _run(text: str, cm, tm) -> tuple[float, float, str]:
    """(x, y, text): the text matrix combined with the current transformation matrix."""
    return (tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text)


def text_runs(page) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text run on `page`, in page coordinates (points)."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append(_run(text, cm, tm))

    page.extract_text(visitor_text=visit)
    return runs


def half_texts(path: Path, page_number: int) -> tuple[str, str]:
    """The text on the left and on the right half of an imposed sheet (1-based page).

    Cropped and extracted by poppler's pdftotext, as a viewer would draw the sheet.
    """
    import subprocess

    page = PdfReader(path).pages[page_number - 1]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    halves = []
    for x in (0, width / 2):
        out = subprocess.run(
            ["pdftotext", "-f", str(page_number), "-l", str(page_number), "-r", "72",
             "-x", str(int(x)), "-y", "0", "-W", str(int(width / 2)), "-H", str(int(height)),
             str(path), "-"], check=True, capture_output=True, text=True).stdout
        halves.append(" ".join(out.split()))
    return halves[0], halves[1]


def line_segments(page) -> list[tuple[float, float, float, float]]:
    """Straight segments drawn with ``m`` ... ``l``, in page coordinates (CTM applied)."""
    from pypdf.generic import ContentStream

    def apply(m, x, y):
        return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])

    def multiply(a, b):  # a then b
        return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
                a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
                a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]

    ctm, stack, segments, start = [1, 0, 0, 1, 0, 0], [], [], None
    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop() if stack else [1, 0, 0, 1, 0, 0]
        elif op == b"cm":
            ctm = multiply([float(v) for v in operands], ctm)
        elif op == b"m":
            start = apply(ctm, *(float(v) for v in operands))
        elif op == b"l" and start:
            end = apply(ctm, *(float(v) for v in operands))
            segments.append((*start, *end))
            start = end
    return segments
