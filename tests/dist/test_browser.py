"""The download site in a real browser: headless Chromium driven by Playwright.

Needs Debian's `chromium`, Playwright for Python and axe-core from npm; `./setup.sh`
installs all three. Without them the module fails to collect and says so: a browser test
that silently skips would hide a broken site.
"""

from __future__ import annotations

import functools
import re
import http.server
import shutil
import threading
from urllib.parse import urljoin, urlsplit

import pytest

from pdfcheck import FICTIONAL, TESTS

AXE = TESTS / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOW = "run ./setup.sh (apt chromium, pip playwright, npm ci --prefix tests/browser)"

if CHROMIUM is None or not AXE.is_file():
    pytest.fail(f"browser tests need Chromium and axe-core — {HOW}", pytrace=False)
from playwright import sync_api  # noqa: E402 (after the check that explains what is missing)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The fictional project built (all variants, plain and for its clinics), served."""
    from conftest import copy_project
    import fakebuild
    from handouts.cli import main

    root = copy_project(tmp_path_factory.mktemp("browser"))
    assert main(["--root", str(root), "--variant", "all", "-q", "--jobs", "1"],
                builder=fakebuild.build) == 0
    assert main(["--root", str(root), "--variant", "all", "--clinic", "all", "-q", "--jobs", "1"],
                builder=fakebuild.build) == 0
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root / "dist"))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


PAGES = ["index.html", f"{FICTIONAL}/index.html"]


@pytest.mark.parametrize("path", PAGES)
def test_every_link_resolves_and_downloads_are_pdfs(server, browser, path):
    page = browser.new_page()
    page.goto(server + path)
    links = page.eval_on_selector_all("a[href]:not(.references a), img[src], link[href]",
                                      "els => els.map(e => e.href || e.src)")
    # Links out of the site are only a reference's own address (not fetched: no network).
    outside = page.eval_on_selector_all(".references a", "els => els.map(e => e.href)")
    assert all(url.startswith(("https://", "http://")) for url in outside)
    assert links
    checked_pdf = 0
    for url in sorted(set(links)):
        if urlsplit(url).fragment and url.split("#")[0] == page.url.split("#")[0]:
            anchor = urlsplit(url).fragment
            assert page.locator(f"[id='{anchor}']").count() == 1, f"no anchor #{anchor}"
            continue
        assert url.startswith(server), f"{url} leaves the site"
        response = page.request.get(url)
        assert response.status == 200, f"{path}: {url} -> {response.status}"
        if url.endswith(".pdf"):
            assert response.body()[:5] == b"%PDF-"
            checked_pdf += 1
    assert checked_pdf >= 3
    page.close()


@pytest.mark.parametrize("path", PAGES)
def test_phone_width_has_no_horizontal_scroll(server, browser, path):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(server + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.close()


def _audited_page(browser, width: int = 1280):
    """A page that may run axe-core: the site's own pages allow no injected script (CSP)."""
    return browser.new_context(bypass_csp=True, viewport={"width": width, "height": 800}).new_page()


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_accessibility_violations(server, browser, path):
    page = _audited_page(browser)
    page.goto(server + path)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run()).violations.map(v => v.id + ': ' + v.nodes[0].html)")
    assert violations == []
    page.close()


def test_a_site_of_one_handout_says_so(server, browser):
    page = browser.new_page()
    page.goto(urljoin(server, "index.html"))
    assert page.locator("article.card").count() == 1
    assert page.text_content("label[for=search-input]") == "Search the handout"
    page.close()


def test_handout_page_shows_thumbnail_and_references(server, browser):
    page = browser.new_page()
    page.goto(urljoin(server, f"{FICTIONAL}/index.html"))
    thumb = page.locator("img.thumb, .thumb img").first
    assert thumb.get_attribute("alt")
    assert page.evaluate("el => el.naturalWidth", thumb.element_handle()) > 100
    assert page.get_by_role("heading", name="References").count() == 1
    assert page.get_by_role("heading", name="Medical disclaimer").count() == 1
    page.close()


# ---------------------------------------------------------------------------------------
# Search, translations and the web version, on a site of an original and two translations


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(folder):
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


WIDE_TABLE = ("\n| Sign | Morning | Noon | Evening | Night | Notes |\n|---|---|---|---|---|---|\n"
              "| Temperature | 37.5 °C | 37.8 °C | 38.1 °C | 38.4 °C | "
              "Pneumonoultramicroscopicsilicovolcanoconiosis-like-placeholder-word |\n\n"
              "See https://example.org/a/very/long/fictional/address/that/goes/on/and/on/for/ever.html\n")


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory):
    """English original (with a wide table and a long address), Vietnamese and Thai
    translations, built with the quick builder (blank PDFs, real pages and index), served."""
    from quickbuild import build, translated_project

    root = translated_project(tmp_path_factory.mktemp("multilingual"))
    article = root / "source" / FICTIONAL / "article.md"
    article.write_text(article.read_text(encoding="utf-8") + WIDE_TABLE, encoding="utf-8")
    assert not build(root).failed
    httpd = _serve(root / "dist")
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()


def _search(page, query: str, language: str = "") -> list[dict]:
    """Type `query` (and choose `language`) on the index page; the results shown."""
    page.select_option("#search-lang", language)
    page.fill("#search-input", query)
    page.wait_for_function("() => !document.getElementById('search-results').hasAttribute('aria-busy') && "
                           "/found|matches/.test(document.getElementById('search-status').textContent)")
    return page.eval_on_selector_all("#search-results li", "items => items.map(li => ({lang: li.lang, "
                                     "title: li.querySelector('a').textContent, href: li.querySelector('a').href}))")


def test_typing_a_query_finds_the_handout_in_the_language_chosen(multilingual, browser):
    page = browser.new_page()
    page.goto(multilingual + "index.html")
    assert page.is_visible("#search-input")
    label = re.fullmatch(r"Search the (\d+) handouts", page.text_content("label[for=search-input]"))
    assert label and int(label.group(1)) > 1  # the original and its translations
    results = _search(page, "nước")
    assert [(r["lang"], r["href"]) for r in results] == [("vi", multilingual + "vi-rest-guide/index.html")]
    assert page.is_hidden("#browse")  # the list steps aside while searching
    assert page.locator("#search-results mark").first.text_content() == "nước"
    assert _search(page, "nước", "th") == []
    assert "No handout matches" in page.text_content("#search-status")
    results = _search(page, "rest", "en")
    assert [(r["lang"], r["title"]) for r in results] == [("en", "Resting Well After a Fictional Illness")]
    # Thai writes no spaces between words: a word inside a run, and a run of two words.
    for thai in ("ล้างมือ", "เจ็บหน้าอก", "แพร่กระจาย"):
        assert [r["lang"] for r in _search(page, thai)] == ["th"], thai
    page.fill("#search-input", "")
    page.wait_for_function("() => !document.getElementById('browse').hidden")
    results = _search(page, "nước")
    page.click("#search-results a")
    page.wait_for_url(multilingual + "vi-rest-guide/index.html")
    assert page.evaluate("document.documentElement.lang") == "vi"
    page.close()


def test_without_javascript_the_index_lists_every_handout(multilingual, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(multilingual + "index.html")
    assert page.is_hidden("#search")
    assert page.locator("article.card h3 a").all_text_contents() == ["Resting Well After a Fictional Illness"]
    assert page.locator(".translations a").count() == 2
    context.close()


def test_a_translation_link_leads_to_the_page_in_that_language(multilingual, browser):
    page = browser.new_page()
    page.goto(multilingual + f"{FICTIONAL}/index.html")
    page.get_by_role("navigation", name="Other languages").get_by_role("link", name="Tiếng Việt").click()
    page.wait_for_url(multilingual + "vi-rest-guide/index.html")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.get_by_role("heading", level=1).text_content().startswith("Nghỉ ngơi")
    back = page.get_by_role("navigation", name="Ngôn ngữ khác").get_by_role("link", name="English")
    assert back.get_attribute("hreflang") == "en"
    page.close()


@pytest.mark.parametrize("path", [f"{FICTIONAL}/index.html", "vi-rest-guide/index.html",
                                  "th-rest-guide/index.html", "index.html"])
def test_the_web_version_reads_at_phone_width_without_sideways_scroll(multilingual, browser, path):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(multilingual + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if path != "index.html":
        assert page.locator(".body p").count() >= 1  # the article itself, not just its downloads
        assert page.get_by_role("heading", name=re.compile("Download|Tải về|ดาวน์โหลด")).count() == 1
    page.close()


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("where", ["index", "handout", "translation", "search results"])
def test_axe_finds_no_violations_on_the_multilingual_site(multilingual, browser, where, width):
    page = _audited_page(browser, width)
    if where == "search results":
        page.goto(multilingual + "index.html")
        assert _search(page, "rest")
    else:
        page.goto(multilingual + {"index": "index.html", "handout": f"{FICTIONAL}/index.html",
                                  "translation": "th-rest-guide/index.html"}[where])
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run()).violations.map(v => v.id + ': ' + v.nodes[0].html)")
    assert violations == []
    page.close()
