"""Render stage: HTML document -> PDF bytes with WeasyPrint, fetching only safe files.

WeasyPrint's default fetcher reads any local file and the network; `SafeFetcher`
serves ``file:`` URLs only under the given roots (symlinks resolved first), ``data:``
URLs, and ``http(s)`` only when remote resources were explicitly allowed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from handouts.pdf.fixes import fontimports, libraries

# WeasyPrint's library names looked up once (libraries.py); fontTools' subsetter and
# instancer imported when first used (fontimports.py)
with libraries.quick_lookup(), fontimports.deferred():
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from handouts.guard import limits as limits_mod
from handouts.guard import paths
from handouts.guard import svg
from handouts.errors import Diagnostic, InputError

from handouts.pdf.fixes import glyphruns, hyphenation, linebreak, pangosetup, pdfwrite, tags
from handouts.pdf.imagecheck import check_layout, table_overflows
from handouts.pdf.rendered import RenderedPDF

linebreak.install()  # WeasyPrint 70 tore lines at inline boxes (see linebreak.py)
hyphenation.install()  # hyphenation patterns parsed as words need them (hyphenation.py)
pangosetup.install()  # Pango contexts and font descriptions made once (pangosetup.py)
glyphruns.install()  # no zero adjustment after every glyph (glyphruns.py)
pdfwrite.install()  # pydyf makes each object's bytes once, not twice (pdfwrite.py)

LOGGER = logging.getLogger("handouts")


class RefusedURL(URLFetchingError):
    """A resource outside what the article may use."""


#: The article folder's address inside the document. WeasyPrint names embedded images
#: after their URL, so a fixed address keeps the bytes the same wherever the project lives.
ARTICLE_BASE = "file:///article/"


class SafeFetcher(URLFetcher):
    """A WeasyPrint URL fetcher confined to `roots` (and the web, if `allow_remote`).

    `article_dir`, when given, is what `ARTICLE_BASE` URLs stand for. Files are judged by
    `paths.inside` (symbolic links resolved); a file in the article's folder with more than
    one hard link is refused (it may be an outside file under a new name). Whatever could
    be read as SVG (it starts with ``<``) is served through `svg.clean_svg`, so no
    image can bring a stylesheet, a font or a reference of its own; a raster image over
    `Limits.image_pixels` (judged from its header) is refused before WeasyPrint decodes it.
    Every response is bounded in size; remote fetches together in time (`Limits.remote_seconds`: a server
    that drips one byte a second cannot hold the build).
    """

    def __init__(self, roots: list[Path], allow_remote: bool = False,
                 article_dir: Path | None = None, limits=None, **kwargs):
        super().__init__(timeout=10, allowed_protocols={"file", "data", "http", "https"},
                         fail_on_errors=False, **kwargs)
        self.roots = [Path(r).resolve() for r in roots]
        self.allow_remote = allow_remote
        self.article_dir = article_dir
        self.limits = limits
        self.refused: list[str] = []
        self.remote_spent = 0.0

    def fetch(self, url, headers=None):
        if self.article_dir is not None and url.startswith(ARTICLE_BASE):
            real = (self.article_dir.resolve() / unquote(url[len(ARTICLE_BASE):])).as_uri()
            response = self.fetch(real, headers)
            response.url = url
            return response
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            response = super().fetch(url, headers)
            return self._checked(url, response, _read_bounded(response, self._max("image_bytes")))
        if scheme in ("http", "https") and self.allow_remote:
            return self._fetch_remote(url, headers)
        if scheme == "file":
            path = Path(url2pathname(unquote(urlsplit(url).path)))
            if paths.inside(path, self.roots) and path.is_file() and self._links_ok(path):
                size = path.stat().st_size
                if size > self._max("image_bytes"):
                    self._refuse(url)
                    raise URLFetchingError(f"{url}: {limits_mod.over('image_bytes', size, self.limits, 'bytes')}")
                response = super().fetch(paths.real(path).as_uri(), headers)
                return self._checked(url, response, _read_bounded(response, self._max("image_bytes")))
        self._refuse(url)
        raise RefusedURL(f"refused to fetch {url}: outside the article's folder and styles/")

    def _max(self, name: str) -> int:
        return limits_mod.get(self.limits, name)

    def _refuse(self, url: str) -> None:
        self.refused.append(url)
        self._request = None  # else the next fetch opens this refused redirect target

    def _links_ok(self, path: Path) -> bool:
        """Files of the article's folder must not be hard links (styles/ may be)."""
        if self.article_dir is not None and paths.inside(path, [self.article_dir]):
            return paths.hard_links(path) <= 1
        return True

    def _checked(self, url: str, response, data: bytes):
        """`data` as the response body; SVG (anything XML) through `clean_svg`."""
        headers = response.headers
        if svg.looks_like_xml(data):
            try:
                data = svg.clean_svg(data, self.limits).encode("utf-8")
            except svg.UnsafeSVG as exc:
                self._request = None
                raise URLFetchingError(f"unsafe SVG at {url[:200]}: {exc}") from None
            del headers["Content-Type"]
            headers["Content-Type"] = "image/svg+xml"
        elif problem := limits_mod.pixel_problem(data, self.limits, f"the image at {url[:200]}"):
            self._request = None
            raise URLFetchingError(f"{problem[0]} — {problem[1]}")
        return URLFetcherResponse(response.url, data, headers, response.status)

    def _fetch_remote(self, url, headers):
        budget = self._max("remote_seconds") - self.remote_spent
        if budget <= 0:
            self._refuse(url)
            raise URLFetchingError(f"{url}: remote fetches took {self._max('remote_seconds')} s "
                                   "(remote_seconds); skipped")
        box: dict = {}
        max_bytes = self._max("remote_bytes")

        def work():
            try:
                response = URLFetcher.fetch(self, url, headers)
                box["response"] = response
                box["data"] = _read_bounded(response, max_bytes, box)
            except BaseException as exc:  # reported by the caller's thread
                box["error"] = exc

        self._timeout = max(1.0, min(10.0, budget))
        started = time.monotonic()
        thread = threading.Thread(target=work, name="handouts-fetch", daemon=True)
        thread.start()
        thread.join(budget)
        self.remote_spent += time.monotonic() - started
        if thread.is_alive():  # the server is too slow: give up on it, let the thread die
            box["cancel"] = True
            with contextlib.suppress(Exception):
                box["response"].close()
            self._refuse(url)
            raise URLFetchingError(f"{url}: no complete answer within {self._max('remote_seconds')} s "
                                   "(remote_seconds, for all remote files together)")
        if "error" in box:
            raise box["error"]
        return self._checked(url, box["response"], box["data"])


def _read_bounded(response, max_bytes: int, box: dict | None = None) -> bytes:
    """The body of `response`, at most `max_bytes` (else `URLFetchingError`); reads
    whatever has arrived (``read1``), so a cancelled slow fetch stops at the next byte."""
    source = getattr(response, "_file_obj", response)
    read = getattr(source, "read1", None) or source.read
    chunks, total = [], 0
    while True:
        chunk = read(65536)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise URLFetchingError(f"{response.url[:200]}: more than {max_bytes:,} bytes "
                                   "(image_bytes / remote_bytes)")
        chunks.append(chunk)
        if box is not None and box.get("cancel"):
            raise URLFetchingError("cancelled")
    with contextlib.suppress(Exception):
        response.close()
    return b"".join(chunks)


class LaidOutPDF:
    """A laid-out document: its page count at once, its PDF (`data`, `messages`: a
    `RenderedPDF`'s) written and repaired when first asked for. A variant that lays out
    more than once to choose (booklet padding) so writes only the layout it keeps."""

    def __init__(self, document, fonts, html: str, messages: list[str]):
        self._document, self._fonts, self._html = document, fonts, html  # fonts: alive till written
        self._messages = messages
        self.pages = len(document.pages)

    @functools.cached_property
    def _written(self) -> RenderedPDF:
        pdf_id = hashlib.sha256(self._html.encode()).digest()[:16]  # the same input, the same ID
        with _collect_warnings() as messages:
            data = self._document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=pdf_id,
                                            finisher=tags.finisher(self._html))
        data = repair(data, self._html)
        written = RenderedPDF(data, self.pages, tuple(self._messages + messages))
        self._document = self._fonts = None
        return written

    @property
    def data(self) -> bytes:
        return self._written.data

    @property
    def messages(self) -> tuple[str, ...]:
        return self._written.messages


def render_pdf(html: str, *, base_dir: Path, theme, stylesheets: list[Path],
               page_css: str = "", allow_remote: bool = False, limits=None,
               min_image_ppi: float = 150) -> LaidOutPDF:
    """Lay out `html`; its tagged (PDF/UA-1) PDF, with reproducible bytes, is written when
    first read (`LaidOutPDF`).

    `page_css` comes first and the `stylesheets` files after it, so they may override it.
    Images printing below `min_image_ppi` and tables too wide for the page are reported
    in the messages (imagecheck.py).
    """
    for sheet in stylesheets:  # WeasyPrint opens these itself, not through the fetcher
        if problem := paths.check_file(sheet, theme.dirs,
                                       what=f"stylesheet '{Path(sheet).name}'",
                                       where="styles/", links=False):
            raise InputError(problem)
    fetcher = SafeFetcher([base_dir, *theme.dirs], allow_remote=allow_remote, article_dir=base_dir,
                          limits=limits)
    files = [(Path(p), Path(p).read_bytes()) for p in stylesheets]
    fonts = _font_config()
    sheets = [CSS(string=page_css, url_fetcher=fetcher, font_config=fonts)] if page_css else []
    sheets += [_stylesheet(path, data, fetcher, fonts) for path, data in files]
    with _collect_warnings() as messages:
        document = HTML(string=html, base_url=ARTICLE_BASE,
                        url_fetcher=fetcher).render(stylesheets=sheets, font_config=fonts)
        messages.extend(check_layout(document, min_image_ppi))
        if overflows := table_overflows(document):
            raise InputError(*(Diagnostic(None, None, what, fix) for what, fix in overflows))
    return LaidOutPDF(document, fonts, html, messages)


class _Fonts(FontConfiguration):
    """WeasyPrint's font configuration, remembering whether a document added a font."""

    declared = False

    def add_font_face(self, rule_descriptors, url_fetcher):
        self.declared = True
        return super().add_font_face(rule_descriptors, url_fetcher)


#: The theme's stylesheets as parsed in this process, by path and content (`_stylesheet`).
_SHEETS: dict[tuple[str, bytes], CSS] = {}
_AT_RULE = re.compile(rb"@([\w\\-]+)")
#: The font configuration documents share while none declares a font (`_font_config`).
_FONTS: list[_Fonts] = []


def _own_rules(data: bytes) -> bool:
    """Whether CSS has an ``@font-face`` or ``@import`` rule, or an escaped at-rule name
    that could be one: what belongs to one document alone."""
    names = [name.lower() for name in _AT_RULE.findall(data)]
    return any(b"\\" in name or name in (b"font-face", b"import") for name in names)


def _font_config() -> _Fonts:
    """The font configuration for the next document: one per process while no document
    declares a font of its own, so fontconfig scans the system's fonts once and Pango keeps
    the fonts it opened and its caches from one document to the next (~10 % of a layout;
    the PDF's bytes are the same). A document that adds a font (``@font-face`` in CSS, in
    a ``<style>`` or in an SVG image) adds it to the configuration it was given: that one
    is never given again, so the font reaches no other document."""
    if _FONTS and _FONTS[0].declared:
        _FONTS.clear()
    if not _FONTS:
        _FONTS.append(_Fonts())
    return _FONTS[0]


def _stylesheet(path: Path, data: bytes, fetcher, fonts) -> CSS:
    """The stylesheet at `path` (its bytes: `data`), parsed once per process and content:
    parsing base.css costs ~40 ms a render, and WeasyPrint's `CSS` holds only the rules,
    which no document changes. A sheet with ``@font-face`` (its fonts belong to the
    document's font configuration), ``@import`` (fetched with the document's fetcher) or an
    escaped at-rule name is parsed for each document."""
    if _own_rules(data):
        return CSS(filename=str(path), url_fetcher=fetcher, font_config=fonts)
    key = (str(path), hashlib.sha256(data).digest())
    if key not in _SHEETS:
        _SHEETS[key] = CSS(filename=str(path), url_fetcher=fetcher, font_config=fonts)
    return _SHEETS[key]


def repair(data: bytes, html: str) -> bytes:
    """The fixes a PDF needs after WeasyPrint wrote it, once per PDF kept (the tagging
    is repaired before, as WeasyPrint writes: handouts/pdf/fixes/tags.py)."""
    # Thai: "ำ" and "า" share a glyph after shaping; give the text layer both (textlayer.py).
    from handouts.pdf.fixes.textlayer import needs_repair, repair_sara_am

    if needs_repair(html):
        data = repair_sara_am(data)
    return data


@contextlib.contextmanager
def _collect_warnings():
    """WeasyPrint's warnings and errors while rendering (an unreadable image, a CSS
    mistake), except refusals the load stage has already reported."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            text = record.getMessage()
            if "refused to fetch" not in text:
                messages.append(text.splitlines()[0])

    logger = logging.getLogger("weasyprint")
    handler, level = Collect(logging.WARNING), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
