"""Live preview: build, serve ``dist/`` on 127.0.0.1, rebuild on change, reload the page.

`serve` runs a `ThreadingHTTPServer` over the output folder and a watchfiles watcher over
``source/``, ``styles/`` and ``handouts.toml``. Each change runs `rebuild` (the incremental
batch build: only what changed is rendered) and bumps a generation counter; open pages
listen on ``/__events`` (server-sent events) and reload. HTML pages get a small script and,
when the last build failed, the errors on top: the last good PDF stays where it was. For
the editors, a translation behind its original is noted on its page and on the index
(`editor_notes`): only here, never in ``dist/``, which is what readers get. Pages still
work with JavaScript off (they just do not reload by themselves).

What it answers: only requests whose ``Host:`` is ``localhost``, ``127.0.0.1`` or
``[::1]`` with the bound port (403 otherwise, so a web page the editor visits cannot
reach it through DNS rebinding); only regular files whose real path (symbolic links
resolved) lies inside ``dist/`` (404 otherwise); a folder only through its
``index.html``, never as a listing. Pages are served as the bytes they are (a page that
is not UTF-8 is not an error).
"""

from __future__ import annotations

import errno
import html
import http.server
import json
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from handouts.errors import InputError

EVENTS_PATH = "/__events"
STATUS_PATH = "/__status"
RELOAD_PATH = "/__reload.js"
#: A file, not an inline script: the site's pages allow their own scripts only (CSP).
_RELOAD_JS = (b'/* handouts serve: reload when a rebuild finishes */\n'
              b'new EventSource("/__events").addEventListener("reload", function () { location.reload(); });\n')
_RELOAD_SCRIPT = f'<script src="{RELOAD_PATH}"></script>'


class PreviewState:
    """What the last build produced, shared by the watcher and the request handlers."""

    def __init__(self):
        self.generation = 0
        self.errors: list[str] = []
        self.notes: dict[str, list[str]] = {}  # slug -> what editors should know (stale translations)
        self.changed = threading.Condition()

    def publish(self, errors: list[str], notes: dict[str, list[str]] | None = None) -> None:
        with self.changed:
            self.generation += 1
            self.errors = list(errors)
            self.notes = dict(notes or {})
            self.changed.notify_all()

    def wait(self, after: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != after, timeout=timeout)
            return self.generation


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A browser that went away mid-answer is normal; anything else is printed."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def allowed_hosts(port: int) -> frozenset[str]:
    """The ``Host:`` values the preview answers: loopback names with the bound port."""
    return frozenset(f"{name}:{port}" for name in ("localhost", "127.0.0.1", "[::1]"))


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Answers the preview's requests; `_handler` sets the class's folder and state."""

    root: Path
    real_root: Path
    state: PreviewState
    stop: threading.Event

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(self.root), **kwargs)

    def log_message(self, *args):  # quiet: the terminal shows build results
        pass

    def do_HEAD(self):  # noqa: N802
        self.send_error(405, "only GET")

    def do_GET(self):  # noqa: N802 (http.server's name)
        if (self.headers.get("Host") or "").lower() not in allowed_hosts(self.server.server_address[1]):
            return self.send_error(403, "Host not allowed",
                                   "open the preview at http://localhost:PORT/ or 127.0.0.1")
        path = urlsplit(self.path).path
        if path == EVENTS_PATH:
            return self._events()
        if path == RELOAD_PATH:
            return self._send(_RELOAD_JS, "text/javascript; charset=utf-8")
        if path == STATUS_PATH:
            return self._send(json.dumps({"generation": self.state.generation,
                                          "errors": self.state.errors}).encode(), "application/json")
        target = self._file(path)
        if target is None and path.rstrip("/") in ("", "/index.html"):
            return self._send(_inject(b"<!DOCTYPE html><html lang=en><title>handouts</title>"
                                      b"<body><main><h1>Building\xe2\x80\xa6</h1></main></body></html>",
                                      self.state.errors), "text/html; charset=utf-8")
        if target is None:
            return self.send_error(404, "Not found")
        try:
            data = target.read_bytes()
        except OSError:
            return self.send_error(404, "Not found")
        if target.suffix == ".html":
            return self._send(_inject(data, self.state.errors, self._notes(target)),
                              "text/html; charset=utf-8")
        return self._send(data, self.guess_type(str(target)))

    def _notes(self, page: Path) -> list[str]:
        """The editors' notes for `page`: its article's on ``<slug>/index.html``, all of
        them on the index."""
        relative = page.relative_to(self.real_root).parts
        if relative == ("index.html",):
            return [n for notes in self.state.notes.values() for n in notes]
        if len(relative) == 2 and relative[1] == "index.html":
            return self.state.notes.get(relative[0], [])
        return []

    def _file(self, path: str) -> Path | None:
        """The regular file `path` names inside dist/ (a folder: its index.html), or None."""
        parts = [p for p in unquote(path).split("/") if p]
        if any(p in (".", "..") or "\0" in p or "\\" in p for p in parts):
            return None
        target = self.root.joinpath(*parts)
        try:
            if stat.S_ISDIR(os.stat(target).st_mode):
                target = target / "index.html"
            real = Path(os.path.realpath(target, strict=True))
            st = os.stat(real)
        except (OSError, ValueError):
            return None
        if not (real.is_relative_to(self.real_root) and stat.S_ISREG(st.st_mode)):
            return None
        return real

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def _send(self, body, content_type: str):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _events(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen = self.state.generation
        try:
            self.wfile.write(b": connected\n\n")
            self.wfile.flush()
            while not self.stop.is_set():
                now = self.state.wait(seen, timeout=1.0)
                if now != seen:
                    seen = now
                    self.wfile.write(f"event: reload\ndata: {now}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def _handler(root: Path, state: PreviewState, stop: threading.Event):
    """The request handler class serving `root` (dist/) with the preview's `state`."""
    return type("Handler", (_Handler,), {"root": root, "real_root": Path(os.path.realpath(root)),
                                         "state": state, "stop": stop})


def _inject(data: bytes, errors: list[str], notes: list[str] = ()) -> bytes:
    """The page with the reload script and, after a failed build, its errors on top; the
    editors' `notes` (a translation behind its original) under them. Bytes that are not
    UTF-8 pass through unchanged."""
    page = data.decode("utf-8", "surrogateescape")
    extra = _RELOAD_SCRIPT
    banner = ""
    if errors:
        banner = ('<div class="build-error" role="alert"><strong>The last build failed; '
                  'the PDFs below are from the last good build.</strong>\n'
                  + "\n".join(html.escape(e) for e in errors) + "</div>")
    if notes:
        banner += ('<div class="editor-note" role="note" lang="en"><strong>For editors (this preview '
                   'only; readers do not see this):</strong>\n' + "\n".join(html.escape(n) for n in notes)
                   + "</div>")
    if banner:
        marker = page.find("<main")
        if marker != -1:
            close = page.find(">", marker) + 1
            page = page[:close] + banner + page[close:]
        else:
            page = banner + page
    at = page.rfind("</body>")
    page = page[:at] + extra + page[at:] if at != -1 else page + extra
    return page.encode("utf-8", "surrogateescape")


def editor_notes(config) -> dict[str, list[str]]:
    """What the preview shows editors, by slug: the translations behind their original
    (`handouts.dist.translations`). Only the preview shows them: the published site is
    for readers, and a translation that is behind keeps its own review."""
    from handouts.dist.manifest import read_manifest
    from handouts.dist.translations import stale_translations

    try:
        manifest = read_manifest(config.output_dir, limits=config.limits)
    except OSError:
        return {}
    notes: dict[str, list[str]] = {}
    for stale in stale_translations(manifest):
        notes.setdefault(stale.slug, []).append(stale.message)
    return notes


def watched_paths(config) -> list[Path]:
    paths = [config.source_dir, config.styles_dir, config.root / "handouts.toml"]
    return [p for p in paths if p.exists()]


def batch_rebuild(load_project: Callable[[], object], options=None) -> Callable[[], list[str]]:
    """A `rebuild` that loads the project afresh (handouts.toml, theme, labels: an edit to
    any of them counts), runs the incremental batch build and returns its problem lines."""

    def rebuild() -> list[str]:
        from handouts.batch import run as batch

        try:
            config = load_project()
        except InputError as exc:  # a broken handouts.toml or label file: shown, not fatal
            return [str(p) for p in exc.problems]
        report = batch.run(config, [], options or batch.BatchOptions())
        lines = []
        for failed in report.failed:
            lines += [str(p) for p in failed.problems or [failed]]
        return lines

    return rebuild


def serve(config, rebuild: Callable[[], list[str]], *, port: int = 8000,
          host: str = "127.0.0.1",
          ready: Callable[[str], None] | None = None, stop: threading.Event | None = None,
          announce: Callable[[str], None] = print) -> int:
    """Build, serve and watch until Ctrl-C (or `stop` is set); returns an exit status.

    `rebuild()` builds what changed and returns the error lines of the build (empty when
    everything built), e.g. `batch_rebuild`.
    `ready(url)` is called once the server listens.
    """
    stop = stop or threading.Event()
    state = PreviewState()
    root = config.output_dir
    root.mkdir(parents=True, exist_ok=True)
    try:
        server = _Server((host, port), _handler(root, state, stop))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError.at(None, None, f"port {port} on {host} is already in use",
                                f"stop the other server or choose another port, e.g. --port {port + 1}") from None
        raise
    url = f"http://{host}:{server.server_address[1]}/"
    lock = threading.Lock()

    def locked_rebuild() -> list[str]:  # the watcher and the first build never overlap
        with lock:
            return rebuild()

    def publish(errors: list[str]) -> None:
        state.publish(errors, editor_notes(config))

    threading.Thread(target=server.serve_forever, name="handouts-serve", daemon=True).start()
    watcher = threading.Thread(target=_watch, args=(config, locked_rebuild, publish, stop, announce),
                               name="handouts-watch", daemon=True)
    announce(f"serving {root} at {url} — building, then watching for changes; Ctrl-C to stop")
    try:
        watcher.start()
        publish(locked_rebuild())  # pages say "Building…" until the first build is done
        if ready:
            ready(url)
        while not stop.is_set():
            stop.wait(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        watcher.join(timeout=3)
    announce("stopped")
    return 0


def _watch(config, rebuild, publish, stop: threading.Event, announce) -> None:
    from watchfiles import watch

    output = config.output_dir.resolve()

    def relevant(_change, path: str) -> bool:
        resolved = Path(path).resolve()
        return not resolved.is_relative_to(output) and not resolved.name.endswith(".tmp")

    for changes in watch(*watched_paths(config), watch_filter=relevant, stop_event=stop,
                         debounce=300, rust_timeout=500, yield_on_timeout=False):
        if not changes:
            continue
        started = time.perf_counter()
        errors = rebuild()
        publish(errors)
        # Editors' temporary files come and go: name the files that are still there.
        names = sorted({Path(p).name for _, p in changes if Path(p).exists()}) or ["a file"]
        announce(f"rebuilt after a change to {', '.join(names)} in "
                 f"{time.perf_counter() - started:.1f} s"
                 + (f" — {len(errors)} problem(s):" if errors else ""))
        for line in errors:
            announce(f"  {line}")
