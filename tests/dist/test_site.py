"""The download site, read as files: what a reader and a search engine get from dist/.

The browser-level checks (links resolve, phone width, accessibility audit) are in
tests/dist/test_browser.py.
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
    import fakebuild
    from handouts.cli import main

    root = copy_project(tmp_path_factory.mktemp("site"))
    assert main(["--root", str(root), "--variant", "all", "-q", "--jobs", "1"],
                builder=fakebuild.build) == 0
    assert main(["--root", str(root), "--variant", "all", "--clinic", "all", "-q", "--jobs", "1"],
                builder=fakebuild.build) == 0
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
    # No site_url in this project: an og:image must be absolute, so there is none.
    assert "og:image" not in parsed.meta
    assert parsed.meta["og:locale"] == "en_US"
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
    from handouts.dist.manifest import valid_manifest
    from handouts.dist.site import site_files
    from handouts.theme import Theme

    from pdfcheck import REPO

    hostile = '</script><script>alert(1)</script><b>x</b>'
    manifest = valid_manifest(tmp_path, {"articles": {"a": {
        "title": hostile, "summary": hostile, "lang": "en", "reviewers": [], "disclaimer": hostile,
        "edition": 1}}, "outputs": [], "archive": {}})
    files = dict(site_files(tmp_path, Theme.load(REPO / "styles"), manifest))
    page = files[tmp_path / "a" / "index.html"].decode()
    index = files[tmp_path / "index.html"].decode()
    assert "<script>alert(1)" not in page and "<script>alert(1)" not in index
    assert "&lt;b&gt;x&lt;/b&gt;" in index


def test_drafts_are_not_offered_to_patients(tmp_path):
    from handouts.dist.manifest import valid_manifest
    from handouts.dist.site import site_files
    from handouts.theme import Theme

    from pdfcheck import REPO

    manifest = valid_manifest(tmp_path, {"articles": {
        "ready": {"title": "Reviewed handout", "lang": "en", "edition": 1,
                  "reviewers": [{"name": "A. Fictional", "credential": "MD",
                                 "specialty": "Pediatrics", "reviewed": "2024-01-02"}]},
        "wip": {"title": "Unreviewed draft", "lang": "en", "edition": 1, "draft": True}},
        "outputs": [], "archive": {}})
    files = dict(site_files(tmp_path, Theme.load(REPO / "styles"), manifest))
    index = files[tmp_path / "index.html"].decode()
    assert "Reviewed handout" in index and "Unreviewed draft" not in index
    assert tmp_path / "wip" / "index.html" not in files


def test_booklet_is_listed_by_its_pages_and_the_sheets_to_print(site):
    """A booklet PDF holds one sheet side per page, two booklet pages on each side: the
    site says the booklet's pages and the sheets to print, not the PDF's sides."""
    from pypdf import PdfReader

    sides = len(PdfReader(site / f"{FICTIONAL}-booklet.pdf").pages)
    reading = len(PdfReader(site / f"{FICTIONAL}-booklet-pages.pdf").pages)
    assert reading == 2 * sides
    sheets = sides // 2
    text = (site / FICTIONAL / "index.html").read_text(encoding="utf-8")
    item = re.search(rf'href="\.\./{FICTIONAL}-booklet\.pdf".*?</li>', text).group(0)
    word = "sheet" if sheets == 1 else "sheets"
    assert f"PDF, {reading}-page booklet, {sheets} {word} to print on both sides," in item, item


@pytest.fixture(scope="module")
def world_site(tmp_path_factory):
    """The Thai, Vietnamese and Filipino fixture articles built with a site_url."""
    import shutil

    import fakebuild
    from handouts.cli import main
    from pdfcheck import FIXTURES, REPO

    root = tmp_path_factory.mktemp("world") / "project"
    shutil.copytree(FIXTURES / "i18n", root)
    shutil.copytree(REPO / "styles", root / "styles")
    toml = root / "handouts.toml"
    toml.write_text('site_url = "https://example.org/patient-handouts/"\n' + toml.read_text(encoding="utf-8"),
                    encoding="utf-8")
    assert main(["--root", str(root), "--variant", "booklet", "-q", "--jobs", "1"],
                builder=fakebuild.build) == 0
    assert main(["--root", str(root), "-q", "--jobs", "1"],
                builder=fakebuild.build) == 0
    return root / "dist"


ENGLISH_LABELS = ("Medically reviewed by", "Written by", "Updated", "Next review due", "Edition",
                  "Download", "Medical disclaimer", "References", "All handouts", "Handout",
                  "Folded booklet", "1 page", " pages", "sheet", "January", "July")


def test_thai_page_is_in_thai_with_its_dates_and_locale(world_site):
    page = world_site / "th-rest-guide" / "index.html"
    text = page.read_text(encoding="utf-8")
    parsed = parse(page)
    assert text.startswith('<!DOCTYPE html>\n<html lang="th">')
    assert parsed.meta["og:locale"] == "th_TH"
    assert parsed.meta["og:image"] == "https://example.org/patient-handouts/th-rest-guide/thumb.png"
    assert parsed.meta["og:image:alt"] == "หน้าแรกของเอกสาร การพักผ่อนหลังเป็นหวัด"
    body = re.sub(r"<[^>]+>", " ", text.split("<body>")[1])
    body = " ".join(body.split())
    for words in ("ตรวจสอบความถูกต้องโดย สมหญิง ทดสอบ, พ.บ. · เวชศาสตร์สมมติ · 26 กรกฎาคม 2567",
                  "อัปเดตเมื่อ 26 กรกฎาคม 2567", "ภาษา: ไทย", "ดาวน์โหลด", "เอกสารอ้างอิง",
                  "ข้อจำกัดความรับผิดชอบทางการแพทย์", "สมุดพับ · A4 PDF, สมุด 4 หน้า พิมพ์ 1 แผ่น สองหน้า",
                  "4 พฤษภาคม 2566. สืบค้น 15 มกราคม 2567."):
        assert words in body, words
    for english in (*ENGLISH_LABELS, "2024", "2023"):  # Buddhist Era years only
        assert english not in body, english


def test_index_entries_speak_their_article_language(world_site):
    text = (world_site / "index.html").read_text(encoding="utf-8")
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')  # the index's own words
    cards = dict(re.findall(r'<article class="card" id="([^"]+)" lang="[^"]+">(.*?)</article>', text, re.S))
    assert re.findall(r'<article class="card" id="([^"]+)" lang="([^"]+)">', text) == [
        ("fil-rest-guide", "fil"), ("th-rest-guide", "th"), ("vi-rest-guide", "vi")]
    vi = " ".join(re.sub(r"<[^>]+>", " ", cards["vi-rest-guide"]).split())
    assert "Tham vấn y khoa: Trần Văn Mẫu, BS · Y học hư cấu · 1 tháng 3, 2024" in vi
    assert "Sách gấp · A4 PDF, sách 4 trang, in 1 tờ hai mặt" in vi
    th = " ".join(re.sub(r"<[^>]+>", " ", cards["th-rest-guide"]).split())
    assert "อัปเดตเมื่อ 26 กรกฎาคม 2567" in th and "2024" not in th
    for english in ENGLISH_LABELS:
        assert english not in vi, english
        assert english not in th, english


@pytest.mark.parametrize("value", ["example.org/handouts", "https://example.org/a b/", "ftp://example.org/",
                                   "https://example.org/?page=1"])
def test_a_site_url_that_is_not_an_address_is_one_clear_error(tmp_path, value):
    from handouts.project.config import load_config
    from handouts.errors import InputError

    (tmp_path / "handouts.toml").write_text(f'publisher = "Example"\nsite_url = "{value}"\n')
    with pytest.raises(InputError) as exc:
        load_config(tmp_path)
    assert str(exc.value.problems[0]) == (
        f"{tmp_path / 'handouts.toml'}:2: error: 'site_url' must be the http(s) address where dist/ "
        f"is published, got {value!r} — e.g. site_url = \"https://example.org/handouts/\"")


def test_the_manifest_reads_back_to_its_own_bytes_and_says_what_each_file_is(site):
    from handouts.dist.manifest import dumps, read_manifest

    manifest = read_manifest(site)
    assert dumps(manifest) == (site / "manifest.json").read_bytes()
    kinds = {o.path: o.kind for o in manifest.outputs}
    for folder in ("", "clinics/riverside/"):
        assert {p.removeprefix(folder): k for p, k in kinds.items() if p.startswith(folder)
                and p.count("/") == folder.count("/")} == {
            f"{FICTIONAL}.pdf": "handout", f"{FICTIONAL}-booklet.pdf": "booklet",
            f"{FICTIONAL}-booklet-pages.pdf": "booklet-pages", f"{FICTIONAL}-press.pdf": "press",
            f"{FICTIONAL}-large-print.pdf": "large-print"}


def test_a_manifest_written_before_kinds_gives_the_same_site(site, tmp_path):
    """An older manifest's records have no ``kind``: the site reads it from each name and
    lists every file where it did."""
    import shutil

    from handouts.dist.manifest import read_manifest
    from handouts.dist.site import site_files
    from handouts.project.config import load_config

    config = load_config(site.parent)
    dist = tmp_path / "dist"
    shutil.copytree(site, dist)
    data = json.loads((dist / "manifest.json").read_text(encoding="utf-8"))
    for o in data["outputs"]:
        del o["kind"]
    (dist / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    names = {cid: clinic.name for cid, clinic in config.clinics.items()}
    files = site_files(dist, config.theme, read_manifest(dist), config.paper, names,
                       site_url=config.site_url)
    assert len(files) > 3
    for path, data in files:  # as the build published it, from the manifest with kinds
        assert data == (site / path.relative_to(dist)).read_bytes(), path
    page = (site / FICTIONAL / "index.html").read_text(encoding="utf-8")
    assert re.search(rf'href="\.\./{FICTIONAL}-booklet-pages\.pdf"[^>]*>Booklet pages \(reading order\)', page)


# ---------------------------------------------------------------------------------------
# The web version, translations, sitemap, pagination, incremental builds


def test_handout_page_is_the_web_version_of_the_pdf(site):
    """The page shows the article from the same conversion as the PDF: body, figure,
    citations linked to the references, the same credit and content fingerprint."""
    from pypdf import PdfReader

    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    article = manifest["articles"][FICTIONAL]
    page = site / FICTIONAL / "index.html"
    text = page.read_text(encoding="utf-8")
    body = text[text.index('<div class="body">'):text.index('aria-labelledby="references"')]
    assert "Rest matters after any illness, including invented ones" in body
    assert '<h2 id="why-rest-helps">Why rest helps</h2>' in body
    assert '<a href="#ref-1">1</a>' in body and '<li id="ref-1" value="1">' in text
    assert "<table tabindex=\"0\">" in body and "Fever over 39" in body  # scrolls: reachable by keyboard
    (image,) = [i for i in parse(page).images if i.get("alt") == "A calm bedroom"]
    assert image["src"] == f"../source/{FICTIONAL}/images/bedroom.png"
    assert (page.parent / image["src"]).resolve().is_file()
    pdf_text = "".join(p.extract_text() for p in PdfReader(site / f"{FICTIONAL}.pdf").pages)
    assert f"content {article['content']}" in pdf_text
    assert f"content <code>{article['content']}</code>" in text
    assert f"Medically reviewed by <strong>{article['reviewers'][0]['name']}" in text
    assert "sitemap.xml" not in {p.name for p in site.iterdir()}  # no site_url: no sitemap
    assert 'rel="canonical"' not in text


@pytest.fixture(scope="module")
def translated(tmp_path_factory):
    """English original, Vietnamese and Thai translations (quick builds), with a site_url."""
    from quickbuild import build, translated_project

    root = translated_project(tmp_path_factory.mktemp("translated"))
    toml = root / "handouts.toml"
    toml.write_text('site_url = "https://example.org/handouts/"\n' + toml.read_text(encoding="utf-8"),
                    encoding="utf-8")
    article = root / "source" / FICTIONAL / "article.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n> [!WARNING]\n> Call at once if a "
                       "fictional fever climbs.\n", encoding="utf-8")
    report = build(root)
    assert not report.failed, [str(p) for f in report.failed for p in f.problems]
    return root / "dist"


def test_each_page_links_its_translations_in_their_own_languages(translated):
    base = "https://example.org/handouts/"
    english = (translated / FICTIONAL / "index.html").read_text(encoding="utf-8")
    nav = english[english.index('<nav class="languages"'):english.index("</nav>")]
    assert re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+"[^>]*>([^<]+)</a>', nav) == [
        ("../th-rest-guide/index.html", "th", "ไทย"), ("../vi-rest-guide/index.html", "vi", "Tiếng Việt")]
    for page in (FICTIONAL, "vi-rest-guide", "th-rest-guide"):
        text = (translated / page / "index.html").read_text(encoding="utf-8")
        assert f'<link rel="canonical" href="{base}{page}/">' in text
        assert sorted(re.findall(r'<link rel="alternate" hreflang="([\w-]+)" href="([^"]+)">', text)) == [
            ("en", f"{base}{FICTIONAL}/"), ("th", f"{base}th-rest-guide/"),
            ("vi", f"{base}vi-rest-guide/"), ("x-default", f"{base}{FICTIONAL}/")]
    vietnamese = (translated / "vi-rest-guide" / "index.html").read_text(encoding="utf-8")
    assert 'aria-label="Ngôn ngữ khác"' in vietnamese and 'lang="en" hreflang="en"' in vietnamese
    assert ">English</a>" in vietnamese
    assert "Call at once if a fictional fever climbs." in english  # the callout, as in the PDF
    assert '<div class="callout callout-warning">' in english


def test_the_index_groups_an_original_with_its_translations(translated):
    text = (translated / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<article class="card" id="([^"]+)"', text)
    assert cards == [FICTIONAL]  # one card for the three languages
    card = text[text.index(f'id="{FICTIONAL}"'):text.index("</article>")]
    assert '<a href="vi-rest-guide/index.html" lang="vi" hreflang="vi"><span class="language-name">' \
           'Tiếng Việt</span> — Nghỉ ngơi sau khi bị cảm' in card
    assert 'href="th-rest-guide/index.html" lang="th"' in card
    assert "Vietnamese · Tiếng Việt (1)" in text and 'href="#fictional-rest-guide"' in text


def test_sitemap_lists_every_page_with_its_alternates_and_robots_names_it(translated):
    import xml.etree.ElementTree as ET

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ET.parse(translated / "sitemap.xml").getroot()
    urls = {u.find("s:loc", ns).text: u for u in root.findall("s:url", ns)}
    base = "https://example.org/handouts/"
    assert set(urls) == {base, f"{base}{FICTIONAL}/", f"{base}vi-rest-guide/", f"{base}th-rest-guide/"}
    alternates = {(link.get("hreflang"), link.get("href"))
                  for link in urls[f"{base}vi-rest-guide/"].findall("x:link", ns)}
    assert alternates == {("en", f"{base}{FICTIONAL}/"), ("vi", f"{base}vi-rest-guide/"),
                          ("th", f"{base}th-rest-guide/"), ("x-default", f"{base}{FICTIONAL}/")}
    assert urls[f"{base}{FICTIONAL}/"].find("s:lastmod", ns).text == "2024-03-02"
    robots = (translated / "robots.txt").read_text(encoding="utf-8")
    assert robots.endswith(f"Sitemap: {base}sitemap.xml\n") and "User-agent: *" in robots


def test_a_large_index_is_paginated_and_its_language_links_find_their_page(tmp_path, monkeypatch):
    from handouts.dist.site import index as site_index
    from handouts.dist.site import site_files
    from handouts.theme import Theme
    from pdfcheck import REPO

    monkeypatch.setattr(site_index, "PAGE_SIZE", 2)
    reviewed = [{"name": "A. Fictional", "credential": "MD", "specialty": "Imaginary Medicine",
                 "reviewed": "2024-01-02"}]
    articles = {f"en-{i}": {"title": f"English handout {i}", "lang": "en", "edition": 1,
                            "reviewers": reviewed} for i in range(3)}
    articles |= {f"vi-{i}": {"title": f"Tờ hướng dẫn {i}", "lang": "vi", "edition": 1,
                             "reviewers": reviewed} for i in range(2)}
    from handouts.dist.manifest import valid_manifest

    manifest = valid_manifest(tmp_path, {"articles": articles, "outputs": [], "archive": {}})
    files = dict(site_files(tmp_path, Theme.load(REPO / "styles"), manifest, search=False))
    pages = {p.name: d.decode() for p, d in files.items() if p.parent == tmp_path and p.suffix == ".html"}
    assert set(pages) == {"index.html", "index-2.html", "index-3.html"}
    cards = {name: re.findall(r'<article class="card" id="([^"]+)"', text) for name, text in pages.items()}
    assert cards == {"index.html": ["en-0", "en-1"], "index-2.html": ["en-2", "vi-0"],
                     "index-3.html": ["vi-1"]}
    first = pages["index.html"]
    assert '<a href="index.html" aria-current="page">1</a>' in first and '<a href="index-3.html">3</a>' in first
    assert '<link rel="next" href="index-2.html">' in first and 'rel="prev"' not in first
    assert 'href="index-2.html#lang-vi">Vietnamese · Tiếng Việt (2)</a>' in first
    assert '<h2 id="lang-vi">' in pages["index-2.html"] and '<h2 id="lang-vi-3">' in pages["index-3.html"]


def test_an_incremental_build_rewrites_only_the_pages_that_changed(tmp_path):
    from handouts.dist.manifest import read_manifest
    from handouts.dist.site import publish_site
    from handouts.project.config import load_config
    from quickbuild import build, sign_new_edition, translated_project

    root = translated_project(tmp_path)
    assert not build(root).failed
    dist = root / "dist"

    def stamps() -> dict[str, int]:
        return {p.relative_to(dist).as_posix(): p.stat().st_mtime_ns for p in dist.rglob("*")
                if p.is_file() and p.suffix in (".html", ".xml", ".txt", ".css", ".js", ".png", ".json")
                or "pagefind/" in p.as_posix()}

    before = stamps()
    assert "pagefind/pagefind-entry.json" in before
    sign_new_edition(root, "vi-rest-guide", "Nghỉ ngơi đầy đủ", "Nghỉ ngơi thật đầy đủ")
    assert not build(root, ["vi-rest-guide"]).failed
    after = stamps()
    changed = {name for name in after if before.get(name) != after[name]}
    site_pages = {n for n in changed if n.endswith(".html") and not n.startswith("pagefind/")}
    # The translation's page only: the pages linking it (its original's, the other
    # translation's, the index) name it by its language and title, which did not change.
    assert site_pages == {"vi-rest-guide/index.html"}, site_pages
    assert "th-rest-guide/index.html" not in changed and "site.css" not in changed
    assert "pagefind/pagefind-entry.json" in changed  # indexed again, once
    fragments = [n for n in after if n.startswith("pagefind/fragment/")]
    assert len(fragments) == 3  # one a page: the old page's fragment is gone

    config = load_config(root)
    again = publish_site(config.output_dir, config.theme, read_manifest(config.output_dir), config.paper)
    assert (again.written, again.indexed) == (0, 0)  # nothing changed: nothing written, no indexing
    assert stamps() == after
    # dist/ is not trusted: a page edited by hand keeps its stamp but not its bytes.
    page = dist / "th-rest-guide" / "index.html"
    good = page.read_bytes()
    page.write_bytes(good.replace(b"</h1>", b"<script>alert(1)</script></h1>", 1))
    fixed = publish_site(config.output_dir, config.theme, read_manifest(config.output_dir), config.paper)
    assert page.read_bytes() == good and fixed.written == 1 and fixed.indexed == 3
