"""The download site in a real browser: headless Chromium driven by Playwright.

Needs Debian's `chromium`, Playwright for Python and axe-core from npm; `./setup.sh`
installs all three. Without them the module fails to collect and says so: a browser test
that silently skips would hide a broken site.
"""

from __future__ import annotations

import functools
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


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_accessibility_violations(server, browser, path):
    page = browser.new_page()
    page.goto(server + path)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run()).violations.map(v => v.id + ': ' + v.nodes[0].html)")
    assert violations == []
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
