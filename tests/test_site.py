"""The download site, read as files: what a reader and a search engine get from dist/.

The browser-level checks (links resolve, phone width, accessibility audit) are in
tests/test_browser.py.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pdfcheck import FICTIONAL


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.meta: dict[str, str] = {}
        self.scripts: list[tuple[dict, str]] = []
        self.images: list[dict] = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "meta" and attrs.get("property"):
            self.meta[attrs["property"]] = attrs.get("content", "")
        if tag == "img":
            self.images.append(attrs)
        if tag == "script":
            self._script = (attrs, "")

    def handle_data(self, data):
        if self._script is not None:
            self._script = (self._script[0], self._script[1] + data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(self._script)
            self._script = None


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The fictional project built in every variant, plain and for its clinics."""
    import shutil

    from conftest import copy_project
    from handouts.cli import main

    root = copy_project(tmp_path_factory.mktemp("site"))
    assert main(["--root", str(root), "--variant", "all", "-q"]) == 0
    assert main(["--root", str(root), "--variant", "all", "--clinic", "all", "-q"]) == 0
    return root / "dist"


def test_index_lists_each_handout_with_credit_and_downloads(site):
    index = site / "index.html"
    assert index.is_file()
    text = index.read_text(encoding="utf-8")
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    article = manifest["articles"][FICTIONAL]
    assert article["title"] in text
    reviewer = article["reviewers"][0]
    assert f"Medically reviewed by <strong>{reviewer['name']}" in text
    assert "Next review due" in text
    # Every non-clinic reader variant is offered; press files only under "For print shops".
    hrefs = parse(index).links
    assert f"{FICTIONAL}.pdf" in hrefs
    assert f"{FICTIONAL}-large-print.pdf" in hrefs
    assert f"{FICTIONAL}-booklet.pdf" in hrefs
    press_at = text.index(f"{FICTIONAL}-press.pdf")
    assert text.rfind("For print shops", 0, press_at) != -1
    assert any(h.startswith("clinics/") for h in hrefs), "the clinic's copies are offered"


def test_every_link_is_relative_and_resolves(site):
    pages = [site / "index.html", *site.glob("*/index.html")]
    assert len(pages) >= 2
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for link in parse(page).links:
            if re.match(r"^https?://", link):  # a reference's own address, the only outside link
                refs = text[text.find('class="references"'):]
                assert f'href="{link}"' in refs, f"{page.relative_to(site)}: {link} outside the references"
                continue
            assert not re.match(r"^[a-z]+:|^/", link), f"{page.name}: {link} is not relative"
            target = (page.parent / link.split("#")[0]).resolve()
            if link.startswith("#"):
                continue
            assert target.is_file(), f"{page.relative_to(site)} links to missing {link}"


def test_handout_page_has_open_graph_and_medical_web_page(site):
    page = site / FICTIONAL / "index.html"
    parsed = parse(page)
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    article = manifest["articles"][FICTIONAL]
    assert parsed.meta["og:title"] == article["title"]
    assert parsed.meta["og:type"] == "article"
    assert parsed.meta["og:image"] == "thumb.png"
    assert parsed.meta["og:description"]
    (ld,) = [json.loads(body) for attrs, body in parsed.scripts
             if attrs.get("type") == "application/ld+json"]
    assert ld["@type"] == "MedicalWebPage"
    assert ld["lastReviewed"] == article["reviewed"]
    assert ld["inLanguage"] == article["lang"]
    assert ld["reviewedBy"][0]["name"] == article["reviewers"][0]["name"]
    text = page.read_text(encoding="utf-8")
    assert article["disclaimer"] in text
    assert "References" in text and len(article["references"]) >= 1


def test_thumbnail_is_small_png_with_alt_text(site):
    thumb = site / FICTIONAL / "thumb.png"
    data = thumb.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) < 40 * 1024
    from PIL import Image

    with Image.open(thumb) as image:
        assert 200 <= image.width <= 300
        # Not blank: the first page's text makes dark pixels.
        gray = image.convert("L")
        assert gray.getextrema()[0] < 100
    imgs = parse(site / "index.html").images
    assert all(img.get("alt", "").strip() for img in imgs)


def test_site_escapes_article_text(tmp_path):
    """A title with markup is shown as text, and cannot close the JSON-LD script."""
    from handouts.site import site_files
    from handouts.theme import Theme

    from pdfcheck import REPO

    hostile = '</script><script>alert(1)</script><b>x</b>'
    manifest = {"articles": {"a": {"title": hostile, "summary": hostile, "lang": "en",
                                   "reviewers": [], "disclaimer": hostile, "edition": 1}},
                "outputs": [], "archive": {}}
    files = dict(site_files(tmp_path, Theme.load(REPO / "styles"), manifest))
    page = files[tmp_path / "a" / "index.html"].decode()
    index = files[tmp_path / "index.html"].decode()
    assert "<script>alert(1)" not in page and "<script>alert(1)" not in index
    assert "&lt;b&gt;x&lt;/b&gt;" in index


def test_drafts_are_not_offered_to_patients(tmp_path):
    from handouts.site import site_files
    from handouts.theme import Theme

    from pdfcheck import REPO

    manifest = {"articles": {
        "ready": {"title": "Reviewed handout", "lang": "en", "edition": 1,
                  "reviewers": [{"name": "A. Fictional", "credential": "MD",
                                 "specialty": "Pediatrics", "reviewed": "2024-01-02"}]},
        "wip": {"title": "Unreviewed draft", "lang": "en", "edition": 1, "draft": True}},
        "outputs": [], "archive": {}}
    files = dict(site_files(tmp_path, Theme.load(REPO / "styles"), manifest))
    index = files[tmp_path / "index.html"].decode()
    assert "Reviewed handout" in index and "Unreviewed draft" not in index
    assert tmp_path / "wip" / "index.html" not in files
