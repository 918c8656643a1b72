"""Render stage: HTML document -> PDF bytes with WeasyPrint, fetching only safe files.

WeasyPrint's default fetcher reads any local file and the network; `SafeFetcher`
serves ``file:`` URLs only under the given roots (symlinks resolved first), ``data:``
URLs, and ``http(s)`` only when remote resources were explicitly allowed.
"""

from __future__ import annotations

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


class SafeFetcher(URLFetcher):
    """A WeasyPrint URL fetcher confined to `roots` (and the web, if `allow_remote`)."""

    def __init__(self, roots: list[Path], allow_remote: bool = False, **kwargs):
        super().__init__(timeout=10, allowed_protocols={"file", "data", "http", "https"},
                         fail_on_errors=False, **kwargs)
        self.roots = [Path(r).resolve() for r in roots]
        self.allow_remote = allow_remote
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
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


def render_pdf(html: str, *, base_dir: Path, styles_dir: Path, stylesheets: list[Path],
               page_css: str = "", allow_remote: bool = False, identifier: str = "") -> RenderedPDF:
    """Lay out `html` and write a tagged (PDF/UA-1) PDF with reproducible bytes.

    `page_css` comes first and the `stylesheets` files after it, so they may override it.
    """
    fetcher = SafeFetcher([base_dir, styles_dir], allow_remote=allow_remote)
    fonts = FontConfiguration()
    sheets = [CSS(string=page_css, url_fetcher=fetcher, font_config=fonts)] if page_css else []
    sheets += [CSS(filename=str(p), url_fetcher=fetcher, font_config=fonts) for p in stylesheets]
    document = HTML(string=html, base_url=base_dir.resolve().as_uri() + "/",
                    url_fetcher=fetcher).render(stylesheets=sheets, font_config=fonts)
    pdf_id = hashlib.sha256((identifier or html).encode()).digest()[:16]
    data = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=pdf_id)
    return RenderedPDF(data, len(document.pages))
