"""The live preview: `build_pdf.py serve` builds, serves dist/, rebuilds on a change."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pdfcheck import FICTIONAL, REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout=5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _status(base: str) -> dict:
    return json.loads(_get(base + "__status"))


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_rebuilds_a_changed_article_and_shows_errors(project: Path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([sys.executable, str(REPO / "build_pdf.py"), "serve", "--port",
                             str(port), "--root", str(project), "--allow-unreviewed"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        _wait(lambda: _status(base)["generation"] >= 1, 60, "the first build")
        first = _get(base + f"{FICTIONAL}.pdf")
        assert first[:5] == b"%PDF-"
        page = _get(base + "index.html").decode()
        assert "EventSource" in page and "build-error" not in page

        article = project / "source" / FICTIONAL / "article.md"
        text = article.read_text(encoding="utf-8")
        generation = _status(base)["generation"]
        article.write_text(text.replace("## ", "## Freshly edited heading\n\n## ", 1), encoding="utf-8")
        _wait(lambda: _status(base)["generation"] > generation, 30, "a rebuild after the change")
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
        _wait(lambda: _status(base)["generation"] > generation, 30, "a rebuild after the bad save")
        assert _status(base)["errors"]
        page = _get(base + "index.html").decode()
        assert "build-error" in page and "article.md" in page
        assert _get(base + f"proof/{FICTIONAL}.pdf") == second
    finally:
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
