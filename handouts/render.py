"""Render stage: HTML document -> PDF bytes with WeasyPrint, fetching only safe files.

WeasyPrint's default fetcher reads any local file and the network; `SafeFetcher`
serves ``file:`` URLs only under the given roots (symlinks resolved first), ``data:``
URLs, and ``http(s)`` only when remote resources were explicitly allowed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetchingError

LOGGER = logging.getLogger("handouts")


class RefusedURL(URLFetchingError):
    """A resource outside what the article may use."""


#: The article folder's address inside the document. WeasyPrint names embedded images
#: after their URL, so a fixed address keeps the bytes the same wherever the project lives.
ARTICLE_BASE = "file:///article/"


class SafeFetcher(URLFetcher):
    """A WeasyPrint URL fetcher confined to `roots` (and the web, if `allow_remote`).

    `article_dir`, when given, is what `ARTICLE_BASE` URLs stand for.
    """

    def __init__(self, roots: list[Path], allow_remote: bool = False,
                 article_dir: Path | None = None, **kwargs):
        super().__init__(timeout=10, allowed_protocols={"file", "data", "http", "https"},
                         fail_on_errors=False, **kwargs)
        self.roots = [Path(r).resolve() for r in roots]
        self.allow_remote = allow_remote
        self.article_dir = article_dir
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if self.article_dir is not None and url.startswith(ARTICLE_BASE):
            real = (self.article_dir.resolve() / unquote(url[len(ARTICLE_BASE):])).as_uri()
            response = self.fetch(real, headers)
            response.url = url
            return response
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme in ("http", "https") and self.allow_remote:
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                return super().fetch(path.as_uri(), headers)
        self.refused.append(url)
        self._request = None  # else the next fetch opens this refused redirect target
        raise RefusedURL(f"refused to fetch {url}: outside the article's folder and styles/")


@dataclass(frozen=True)
class RenderedPDF:
    data: bytes
    pages: int
    messages: tuple[str, ...] = ()  # what WeasyPrint warned about


def render_pdf(html: str, *, base_dir: Path, styles_dir: Path, stylesheets: list[Path],
               page_css: str = "", allow_remote: bool = False) -> RenderedPDF:
    """Lay out `html` and write a tagged (PDF/UA-1) PDF with reproducible bytes.

    `page_css` comes first and the `stylesheets` files after it, so they may override it.
    """
    fetcher = SafeFetcher([base_dir, styles_dir], allow_remote=allow_remote, article_dir=base_dir)
    fonts = FontConfiguration()
    sheets = [CSS(string=page_css, url_fetcher=fetcher, font_config=fonts)] if page_css else []
    sheets += [CSS(filename=str(p), url_fetcher=fetcher, font_config=fonts) for p in stylesheets]
    pdf_id = hashlib.sha256(html.encode()).digest()[:16]  # the same input, the same ID
    with _collect_warnings() as messages:
        document = HTML(string=html, base_url=ARTICLE_BASE,
                        url_fetcher=fetcher).render(stylesheets=sheets, font_config=fonts)
        data = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=pdf_id)
    return RenderedPDF(data, len(document.pages), tuple(messages))


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
