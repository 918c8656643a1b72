"""Hostile articles never reach the network or a file outside the article's folder/styles.

Every test builds into a throw-away project under ``tmp_path`` (styles copied from the
repository, fictional people only) with a canary file *outside* the article folder and a
loopback HTTP server that records every request it receives. An article may try every
trick in the book (raw HTML, CSS, SVG, symlinks, ``file:`` and ``javascript:`` URLs,
hostile reference entries): the server must stay silent, the canary's token must not
appear anywhere in the PDF (text, attachments, decompressed streams, raw bytes), and the
build succeeds whenever only sanitizable content is present.

`handouts.pdf.render.SafeFetcher` is also tested on its own.
"""

from __future__ import annotations

import http.server
import re
import secrets
import shutil
import socket
import struct
import textwrap
import threading
import zlib
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import IndirectObject, StreamObject

from handouts.cli import main

from pdfcheck import REPO

SLUG = "hostile"

FRONT_MATTER = """\
---
title: {title}
lang: en
summary: A fictional handout used by the security tests.
authors:
  - name: Dr. Test Author
reviewers:
  - name: Dr. Test Reviewer
    credential: MD
    specialty: Testing
    reviewed: 2024-01-02
updated: 2024-01-02
edition: 1
---
"""
DISCLAIMER = "Example Clinic does not provide medical advice, diagnosis or treatment."


def _png() -> bytes:
    """A valid 1x1 grey PNG (so a fetched image really lands in the PDF)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


PNG = _png()


# ---------------------------------------------------------------------------------------
# Loopback server


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]  # set on the subclass made per server

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.requests.append(self.path)
        if self.path.startswith("/redirect-ftp"):
            self.send_response(302)
            self.send_header("Location", self.server.ftp_target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = PNG if self.path.endswith(".png") else b"body { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):  # keep the test output clean
        pass


class LoopbackServer:
    def __init__(self):
        self.requests: list[str] = []
        handler = type("Handler", (_Recorder,), {"requests": self.requests})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.timeout = 5
        self.httpd.daemon_threads = True
        self.httpd.ftp_target = "ftp://127.0.0.1:9/x"
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def _server_instance():
    server = LoopbackServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def server(_server_instance, monkeypatch):
    """The loopback server, its request log emptied; proxies disabled for loopback."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    _server_instance.requests.clear()
    yield _server_instance
    _server_instance.requests.clear()


# ---------------------------------------------------------------------------------------
# Project


class Project:
    """A temporary project: handouts.toml, styles/, one article, a canary outside it."""

    def __init__(self, root: Path):
        self.root = root
        shutil.copytree(REPO / "styles", root / "styles")
        (root / "handouts.toml").write_text(
            f'publisher = "Example Clinic"\ndisclaimer = "{DISCLAIMER}"\n', encoding="utf-8")
        self.folder = root / "source" / SLUG
        (self.folder / "images").mkdir(parents=True)
        (self.folder / "images" / "ok.png").write_bytes(PNG)
        self.token = "CANARY" + secrets.token_hex(12)
        self.secret_dir = root / "secret"
        self.secret_dir.mkdir()
        self.canary = self.secret_dir / "canary.txt"
        self.canary.write_text(f"secret {self.token}\n", encoding="utf-8")
        # A canary that is also a valid CSL-YAML list and a valid image name, so that a
        # leak would show up in the PDF rather than fail to parse.
        self.canary_yaml = self.secret_dir / "canary.yaml"
        self.canary_yaml.write_text(
            f"- id: leak\n  type: document\n  title: {self.token}\n", encoding="utf-8")
        self.canary_png = self.secret_dir / "canary.png"
        self.canary_png.write_bytes(PNG + self.token.encode())
        self.out = root / "dist"

    @property
    def pdf(self) -> Path:
        return self.out / f"{SLUG}.pdf"

    def write(self, body: str, title: str = "Test Handout") -> Path:
        text = FRONT_MATTER.format(title=title) + "\n" + textwrap.dedent(body).strip() + "\n"
        path = self.folder / "article.md"
        path.write_text(text, encoding="utf-8")
        return path

    def build(self, capsys, *extra: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["build", "--root", str(self.root), "--out", str(self.out), *extra, SLUG])
        out, err = capsys.readouterr()
        return int(code), out, err


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "proj")


# ---------------------------------------------------------------------------------------
# Reading the PDF back


def pdf_text(path: Path, reader: pypdf.PdfReader | None = None) -> str:
    reader = reader or pypdf.PdfReader(path)
    # pypdf sometimes decodes a run as UTF-16 and leaves NULs between the letters.
    return "\n".join(page.extract_text() or "" for page in reader.pages).replace("\x00", "")


def pdf_everything(path: Path, reader: pypdf.PdfReader | None = None, text: str | None = None) -> bytes:
    """Raw bytes + every decompressed stream + text + attachments, for token scans (`reader`
    and `text`: the file's, when the caller has them already)."""
    raw = path.read_bytes()
    reader = reader or pypdf.PdfReader(path)
    text = pdf_text(path, reader) if text is None else text
    parts = [raw, text.encode("utf-8", "replace")]
    for name, contents in reader.attachments.items():
        parts.append(name.encode("utf-8", "replace"))
        parts.extend(contents)
    size = int(reader.trailer.get("/Size", 0))
    for num in range(1, size):
        try:
            obj = reader.get_object(IndirectObject(num, 0, reader))
        except Exception:  # free or compressed-away entries
            continue
        if isinstance(obj, StreamObject):
            try:
                parts.append(obj.get_data())
            except Exception:
                parts.append(obj._data if isinstance(obj._data, bytes) else b"")
    return b"\n".join(parts)


def pdf_link_uris(path: Path, reader: pypdf.PdfReader | None = None) -> list[str]:
    """The targets of every /URI link action in the PDF."""
    uris = []
    for page in (reader or pypdf.PdfReader(path)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action.get_object():
                uris.append(str(action.get_object()["/URI"]))
    return uris


TEXT_MARKUP = ("<script", "</script", "<iframe", "<object", "<style", "<link", "<svg",
               "alert(", "@import", "javascript:", "onerror", "file://")


def assert_no_leak(project: Project, server: LoopbackServer, markup=TEXT_MARKUP) -> str:
    """The server saw nothing; the canary is nowhere in the PDF; returns the PDF text."""
    assert server.requests == [], f"the build reached the network: {server.requests}"
    assert project.pdf.is_file()
    reader = pypdf.PdfReader(project.pdf)
    assert reader.attachments == {}, f"files embedded in the PDF: {list(reader.attachments)}"
    text = pdf_text(project.pdf, reader)
    blob = pdf_everything(project.pdf, reader, text)
    assert project.token.encode() not in blob
    assert project.token.encode("utf-16-be") not in blob
    for leaked in markup:
        assert leaked not in text, f"{leaked!r} leaked into the PDF text"
    for uri in pdf_link_uris(project.pdf, reader):
        assert not uri.lower().lstrip().startswith(("javascript:", "vbscript:", "data:")), uri
    return text


#: The batch's summary line ("1 built, 0 unchanged in 1.2 s"), not a diagnostic.
SUMMARY = re.compile(r"^\d+ built, \d+ unchanged(, \d+ failed)? in [\d.]+ s$")


def stderr_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip() and not SUMMARY.match(line)]


LINE_FORMAT = re.compile(r"^[^\n]+?(:\d+)?: (error|warning|info): \S.*$")  # info: a note, e.g. a sign-off bound


def build_refused(project: Project, capsys, server: LoopbackServer | None = None) -> str:
    """Build expecting an input error: exit 1, no PDF, well-formed error lines, the
    canary's token not echoed and (given the server) nothing fetched. Returns stderr."""
    code, _, err = project.build(capsys)
    assert code == 1, err
    assert not project.pdf.exists()
    errors = [line for line in stderr_lines(err) if ": error: " in line]
    assert errors and all(LINE_FORMAT.match(line) for line in errors), err
    assert project.token not in err
    if server is not None:
        assert server.requests == []
    return err


# ---------------------------------------------------------------------------------------
# Hostile bodies that only contain sanitizable content: exit 0, nothing leaks


def hostile_bodies(project: Project, url: str) -> dict[str, str]:
    canary_uri = project.canary.as_uri()
    return {
        "raw-img": f'Text before.\n\n<img src="{url}/img.png" alt="remote">\n\nText after.',
        "markdown-img": f"Text before.\n\n![x]({url}/a.png)\n\nText after.",
        "protocol-relative-img": f'Text.\n\n<img alt="A fictional picture" '
                                 f'src="//127.0.0.1:{url.rsplit(":", 1)[1]}/pr.png">',
        "link-attachment": f'Text.\n\n<link rel="attachment" href="{canary_uri}">\n\nMore.',
        "a-attachment": f'Text with <a rel="attachment" href="{canary_uri}">a link</a>.',
        "a-attachment-relative": 'Text with <a rel="attachment" href="../../secret/canary.txt">x</a>.',
        "md-link-attr-list": "[link](../../secret/canary.txt){: rel=attachment }\n\nMore.",
        "iframe": f'<iframe src="{url}/frame.html"></iframe>\n\n<iframe src="{canary_uri}"></iframe>\n\nText.',
        "object-embed": (f'<object data="{url}/obj.png"></object>\n\n<embed src="{canary_uri}">'
                         f'\n\n<video src="{url}/v.mp4" poster="{url}/p.png"></video>\n\nText.'),
        "script": "Text.\n\n<script>alert(1); fetch('" + url + "/script')</script>\n\nMore text.",
        "style-block": (f"Text.\n\n<style>@import url({url}/x.css); body{{background:url({canary_uri})}} "
                        f"p{{background:url({url}/p.png)}}</style>\n\nMore."),
        "style-attr": f'<div style="background:url({url}/bg.png)">Styled text.</div>',
        "md-style-attr": f"Paragraph.\n{{: style=\"background:url({url}/attr.png)\" }}",
        "svg-image": (f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{url}/svg.png" '
                      f'width="10" height="10"/><image xlink:href="{canary_uri}"/></svg>\n\nText.'),
        "svg-data-uri": (
            '<img alt="svg" src="data:image/svg+xml;utf8,'
            "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>"
            f"<style>@import url({url}/svgcss.css);</style>"
            f"<image href='{url}/svgdata.png' width='10' height='10'/>"
            f"<image href='{project.canary_png.as_uri()}' width='10' height='10'/>"
            "</svg>\">\n\nText."),
        "javascript-links": ("[click](javascript:alert(1)) and "
                             '<a href="javascript:alert(2)">also</a> and '
                             '<a href="JaVaScRiPt:alert(3)">this</a>.'),
        "file-link": f"[secret]({canary_uri}) and <a href=\"{canary_uri}\">raw</a>.",
        "base-and-meta": (f'<base href="{url}/"><meta http-equiv="refresh" content="0;url={url}/m">'
                          '\n\n![x](images/ok.png)\n\nText.'),
        "form-and-input": f'<form action="{url}/form"><input type="image" src="{url}/in.png"></form>\n\nText.',
        "reference-style-remote-img": f"Text ![x][r].\n\n[r]: {url}/ref.png",
        "img-srcset": f'<img src="images/ok.png" srcset="{url}/2x.png 2x" alt="ok">',
        "css-import-in-title-attr": f'<span title="x" class="y" onmouseover="fetch(\'{url}\')">hover</span>',
    }


HOSTILE_CASES = [
    "raw-img", "markdown-img", "protocol-relative-img", "link-attachment", "a-attachment",
    "a-attachment-relative", "iframe", "object-embed", "script",
    "style-block", "style-attr", "svg-image", "svg-data-uri",
    "javascript-links", "file-link", "base-and-meta", "form-and-input",
    "reference-style-remote-img", "img-srcset", "css-import-in-title-attr",
]


@pytest.mark.parametrize("case", HOSTILE_CASES)
def test_hostile_body_is_sanitized(project, server, capsys, case):
    body = hostile_bodies(project, server.url)[case]
    project.write(body + "\n\nThe visible closing sentence.")
    code, _, err = project.build(capsys)
    assert code == 0, err
    assert "internal error" not in err and "Traceback" not in err
    for line in stderr_lines(err):
        assert LINE_FORMAT.match(line), f"badly formed stderr line: {line!r}"
    text = assert_no_leak(project, server)
    assert "The visible closing sentence." in text
    assert DISCLAIMER in " ".join(text.split())


@pytest.mark.parametrize("case", ["raw-img", "markdown-img", "protocol-relative-img"])
def test_remote_image_warns_about_allow_remote(project, server, capsys, case):
    project.write(hostile_bodies(project, server.url)[case])
    code, _, err = project.build(capsys)
    assert code == 0, err
    warnings = [line for line in stderr_lines(err) if ": warning: " in line]
    assert any("remote image" in line and "--allow-remote" in line for line in warnings), err
    assert all(line.startswith(str(project.folder / "article.md") + ":") for line in warnings)
    assert_no_leak(project, server)


#: Attribute lists setting what an article may not set are input errors (issue 8): the
#: load stage names the attribute; the sanitizer would drop it anyway.
REFUSED_ATTR_LISTS = ["md-link-attr-list", "md-style-attr"]


@pytest.mark.parametrize("case", REFUSED_ATTR_LISTS)
def test_hostile_attribute_list_is_refused(project, server, capsys, case):
    project.write(hostile_bodies(project, server.url)[case] + "\n\nThe visible closing sentence.")
    err = build_refused(project, capsys, server)
    assert "which an article may not set" in err


def test_everything_at_once(project, server, capsys):
    bodies = hostile_bodies(project, server.url)
    project.write("\n\n".join(bodies[c] for c in HOSTILE_CASES) + "\n\nThe end.")
    code, _, err = project.build(capsys)
    assert code == 0, err
    text = assert_no_leak(project, server)
    assert "The end." in text


# ---------------------------------------------------------------------------------------
# Hostile images that are input errors: exit 1, no PDF, nothing read


# Every way of writing an image, including those a line-by-line scan would miss (the
# address of a reference-style image sits on its definition's line; a tag may span lines).
IMAGE_FORMS = {
    "markdown": "Before.\n\n![x]({src})\n",
    "html": 'Before.\n\n<img src="{src}">\n',
    "reference": "Before.\n\n![x][r]\n\n[r]: {src}\n",
    "collapsed-reference": "Before.\n\n![r]\n\n[R]: <{src}>\n",
    "multi-line-html": '<img alt="x"\n     src="{src}">\n\nText.\n',
}


@pytest.mark.parametrize("src", [
    "../../secret/canary.txt",
    "images/../../../secret/canary.png",
    "{canary_uri}",
    "/{abs_path}",
])
@pytest.mark.parametrize("form", list(IMAGE_FORMS))
def test_image_outside_article_folder_is_an_input_error(project, server, capsys, src, form):
    src = src.format(canary_uri=project.canary_png.as_uri(),
                     abs_path=str(project.canary_png).lstrip("/"))
    path = project.write(IMAGE_FORMS[form].format(src=src))
    err = build_refused(project, capsys, server)
    assert re.search(rf"^{re.escape(str(path))}:\d+: error: image ", err, re.M), err


def test_symlinked_image_pointing_outside_is_refused(project, server, capsys):
    link = project.folder / "images" / "innocent.png"
    link.symlink_to(project.canary_png)
    project.write("Before.\n\n![innocent](images/innocent.png)\n")
    assert "outside the article's folder" in build_refused(project, capsys, server)


def test_symlinked_images_folder_pointing_outside_is_refused(project, server, capsys):
    shutil.rmtree(project.folder / "images")
    (project.folder / "images").symlink_to(project.secret_dir, target_is_directory=True)
    project.write('Before.\n\n<img src="images/canary.png">\n')
    build_refused(project, capsys, server)


# ---------------------------------------------------------------------------------------
# Hostile references and front matter


def test_hostile_reference_entries_are_sanitized(project, server, capsys):
    (project.folder / "references.yaml").write_text(textwrap.dedent(f"""\
        - id: hostile1
          type: article-journal
          title: "A study <script>alert('x')</script> of <img src='{server.url}/ref.png'> things"
          container-title: "<iframe src='{project.canary.as_uri()}'></iframe>Journal of Tests"
          author: [{{family: "Reviewer<style>@import url({server.url}/r.css);</style>", given: Test}}]
          URL: "javascript:alert(1)"
          issued: 2020
        - id: hostile2
          type: webpage
          title: "Remote <link rel=attachment href='{project.canary.as_uri()}'> page"
          URL: "{server.url}/page"
          DOI: "10.0000/<img src=x onerror=alert(1)>"
        - id: hostile3
          type: document
          title: "Local <img src='../../secret/canary.png'> image"
        """), encoding="utf-8")
    project.write("First claim [@hostile1]. Second claim [@hostile2; @hostile3].")
    code, _, err = project.build(capsys)
    assert code == 0, err
    # The reference's URL field is printed as text (never as a link): only markup counts.
    text = assert_no_leak(project, server, markup=[m for m in TEXT_MARKUP
                                                   if m not in ("alert(", "javascript:")])
    assert "Journal of Tests" in text and "<img" not in text


def test_references_file_named_in_front_matter_outside_folder_is_refused(project, capsys):
    path = project.folder / "article.md"
    project.write("Claim [@leak].")
    text = path.read_text(encoding="utf-8").replace(
        "edition: 1\n", "edition: 1\nreferences: ../../secret/canary.yaml\n")
    path.write_text(text, encoding="utf-8")
    build_refused(project, capsys)


def test_symlinked_references_file_pointing_outside_is_refused(project, server, capsys):
    # A references.yaml found beside the article is confined like one named in 'references:'.
    (project.folder / "references.yaml").symlink_to(project.canary_yaml)
    project.write("Claim [@leak].")
    err = build_refused(project, capsys, server)
    assert "references file lies outside the article's folder" in err


@pytest.mark.parametrize("title", [
    '"Test <script>alert(1)</script> </style><img src=x>"',
    "\"Test\\\" } .disclaimer { display: none } @page { @top-left { content: \\\"\"",
    "'Test \\ } .disclaimer { display: none }'",
])
def test_hostile_title_cannot_escape_its_css_string(project, server, capsys, title):
    project.write("Body text.", title=title)
    code, _, err = project.build(capsys)
    assert code == 0, err
    # The title is plain text: markup in it is shown literally, which is right.
    text = assert_no_leak(project, server, markup=())
    assert DISCLAIMER in " ".join(text.split()), "the disclaimer was hidden"
    assert "Test" in text


CSS_BREAKOUT = "} } .disclaimer { display: none } @page { @top-left { content: '"


# CSS newlines: \n, \r, \f (and the Unicode line/paragraph separators, which the
# engine treats as newlines too), written as TOML/YAML escapes.
CSS_NEWLINES = ["\\f", "\\r", "\\u2028"]


@pytest.mark.parametrize("newline", CSS_NEWLINES)
def test_css_newline_in_title_is_an_input_error(project, server, capsys, newline):
    # A title from a YAML escape that would end the CSS string is refused at load time.
    path = project.write("Body text.", title=f'"Test{newline}{CSS_BREAKOUT}"')
    err = build_refused(project, capsys, server)
    assert re.search(rf"^{re.escape(str(path))}:\d+: error: invisible character", err, re.M), err


@pytest.mark.parametrize("newline", CSS_NEWLINES)
def test_css_newline_in_config_cannot_escape_its_css_string(project, server, capsys, newline):
    # The publisher (from handouts.toml) stays inside its CSS string: the disclaimer shows.
    (project.root / "handouts.toml").write_text(
        f'publisher = "Example{newline}{CSS_BREAKOUT}"\n'
        f'disclaimer = "{DISCLAIMER}"\n', encoding="utf-8")
    project.write("Body text.")
    code, _, err = project.build(capsys)
    assert code == 0, err
    text = assert_no_leak(project, server, markup=())
    assert DISCLAIMER in " ".join(text.split()), "the disclaimer was hidden"


@pytest.mark.parametrize("value", ["a\fb", "a\rb", "a\r\nb", "a\u2028b", "a\u2029b"])
def test_css_string_escapes_every_css_newline(value):
    from handouts.pdf.template import css_string

    quoted = str(css_string(value))
    assert not set(quoted) & {"\n", "\r", "\f", "\u2028", "\u2029"}, repr(quoted)
    assert quoted == '"a\\a b"', repr(quoted)


WEB_LINK = "https://example.org/kept"


@pytest.mark.parametrize("body", [
    'See <a href="../../secret/canary.txt">this</a>.',
    "See [this](../../secret/canary.txt).",
    "See [this](//127.0.0.1/x).",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "See [this](data:text/html,hello).",
], ids=["relative-html", "relative-md", "protocol-relative", "data-html", "data-base64",
        "data-md"])
def test_only_web_links_reach_the_pdf(project, server, capsys, body):
    # Relative links would become file:// links into the build machine, data: links a
    # document of their own: both are dropped, while a web link beside them is kept.
    project.write(f"{body}\n\nAnd [a web link]({WEB_LINK}).")
    code, _, err = project.build(capsys)
    assert code == 0, err
    assert_no_leak(project, server)
    uris = pdf_link_uris(project.pdf)
    assert WEB_LINK in uris, uris
    assert not [u for u in uris if u.lower().startswith(("file:", "data:"))], uris


def test_source_url_must_be_web_address(project, capsys):
    path = project.write("Body.")
    path.write_text(path.read_text(encoding="utf-8").replace(
        "edition: 1\n", f"edition: 1\nsource_url: {project.canary.as_uri()}\n"), encoding="utf-8")
    code, _, err = project.build(capsys)
    assert code == 1 and "'source_url' must be an http(s) address" in err


# ---------------------------------------------------------------------------------------
# Opting in


def test_allow_remote_fetches_the_remote_image(project, server, capsys):
    project.write(f"Before.\n\n![remote]({server.url}/img.png)\n\nAfter.")
    code, _, err = project.build(capsys, "--allow-remote")
    assert code == 0, err
    assert server.requests == ["/img.png"]
    reader = pypdf.PdfReader(project.pdf)
    images = [img for page in reader.pages for img in page.images]
    assert len(images) == 1


def test_allow_remote_still_refuses_local_files(project, server, capsys):
    project.write(f"![remote]({server.url}/img.png)\n\n"
                  + hostile_bodies(project, server.url)["svg-data-uri"] + "\n\n"
                  + f'<a rel="attachment" href="{project.canary.as_uri()}">x</a>')
    code, _, err = project.build(capsys, "--allow-remote")
    assert code == 0, err
    reader = pypdf.PdfReader(project.pdf)
    assert reader.attachments == {}
    assert project.token.encode() not in pdf_everything(project.pdf)


@pytest.mark.parametrize("command", ["build", "check"])
def test_allow_remote_silences_the_remote_image_warning(project, server, capsys, command):
    # --allow-remote reaches the load stage too: no 'left out' warning, so --strict passes.
    project.write(f"Before.\n\n![remote]({server.url}/img.png)\n\nAfter.")
    capsys.readouterr()
    code = main([command, "--root", str(project.root), "--out", str(project.out),
                 "--allow-remote", "--strict", SLUG])
    err = capsys.readouterr().err
    assert "left out" not in err
    # Other checks (reading level, image resolution of the 1-px test image) may warn and
    # so fail --strict; none of their lines may be about the remote image being left out.
    problems = [line for line in stderr_lines(err) if ": error: " in line or ": warning: " in line]
    assert code == 0 or all("remote image" not in line for line in problems), err


# ---------------------------------------------------------------------------------------
# SafeFetcher on its own


@pytest.fixture
def fetch_root(tmp_path):
    root = tmp_path / "root"
    (root / "images").mkdir(parents=True)
    (root / "images" / "a.png").write_bytes(PNG)
    (tmp_path / "outside.txt").write_text("outside", encoding="utf-8")
    return root


def _read(fetcher, url) -> bytes:
    response = fetcher.fetch(url)
    try:
        return response.read()
    finally:
        response.close()


def test_safefetcher_serves_files_under_root(fetch_root):
    from handouts.pdf.render import SafeFetcher

    fetcher = SafeFetcher([fetch_root])
    assert _read(fetcher, (fetch_root / "images" / "a.png").as_uri()) == PNG
    assert _read(fetcher, "data:text/plain,hello") == b"hello"
    assert fetcher.refused == []


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "FILE:///etc/passwd",
    "file:///etc/passwd?x#y",
    "ftp://127.0.0.1/x",
    "gopher://127.0.0.1/x",
    "javascript:alert(1)",
    "/etc/passwd",
])
def test_safefetcher_refuses_system_files_and_other_schemes(fetch_root, url):
    from handouts.pdf.render import RefusedURL, SafeFetcher

    fetcher = SafeFetcher([fetch_root])
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert url in fetcher.refused


@pytest.mark.parametrize("suffix", ["/../outside.txt", "/images/../../outside.txt",
                                    "/%2e%2e/outside.txt", "/images/..%2f..%2foutside.txt"])
def test_safefetcher_refuses_path_traversal(fetch_root, suffix):
    from handouts.pdf.render import RefusedURL, SafeFetcher

    fetcher = SafeFetcher([fetch_root])
    with pytest.raises(RefusedURL):
        fetcher.fetch(fetch_root.as_uri() + suffix)


def test_safefetcher_refuses_sibling_with_common_prefix(tmp_path, fetch_root):
    from handouts.pdf.render import RefusedURL, SafeFetcher

    sibling = tmp_path / "root-evil"
    sibling.mkdir()
    (sibling / "x.txt").write_text("x", encoding="utf-8")
    with pytest.raises(RefusedURL):
        SafeFetcher([fetch_root]).fetch((sibling / "x.txt").as_uri())


def test_containment_compares_whole_resolved_names(tmp_path, monkeypatch):
    """`paths.inside` compares resolved paths name by name: a sibling whose name starts
    with the project's is outside, a root written with a trailing slash, relative or
    through a link is the same folder; `open_checked` resolves the file once and opens
    what it judged."""
    import os

    from handouts.guard import paths

    root = tmp_path / "project"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.md").write_text("inside", encoding="utf-8")
    (tmp_path / "project-evil").mkdir()
    (tmp_path / "project-evil" / "x.md").write_text("outside", encoding="utf-8")
    (tmp_path / "alias").symlink_to(root, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    inside = root / "a" / "x.md"
    for roots in ([root], [f"{root}/"], ["project"], [tmp_path / "alias"], ["/"], [tmp_path / "no", root]):
        assert paths.inside(inside, roots) and paths.inside(tmp_path / "alias" / "a" / "x.md", roots)
    assert paths.inside(root, [root])
    for outside in (tmp_path / "project-evil" / "x.md", root / ".." / "project-evil" / "x.md", tmp_path):
        assert not paths.inside(outside, [root])
        assert "lies outside" in paths.check_file(outside, [root], what="file").message
    resolved = []
    realpath = os.path.realpath
    monkeypatch.setattr(os.path, "realpath", lambda p, **kw: resolved.append(p) or realpath(p, **kw))
    with paths.open_checked(tmp_path / "alias" / "a" / "x.md", [root], what="file") as f:
        assert f.read() == b"inside"
    assert resolved == [str(tmp_path / "alias" / "a" / "x.md"), str(root)]


def test_safefetcher_refuses_symlinks_out_of_root(tmp_path, fetch_root):
    from handouts.pdf.render import RefusedURL, SafeFetcher

    (fetch_root / "images" / "link.png").symlink_to(tmp_path / "outside.txt")
    (fetch_root / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    fetcher = SafeFetcher([fetch_root])
    with pytest.raises(RefusedURL):
        fetcher.fetch((fetch_root / "images" / "link.png").as_uri())
    with pytest.raises(RefusedURL):
        fetcher.fetch((fetch_root / "dirlink" / "outside.txt").as_uri())


def test_safefetcher_follows_symlinks_that_stay_inside(fetch_root):
    from handouts.pdf.render import SafeFetcher

    (fetch_root / "alias.png").symlink_to(fetch_root / "images" / "a.png")
    assert _read(SafeFetcher([fetch_root]), (fetch_root / "alias.png").as_uri()) == PNG


def test_safefetcher_refuses_directories_and_missing_files(fetch_root):
    from handouts.pdf.render import RefusedURL, SafeFetcher

    fetcher = SafeFetcher([fetch_root])
    for url in (fetch_root.as_uri(), (fetch_root / "nope.png").as_uri()):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_safefetcher_http_only_when_allowed(fetch_root, server):
    from handouts.pdf.render import RefusedURL, SafeFetcher

    for scheme_url in (f"{server.url}/denied.png", f"https://127.0.0.1:{server.port}/denied.png"):
        with pytest.raises(RefusedURL):
            SafeFetcher([fetch_root]).fetch(scheme_url)
    assert server.requests == []
    assert _read(SafeFetcher([fetch_root], allow_remote=True), f"{server.url}/ok.png") == PNG
    assert server.requests == ["/ok.png"]


@pytest.fixture
def tcp_listener():
    """A bare TCP listener that records (and drops) every connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    connections: list[tuple] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, addr = sock.accept()
            except OSError:
                continue
            connections.append(addr)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1], connections
    stop.set()
    thread.join(timeout=5)
    sock.close()


def test_safefetcher_refused_redirect_is_not_fetched_later(fetch_root, server, tcp_listener):
    # A refused redirect target is forgotten: the next fetch opens the file it was asked for.
    from handouts.pdf.render import SafeFetcher

    ftp_port, connections = tcp_listener
    server.httpd.ftp_target = f"ftp://127.0.0.1:{ftp_port}/x"
    fetcher = SafeFetcher([fetch_root], allow_remote=True)
    with pytest.raises(Exception):
        fetcher.fetch(f"{server.url}/redirect-ftp")
    data = _read(fetcher, (fetch_root / "images" / "a.png").as_uri())
    assert connections == [], "the refused ftp: URL was fetched"
    assert data == PNG
