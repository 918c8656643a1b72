"""Bounds on every input, so that no file can make a build run for ever or fill memory.

Each limit is checked where its work enters (reading a file, composing YAML, before the
Markdown parser sees a paragraph), and going over it is an `InputError` that names the
limit and says how to raise it: ``[limits]`` in handouts.toml, e.g.::

    [limits]
    article_bytes = 4_000_000
    nesting_depth = 48

The defaults are far above what a real handout needs (a 1,500-word article is ~10 KB,
nests 3 levels, and has a few dozen brackets per paragraph) and low enough that the worst
input within them builds in seconds, in well under 2 GiB (figures in /work/notes/harden.md
and tests/guard/test_hardening.py).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, fields
from pathlib import Path

from handouts.errors import Diagnostic


def safe_loader():
    """The YAML loader of every untrusted file: libyaml's when present (~10x faster than
    the pure-Python one, same results), safe either way. PyYAML is imported here, on first
    use: a run with nothing to build reads no YAML."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Limits:
    """The bounds of one project (``[limits]`` in handouts.toml); all whole numbers > 0."""

    # -- article.md ------------------------------------------------------------------------
    article_bytes: int = 150_000  # the file (a long handout is ~30 KB; images go in images/)
    line_chars: int = 100_000  # one line of the body (a data: image is one long line)
    paragraph_chars: int = 4_000  # one paragraph, data: addresses not counted (WeasyPrint
    #                               lays a paragraph out in quadratic time; ~650 words)
    inline_markup: int = 1_000  # links, citations, code spans, emphases, tags in one article
    #                             (WeasyPrint: several ms per inline box; Markdown ~1 ms)
    nesting_depth: int = 32  # block quotes, list levels, raw HTML elements, brackets
    delimiter_run: int = 50  # a run of * or _ (emphasis markers nest recursively)
    unclosed_brackets: int = 50  # '[' with no ']' in one paragraph (each is re-scanned)
    front_matter_depth: int = 16  # YAML nesting in the front matter (a reviewer needs 3)
    front_matter_nodes: int = 10_000  # YAML values in the front matter
    # -- images and embedded files ---------------------------------------------------------
    images: int = 500  # images in one article
    image_bytes: int = 30_000_000  # one image file
    image_pixels: int = 40_000_000  # one raster image, width × height, read from its header
    #                                 (a 24 MP photo is 24 M; decoding costs 4 bytes a pixel
    #                                 and more, so 13,000 × 13,000 would take 1.5 GB)
    svg_bytes: int = 2_000_000  # one SVG (file, data: address or logo)
    svg_elements: int = 20_000  # SVG elements after <use> expansion
    table_span: int = 100  # colspan / rowspan of a table cell
    table_columns: int = 64  # cells in one Markdown table row ('|' on a line)
    # -- references and citations (read by handouts/references/) --------------------------
    reference_file_bytes: int = 64 * 2**20  # one references file
    reference_entries: int = 50_000  # entries in one references file
    reference_depth: int = 64  # JSON/YAML nesting of a references file (CSL needs 5)
    reference_field_chars: int = 100_000  # one field after @string expansion
    citations: int = 10_000  # citation keys in one article
    did_you_mean: int = 20  # unknown keys that get a "did you mean" hint
    # -- PDFs read back (check --pdf) -------------------------------------------------------
    pdf_content_bytes: int = 8_000_000  # one page's content streams, decoded (a handout
    #                                     page is ~30 KB; reading costs ~80 bytes per byte)
    # -- project files ---------------------------------------------------------------------
    style_bytes: int = 2_000_000  # a .csl style, a stylesheet, a labels file, a logo
    # -- network (only with --allow-remote) ------------------------------------------------
    remote_seconds: int = 30  # all remote fetches of one document together
    remote_bytes: int = 20_000_000  # one remote resource
    dask_message_bytes: int = 2**30  # one message from a Dask scheduler or worker (a job's
    #                                  PDFs come back in one; a press PDF is ~10 MB)
    # -- the output folder -----------------------------------------------------------------
    manifest_bytes: int = 32 * 2**20  # dist/manifest.json (400 articles with references: ~10 MB)


DEFAULT = Limits()
NAMES = tuple(f.name for f in fields(Limits))


def hint(name: str, what: str = "") -> str:
    """The standard fix: shrink the input, or raise the limit in handouts.toml."""
    first = f"{what}, or" if what else "make the input smaller, or"
    return f"{first} raise {name} in the [limits] table of handouts.toml"


def over(name: str, value: int, limits: Limits | None, noun: str) -> str:
    """``"3,000 <noun>, over the limit of 2,000 (name)"``."""
    return f"{value:,} {noun}, over the limit of {getattr(limits or DEFAULT, name):,} ({name})"


def get(limits: Limits | None, name: str) -> int:
    """The limit `name` of `limits` (None: the defaults)."""
    return getattr(limits or DEFAULT, name)


def parse_limits(table, path: Path, line_of) -> tuple[Limits, list[Diagnostic]]:
    """The ``[limits]`` table of handouts.toml -> (`Limits`, problems).

    `line_of(key)` gives the line of ``key = …`` in the file (or None).
    """
    from handouts.errors import did_you_mean

    problems: list[Diagnostic] = []
    if not isinstance(table, dict):
        return DEFAULT, [Diagnostic(path, line_of("limits"), "'limits' must be a table",
                                    "write [limits] on its own line, then 'name = number' lines")]
    values = {}
    for key, value in table.items():
        if key not in NAMES:
            problems.append(Diagnostic(path, line_of(key), f"unknown limit '{key}' in [limits]",
                                       did_you_mean(key, NAMES) or f"known limits: {', '.join(NAMES)}"))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(Diagnostic(path, line_of(key), f"limit '{key}' must be a whole number "
                                       f"above 0, got {value!r}",
                                       f"e.g. {key} = {getattr(DEFAULT, key) * 2}"))
        else:
            values[key] = value
    return Limits(**values), problems


# ---------------------------------------------------------------------------------------
# Raster images: bounded from the header, before anything decodes the pixels

_BOMB_SIZE = re.compile(r"\((\d+) pixels\)")


def raster_size(source) -> tuple[int, int] | None:
    """(width, height) of the raster image `source` (bytes or a binary file), read from
    its header -- no pixel is decoded -- or None when Pillow does not know the format.
    Pillow's own decompression-bomb warning is not printed; an image over its hard limit
    reports the pixel count Pillow names, as a width of that many and a height of 1."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    handle = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(handle) as image:
                return image.size
        except Image.DecompressionBombError as exc:
            m = _BOMB_SIZE.search(str(exc))
            return (int(m.group(1)) if m else 2**63, 1)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return None


#: A PNG's start: its signature, then the IHDR chunk's length (13), name, width, height.
_PNG_START = struct.Struct(">8sI4sII")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_within(source, max_pixels: int) -> bool:
    """True when `source` (bytes or a seekable binary file, read from its start as Pillow
    reads it, then left where it was) starts as a PNG whose IHDR chunk gives at most
    `max_pixels`: Pillow reads the size from the same two numbers (and reports nothing for
    a file it cannot open), so the answer is known without importing it. Anything else:
    False (Pillow judges it)."""
    if isinstance(source, (bytes, bytearray)):
        head = bytes(source[:_PNG_START.size])
    else:
        where = source.tell()
        source.seek(0)
        head = source.read(_PNG_START.size)
        source.seek(where)
    if len(head) < _PNG_START.size:
        return False
    signature, length, name, width, height = _PNG_START.unpack(head)
    return (signature == _PNG_SIGNATURE and length == 13 and name == b"IHDR"
            and width * height <= max_pixels)


def pixel_problem(source, limits, what: str) -> tuple[str, str] | None:
    """(message, fix) when the raster image `source` (bytes or a binary file) has more
    pixels than `Limits.image_pixels`, judged from its header; else None."""
    if _png_within(source, get(limits, "image_pixels")):
        return None
    size = raster_size(source)
    if size is None or size[0] * size[1] <= get(limits, "image_pixels"):
        return None
    shape = f"{size[0]:,} × {size[1]:,} = " if size[1] > 1 else ""
    return (f"{what} is {shape}" + over("image_pixels", size[0] * size[1], limits, "pixels"),
            hint("image_pixels", "scale the image down (3,000 pixels across prints a full page "
                 "at 300 ppi)"))


# ---------------------------------------------------------------------------------------
# YAML: bounded before anything builds it


def yaml_preflight(text: str, *, max_depth: int, max_nodes: int, loader=None,
                   allow_aliases: bool = False):
    """Walk the YAML event stream once (no tree is built) and return the first problem as
    ``(line index from 0, kind, detail)`` -- kind "depth", "nodes" or "alias" (detail: the
    anchor) -- or None when `text` is safe to compose.

    libyaml's composer recurses once per nesting level and overflows the C stack (a
    SIGSEGV, no message) around 10,000 levels; aliases let a few lines stand for billions
    of values. The parser itself keeps an explicit stack, so walking its events is linear.
    YAML syntax errors are left for the caller's compose to report.
    """
    import yaml

    if loader is None:
        loader = safe_loader()
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                nodes += 1
                if depth > max_depth:
                    return (event.start_mark.line, "depth", depth)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
            elif isinstance(event, yaml.AliasEvent):
                if not allow_aliases:
                    return (event.start_mark.line, "alias", event.anchor)
                nodes += 1
            if nodes > max_nodes:
                return (event.start_mark.line, "nodes", nodes)
    except yaml.YAMLError:
        return None
    return None


#: The longest address printed as a code: 300 bytes make a 77-module code (version 15),
#: modules of a quarter millimetre at 2 cm, about what a phone reads from paper. (Beyond
#: 2,331 bytes no QR code holds the address at all.)
MAX_QR_URL_BYTES = 300


def qr_url_problem(url: str) -> tuple[str, str] | None:
    """(what, fix) when `url` is too long to print as a readable code, else None."""
    size = len(url.encode("utf-8", "surrogatepass"))
    if size <= MAX_QR_URL_BYTES:
        return None
    return (f"is {size:,} bytes long, too long for a QR code a phone can read from paper "
            f"(at most {MAX_QR_URL_BYTES})", "use a shorter address, e.g. a redirect such as "
            "https://example.org/h/flu")
