"""The live preview: `build_pdf.py serve` builds, serves dist/, rebuilds on a change."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from pdfcheck import FICTIONAL, REPO


def _get(url: str, timeout=5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _status(base: str) -> dict:
    return json.loads(_get(base + "__status"))


def _ctrl_c_stops() -> None:
    """The server stops on Ctrl-C (SIGINT), as in a terminal, even when the suite itself was
    started where SIGINT is ignored (a shell's background job, nohup), which every child
    would otherwise inherit."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_serve(project: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`build_pdf.py serve` on any free port of 127.0.0.1 -> (process, base URL), once it
    says where it listens (it is listening then; the first build follows)."""
    import re
    import select

    proc = subprocess.Popen([sys.executable, str(REPO / "build_pdf.py"), "serve", "--port", "0",
                             "--root", str(project), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=_ctrl_c_stops)
    said = []
    while select.select([proc.stdout], [], [], 60)[0]:
        line = proc.stdout.readline()
        said.append(line)
        if not line or (found := re.search(r" at (http://127\.0\.0\.1:\d+/)", line)):
            break
    if not said or not said[-1] or not found:
        proc.kill()
        raise AssertionError("serve did not say where it listens: " + "".join(said))
    return proc, found.group(1)


class Reloads:
    """The preview's reload events (server-sent events on /__events, what its pages
    listen to), read as they come: waiting for a rebuild needs no polling."""

    def __init__(self, base: str, timeout: float = 60):
        self.base = base
        self.stream = urllib.request.urlopen(base + "__events", timeout=timeout)

    def until(self, predicate, what: str):
        """`predicate()` once it is true: now, or after one of the next rebuilds."""
        while not (value := predicate()):
            for line in self.stream:  # the server says ": keep-alive" every second
                if line.startswith(b"data: "):
                    break
            else:
                raise AssertionError(f"the event stream ended while waiting for {what}")
        return value

    def close(self) -> None:
        self.stream.close()


def test_serve_rebuilds_a_changed_article_and_shows_errors(project: Path):
    proc, base = start_serve(project, "--allow-unreviewed")
    reloads = Reloads(base)
    try:
        reloads.until(lambda: _status(base)["generation"] >= 1, "the first build")
        first = _get(base + f"{FICTIONAL}.pdf")
        assert first[:5] == b"%PDF-"
        page = _get(base + "index.html").decode()
        assert '<script src="/__reload.js">' in page and "build-error" not in page
        assert b"EventSource" in _get(base + "__reload.js")  # a file: the pages allow no inline script

        article = project / "source" / FICTIONAL / "article.md"
        text = article.read_text(encoding="utf-8")
        generation = _status(base)["generation"]
        article.write_text(text.replace("## ", "## Freshly edited heading\n\n## ", 1), encoding="utf-8")
        reloads.until(lambda: _status(base)["generation"] > generation, "a rebuild after the change")
        # Not reviewed: the edit is previewed as a stamped proof; the reviewed handout stays.
        assert _get(base + f"{FICTIONAL}.pdf") == first
        second = _get(base + f"proof/{FICTIONAL}.pdf")
        from io import BytesIO

        from pypdf import PdfReader
        proof = "".join(p.extract_text() for p in PdfReader(BytesIO(second)).pages)
        assert "Freshly edited heading" in proof and "not for patients" in proof

        # A save with an error: the error is on the page, the last good PDF stays.
        generation = _status(base)["generation"]
        article.write_text(text.replace("updated:", "updated: 26/07/2022\nold_updated:", 1),
                           encoding="utf-8")
        reloads.until(lambda: _status(base)["generation"] > generation, "a rebuild after the bad save")
        assert _status(base)["errors"]
        page = _get(base + "index.html").decode()
        assert "build-error" in page and "article.md" in page
        assert _get(base + f"proof/{FICTIONAL}.pdf") == second
    finally:
        reloads.close()
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert proc.returncode == 0, out
    assert "Traceback" not in out, out


def test_serve_reports_a_port_in_use(project: Path, cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = cli("serve", "--port", port, "--root", project)
    assert code == 1
    assert f"port {port}" in err and "already in use" in err


# ---------------------------------------------------------------------------------------
# What the preview answers: loopback Host names, regular files inside dist/, no listings


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """The real preview server on 127.0.0.1 over a dist/ holding a page, a PDF, a page
    that is not UTF-8, and symbolic links to a secret outside dist/ (the rebuild is a
    no-op: what is served is the subject here). Yields (port, canary). One server for the
    module: its tests only read (and stopping a server takes half a second)."""
    import threading

    from conftest import copy_project
    from handouts.project.config import load_config
    from handouts.serve import serve

    tmp_path = tmp_path_factory.mktemp("preview")
    project = copy_project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    canary = "CANARY-" + os.urandom(6).hex()
    (outside / "secret.txt").write_text(canary)
    (outside / "notes.html").write_text(f"<p>{canary}</p>")
    dist = project / "dist"
    (dist / "handout").mkdir(parents=True)
    (dist / "index.html").write_text("<!DOCTYPE html><html><body><main>Home</main></body></html>")
    (dist / "handout" / "index.html").write_text("<html><body>Handout page</body></html>")
    (dist / "flu.pdf").write_bytes(b"%PDF-1.7\n%fake\n")
    (dist / "latin1.html").write_bytes("<html><body>Caf\xe9 \xa9 2024</body></html>".encode("latin-1"))
    (dist / "secret.txt").symlink_to(outside / "secret.txt")
    (dist / "notes.html").symlink_to(outside / "notes.html")
    (dist / "elsewhere").symlink_to(outside, target_is_directory=True)
    (dist / "empty-folder").mkdir()
    (dist / "fifo").mkdir()
    os.mkfifo(dist / "fifo" / "index.html")

    ready, stop = threading.Event(), threading.Event()
    box = {}
    config = load_config(project)
    thread = threading.Thread(target=serve, args=(config, lambda: []), daemon=True,
                              kwargs=dict(port=0, stop=stop, announce=lambda _: None,
                                          ready=lambda url: (box.setdefault("url", url), ready.set())))
    thread.start()
    assert ready.wait(30), "the preview did not start"
    try:
        yield int(box["url"].rsplit(":", 1)[1].strip("/")), canary
    finally:
        stop.set()
        thread.join(10)


def _request(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    """GET `path` from 127.0.0.1:`port` with the given Host header (http.client)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1",
                                  "127.0.0.1:1", "localhost.evil.example:{port}",
                                  "0.0.0.0:{port}", "[::1]", ""])
def test_preview_refuses_a_foreign_host_header(preview, host):
    port, _ = preview
    for path in ("/", "/index.html", "/flu.pdf", "/__status"):
        status, body = _request(port, path, host.format(port=port))
        assert status == 403, (host, path)
        assert b"Home" not in body and b"%PDF" not in body and b"generation" not in body


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}",
                                  "LOCALHOST:{port}"])
def test_preview_answers_loopback_names_with_its_port(preview, host):
    port, _ = preview
    status, body = _request(port, "/flu.pdf", host.format(port=port))
    assert (status, body) == (200, b"%PDF-1.7\n%fake\n")
    status, body = _request(port, "/__status", host.format(port=port))
    assert status == 200 and json.loads(body)["generation"] >= 1


@pytest.mark.parametrize("path", ["/secret.txt", "/notes.html", "/elsewhere/secret.txt",
                                  "/elsewhere/", "/elsewhere", "/%2e%2e/outside/secret.txt",
                                  "/handout/../../outside/secret.txt", "/empty-folder/",
                                  "/fifo/", "/nothing-here.pdf"])
def test_preview_serves_only_regular_files_inside_dist(preview, path):
    port, canary = preview
    status, body = _request(port, path)
    assert status == 404, path
    assert canary.encode() not in body
    assert b"Directory listing" not in body


def test_preview_serves_pages_that_are_not_utf8(preview):
    port, _ = preview
    status, body = _request(port, "/latin1.html")
    assert status == 200
    assert "Caf\xe9 \xa9 2024".encode("latin-1") in body  # the page's own bytes, untouched
    assert b'<script src="/__reload.js">' in body
    status, body = _request(port, "/handout/")  # a folder: its index.html
    assert status == 200 and b"Handout page" in body


def test_preview_shows_editors_a_translation_behind_its_original(tmp_path: Path):
    """The original got a new edition: the preview notes it on the translation's page and
    on the index; the published pages in dist/ (what readers get) do not."""
    import threading

    from handouts.project.config import load_config
    from handouts.serve import serve
    from quickbuild import build, sign_new_edition, translated_project

    root = translated_project(tmp_path)
    assert not build(root).failed
    sign_new_edition(root, FICTIONAL, "Rest matters", "Rest really matters", reviewed="2026-11-02")
    assert not build(root).failed
    ready, stop, box = threading.Event(), threading.Event(), {}
    thread = threading.Thread(target=serve, args=(load_config(root), lambda: []), daemon=True,
                              kwargs=dict(port=0, stop=stop, announce=lambda _: None,
                                          ready=lambda url: (box.setdefault("url", url), ready.set())))
    thread.start()
    assert ready.wait(30), "the preview did not start"
    try:
        port = int(box["url"].rsplit(":", 1)[1].strip("/"))
        note = (f"vi/vi-rest-guide translates en/{FICTIONAL} edition 2; edition 3 is out since 2026-11-02")
        for path in ("/vi-rest-guide/", "/vi-rest-guide/index.html", "/index.html"):
            status, body = _request(port, path)
            assert status == 200 and note in body.decode(), path
            assert 'class="editor-note"' in body.decode()
        status, body = _request(port, f"/{FICTIONAL}/index.html")
        assert status == 200 and b"editor-note" not in body  # the original is not behind
    finally:
        stop.set()
        thread.join(10)
    published = [p.read_text(encoding="utf-8") for p in (root / "dist").rglob("*.html")]
    assert published and not any("translates" in page or "editor-note" in page for page in published)
