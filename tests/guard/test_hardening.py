"""Hostile and broken input (issue 8): contained, bounded, never a crash.

One test per class of attack or accident, each with its input generated here (nothing
stored), each run as the real command line in a process of its own under a time and memory
bound (60 s, 2 GiB address space; forked from a server that imported the command line once,
tests/clirun.py): the build must end with exit 0 or 1, and a refusal must be
one line ``path[:line]: error: what — fix``, never a traceback, a signal or a hang.

Also here: the pixel test (an SVG that brings a blank "Noto Sans" must not blank the
title, the review credit or the disclaimer -- checked on the rendered page, not in the
text layer), the containment tests (symbolic links, linked folders, hard links, the
CSL file, stylesheets: a canary file outside the project never reaches the output), the
dripping-server test (``--allow-remote`` has a total time bound), and hypothesis tests
over nesting depth and sizes of the body and front matter.
"""

from __future__ import annotations

import base64
import http.server
import io
import os
import re
import secrets
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

import clirun
from handouts.theme import Theme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_security import FRONT_MATTER

from pdfcheck import REPO

THEME = REPO / "handouts" / "theme"
SLUG = "hostile"
TIMEOUT = 60
MEMORY = 2 * 2**30

FRONT = FRONT_MATTER.replace("{title}", "Test Handout").replace("security tests", "hardening tests")
DISCLAIMER = "Example Clinic does not provide medical advice."
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c63f80f00010101001b2db6a10000000049454e44ae426082")

ERROR_LINE = re.compile(r"^(?P<path>\S[^\n]*?)(?::(?P<line>\d+))?: error: (?P<msg>\S.*?) — (?P<fix>\S.*)$")
WARNING_LINE = re.compile(r"^\S[^\n]*?(?::\d+)?: warning: \S")
SUMMARY_LINE = re.compile(r"^(\d+ built|\d+ of \d+ article|checked \d+ article|wrote |\s)")


# ---------------------------------------------------------------------------------------
# A project and the bounded command line


class Project:
    def __init__(self, root: Path):
        self.root = root
        shutil.copytree(REPO / "styles", root / "styles")
        self.toml = root / "handouts.toml"
        self.toml.write_text(f'publisher = "Example Clinic"\ndisclaimer = "{DISCLAIMER}"\n',
                             encoding="utf-8")
        self.folder = root / "source" / SLUG
        (self.folder / "images").mkdir(parents=True)
        (self.folder / "images" / "ok.png").write_bytes(PNG)
        self.out = root / "dist"
        # A canary outside the project: its token must never reach an output.
        self.token = "CANARY" + secrets.token_hex(8)
        self.outside = root.parent / f"outside-{root.name}"
        self.outside.mkdir()
        self.canary = self.outside / "canary.png"
        self.canary.write_bytes(PNG + self.token.encode())

    @property
    def article(self) -> Path:
        return self.folder / "article.md"

    def write(self, body: str = "Some body text.", front: str = FRONT) -> Path:
        self.article.write_bytes((front + "\n" + body + "\n").encode("utf-8", "surrogatepass"))
        return self.article

    def limits(self, **values: int) -> None:
        with self.toml.open("a", encoding="utf-8") as f:
            f.write("\n[limits]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))

    def run(self, *args: str, timeout: float = TIMEOUT) -> tuple[int, str, str, float]:
        return run_cli("build", "--root", str(self.root), "--out", str(self.out), "-q",
                       *args, timeout=timeout, cwd=self.root)

    def outputs_contain_token(self) -> bool:
        if not self.out.exists():
            return False
        return any(self.token.encode() in p.read_bytes() for p in self.out.rglob("*") if p.is_file())


def run_cli(*args: str, timeout: float = TIMEOUT, cwd: Path | None = None,
            env: dict | None = None) -> tuple[int, str, str, float]:
    """`build_pdf.py ARGS` in a process of its own (tests/clirun.py), at most `timeout`
    seconds and 2 GiB -> (exit status, stdout, stderr, seconds)."""
    started = time.monotonic()
    code, out, err = clirun.run(args, cwd=cwd, env=env, timeout=timeout, memory=MEMORY)
    return code, out, err, time.monotonic() - started


def assert_one_error(code: int, err: str, *needles: str) -> re.Match:
    """Exit 1 and exactly one error line, shaped ``path[:line]: error: what — fix``."""
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 1, f"exit {code}: {err}"
    lines = [line for line in err.splitlines() if line.strip() and not SUMMARY_LINE.match(line)]
    errors = [line for line in lines if ": error: " in line]
    assert len(errors) == 1, err
    assert all(WARNING_LINE.match(line) or line in errors for line in lines), err
    m = ERROR_LINE.match(errors[0])
    assert m, f"not 'path:line: error: what — fix': {errors[0]!r}"
    for needle in needles:
        assert needle in errors[0], errors[0]
    return m


def assert_no_raw_controls(text: str) -> None:
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text), repr(text[:300])


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "proj")


# ---------------------------------------------------------------------------------------
# Generated hostile inputs, one per class: (id, body, front matter or None, limits, needle)

LINE = lambda m: m["line"]  # noqa: E731


def _list(levels: int, step: int = 2) -> str:
    return "\n".join(" " * (step * i) + "- item" for i in range(levels))


def _deep_yaml_flow(levels: int) -> str:
    return FRONT.replace("edition: 1", "edition: 1\nsummary2: " + "[" * levels)


def _alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return FRONT.replace("edition: 1", "edition: *a8\n" + "\n".join(lines))


BODY_CASES = [
    # (id, body, front matter, [limits] to set, text the error must contain)
    ("article-bytes", "word " * 70_000, None, {}, "(article_bytes)"),
    ("500k-spaces", "a" + " " * 500_000 + "b", None, {"article_bytes": 3_000_000}, "(line_chars)"),
    ("150k-image-openers", "![" * 150_000, None, {"article_bytes": 3_000_000}, "[limits]"),
    ("40k-img-tags", "<img " * 40_000, None, {"article_bytes": 3_000_000}, "(line_chars)"),
    ("image-openers-within-line-limit", "![" * 45_000, None, {}, "[limits]"),
    ("img-tags-at-the-limits", ("<img alt=x " * 480 + "\n\n") * 2, None, {}, None),
    ("links-at-the-limits", ("[a](https://example.org/) " * 140 + "\n\n") * 7, None, {}, None),
    ("code-spans-at-the-limits", ("`a` " * 490 + "\n\n") * 2, None, {}, None),
    ("image-refs-at-the-limits", ("![a][b] " * 245 + "\n\n") * 2, None, {}, None),
    ("inline-markup", ("[a](b) " * 500 + "\n\n") * 3, None, {}, "(inline_markup)"),
    ("inline-markup-code-spans", ("`a` " * 900 + "\n\n") * 3, None, {}, "(inline_markup)"),
    ("plain-text-at-the-limits", ("You rest well. " * 260 + "\n\n") * 37, None, {}, None),
    ("paragraph", "word " * 2_000, None, {}, "(paragraph_chars)"),
    ("100k-brackets", "[" * 100_000, None, {}, "("),
    ("unclosed-brackets", " ".join(["[open"] * 60), None, {"nesting_depth": 100}, "(unclosed_brackets)"),
    ("colspan", '<table><tr><td colspan="99999999">x</td></tr></table>', None, {}, "(table_span)"),
    ("table-columns", "|" * 100 + "\n" + "|---" * 100, None, {}, "(table_columns)"),
    ("300-nested-quotes", ">" * 300 + " deep", None, {}, "(nesting_depth)"),
    ("300-nested-quotes-spaced", "> " * 300 + "deep", None, {}, "(nesting_depth)"),
    ("300-level-list", _list(300), None, {"paragraph_chars": 200_000}, "(nesting_depth)"),
    ("300-level-list-one-line", "- " * 300 + "x", None, {}, "(nesting_depth)"),
    ("5000-emphasis-run", "*" * 5_000 + "x" + "*" * 5_000, None, {}, "(delimiter_run)"),
    ("5000-nested-emphasis", "*a " * 5_000 + "b" + " a*" * 5_000, None, {}, "(nesting_depth)"),
    ("2000-nested-divs", "<div>" * 2_000 + "x" + "</div>" * 2_000, None, {}, "(nesting_depth)"),
    ("2000-nested-spans", "<span>" * 2_000 + "x", None, {}, "(nesting_depth)"),
    ("nul-image", "![x](images/%00.png)", None, {}, "NUL"),
    ("300-char-image-name", "![x](images/" + "a" * 300 + ".png)", None, {}, "255"),
    ("yaml-100000-deep", "Body.", _deep_yaml_flow(100_000), {}, "(front_matter_depth)"),
    ("yaml-100000-deep-block", "Body.",
     FRONT.replace("edition: 1", "edition: 1\nx:" + "".join("\n" + " " * i + "-" for i in range(1, 400))),
     {}, "(front_matter_depth)"),
    ("yaml-alias-bomb", "Body.", _alias_bomb(), {}, "alias"),
    ("yaml-many-values", "Body.", FRONT.replace("edition: 1", "edition: 1\nx: [" + "1," * 20_000 + "1]"),
     {}, "(front_matter_nodes)"),
    ("attr-list-draft-stamp", "Every page says this.\n{: .draft-stamp }", None, {}, "draft-stamp"),
    ("attr-list-src", "![ok](images/ok.png){: src=\"../../../outside.png\" }", None, {}, "'src'"),
    ("attr-list-style", "Para.\n{: style=\"position: fixed\" }", None, {}, "'style'"),
    ("impossible-date", "Body.", FRONT.replace("updated: 2024-01-02", "updated: 2025-02-30"), {},
     "February 2025 has no day 30"),
    ("month-13", "Body.", FRONT.replace("updated: 2024-01-02", "updated: 2025-13-01"), {}, "no month 13"),
    ("future-review", "Body.", FRONT.replace("reviewed: 2024-01-02", "reviewed: 2999-01-01"), {},
     "in the future"),
    ("control-character", "Body.", FRONT.replace("Dr. Test Author", "Dr. Test\x1b[2J Author"), {},
     "U+001B"),
    ("10000-char-source-url", "Body.", FRONT.replace(
        "edition: 1", "edition: 1\nsource_url: https://example.org/" + "a" * 10_000), {}, "source_url"),
    ("references-name-over-255-bytes", "Body [@ref].", FRONT.replace(
        "edition: 1", "edition: 1\nbibliography: " + "r" * 300 + ".bib"), {}, "255"),
    ("references-path-over-path-max", "Body [@ref].", FRONT.replace(
        "edition: 1", "edition: 1\nbibliography: " + "r/" * 3_000 + "refs.bib"), {}, "references file"),
    ("source-url-just-too-long-for-a-qr-code", "Body.", FRONT.replace(
        "edition: 1", "edition: 1\nsource_url: https://example.org/" + "é" * 141), {}, "QR code"),
]


@pytest.mark.parametrize("body,front,limits,needle", [c[1:] for c in BODY_CASES],
                         ids=[c[0] for c in BODY_CASES])
def test_hostile_article_is_one_line_error(project, body, front, limits, needle):
    """Refused with one located line naming the limit (or, within every limit and
    `needle` None, built or refused) -- within the time and memory bound either way."""
    project.write(body, front or FRONT)
    if limits:
        project.limits(**limits)
    code, _, err, seconds = project.run()
    assert seconds < TIMEOUT
    if needle is None and code == 0:
        assert "Traceback" not in err
        return
    m = assert_one_error(code, err, needle or "")
    assert_no_raw_controls(err)
    assert m["path"].endswith("article.md")
    assert not project.out.exists() or not list(project.out.glob("*.pdf"))
    assert seconds < TIMEOUT


def test_limit_error_says_how_to_raise_it_and_raising_it_works(project):
    project.write("> " * 40 + "A deeply quoted sentence.")
    code, _, err, _ = project.run()
    m = assert_one_error(code, err, "(nesting_depth)")
    assert "nesting_depth in the [limits] table of handouts.toml" in m["fix"]
    project.limits(nesting_depth=64)
    code, _, err, _ = project.run()
    assert code == 0, err


def test_missing_space_after_colon_points_at_its_own_line(project):
    front = FRONT.replace("edition: 1", "edition:2")
    project.write("Body.", front)
    code, _, err, _ = project.run()
    m = assert_one_error(code, err, "space after the colon")
    assert int(m["line"]) == front.split("\n").index("edition:2") + 1


def test_impossible_date_points_at_its_line(project):
    front = FRONT.replace("    reviewed: 2024-01-02", "    reviewed: 2025-02-30")
    project.write("Body.", front)
    code, _, err, _ = project.run()
    m = assert_one_error(code, err, "February 2025 has no day 30")
    assert int(m["line"]) == front.split("\n").index("    reviewed: 2025-02-30") + 1


@pytest.mark.parametrize("setup,needle", [
    ("toml-is-a-directory", "handouts.toml"),
    ("limits-not-a-number", "nesting_depth"),
    ("unknown-limit", "did you mean"),
    ("csl-xxe", "DOCTYPE"),
    ("csl-malformed", "well-formed"),
    ("csl-not-a-style", "not a CSL style"),
])
def test_broken_project_file_is_one_line_error(project, setup, needle):
    project.write("Body.")
    if setup == "toml-is-a-directory":
        project.toml.unlink()
        project.toml.mkdir()
    elif setup == "limits-not-a-number":
        project.limits(nesting_depth='"deep"')
    elif setup == "unknown-limit":
        project.limits(nesting_dept=40)
    else:
        csl = {"csl-xxe": f'<?xml version="1.0"?><!DOCTYPE style [<!ENTITY x SYSTEM "{project.canary.as_uri()}">]>'
                          '<style xmlns="http://purl.org/net/xbiblio/csl">&x;</style>',
               "csl-malformed": "<style xmlns='http://purl.org/net/xbiblio/csl'><info>",
               "csl-not-a-style": "<html><body>not a style</body></html>"}[setup]
        (project.root / "house.csl").write_text(csl, encoding="utf-8")
        with project.toml.open("a", encoding="utf-8") as f:
            f.write('csl_style = "house.csl"\n')
    code, _, err, _ = project.run()
    assert_one_error(code, err, needle)
    assert not project.outputs_contain_token()


def test_broken_labels_file_is_one_line_error(project):
    project.write("Body.")
    labels = project.root / "styles" / "labels"  # the project's override of en.yaml
    labels.mkdir(parents=True, exist_ok=True)
    target = labels / "en.yaml"
    target.write_text("references: [unclosed\n  page: {\n", encoding="utf-8")
    code, _, err, _ = project.run()
    assert_one_error(code, err)


CLINIC_CASES = [
    # (id, key = TOML value as written in handouts.toml, text the error must contain)
    ("website-10000-chars", 'website = "https://clinic.example.org/' + "a" * 10_000 + '"', "QR code"),
    ("name-esc", 'name = "River\\u001b[2J Clinic"', "U+001B"),
    ("name-bel", 'name = "River\\u0007 Clinic"', "U+0007"),
    ("address-nul", 'address = "12 River Road\\u0000"', "U+0000"),
    ("phone-bidi-override", 'phone = "\\u202e0010 555 1+"', "U+202E"),
    ("questions-isolate", 'questions = "Call \\u2066us\\u2069 today."', "U+2066"),
    ("name-line-separator", 'name = "River\\u2028Clinic"', "U+2028"),
]


@pytest.mark.parametrize("value,needle", [c[1:] for c in CLINIC_CASES], ids=[c[0] for c in CLINIC_CASES])
def test_hostile_clinic_profile_is_one_line_error(project, value, needle):
    """A clinic profile's text is held to the front matter's rules (no control characters,
    no bidi overrides, an address a QR code can hold): one line at the key's line in
    handouts.toml, nothing built, nothing raw on the terminal."""
    key = value.split(" =")[0]
    profile = {"name": '"River Clinic"', "phone": '"+1 555 0100"'}
    profile[key] = value.split(" = ", 1)[1]
    toml = "\n[clinics.river]\n" + "".join(f"{k} = {v}\n" for k, v in profile.items())
    with project.toml.open("a", encoding="utf-8") as f:
        f.write(toml)
    project.write("Body.")
    code, _, err, _ = project.run("--clinic", "river")
    m = assert_one_error(code, err, needle)
    assert_no_raw_controls(err)
    assert "\u202e" not in err and "\u2066" not in err
    lines = project.toml.read_text(encoding="utf-8").split("\n")
    assert int(m["line"]) == next(i for i, line in enumerate(lines, 1) if line.startswith(key + " ="))
    assert not project.out.exists() or not list(project.out.rglob("*.pdf"))


# ---------------------------------------------------------------------------------------
# Nothing outside the project is read


def test_article_symlinked_outside_is_refused(project):
    outside_article = project.outside / "article.md"
    outside_article.write_text(FRONT + f"\n{project.token}\n", encoding="utf-8")
    project.article.symlink_to(outside_article)
    code, _, err, _ = project.run()
    assert_one_error(code, err, "outside the project")
    assert not project.outputs_contain_token()


def test_article_folder_symlinked_outside_is_refused(project):
    elsewhere = project.outside / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "article.md").write_text(FRONT + f"\n{project.token}\n", encoding="utf-8")
    shutil.rmtree(project.folder)
    project.folder.symlink_to(elsewhere, target_is_directory=True)
    code, _, err, _ = project.run()
    assert_one_error(code, err, "outside the project")
    assert not project.outputs_contain_token()


def test_article_given_as_outside_path_is_refused(project):
    outside_article = project.outside / "stray" / "article.md"
    outside_article.parent.mkdir()
    outside_article.write_text(FRONT + f"\n{project.token}\n", encoding="utf-8")
    code, _, err, _ = run_cli("build", "--root", str(project.root), "--out", str(project.out), "-q",
                              str(outside_article), cwd=project.root)
    assert code == 1, err
    assert "outside" in err or "no such article" in err
    assert not project.outputs_contain_token()


def test_image_hard_link_to_outside_file_is_refused(project):
    os.link(project.canary, project.folder / "images" / "linked.png")
    project.write("![x](images/linked.png)")
    code, _, err, _ = project.run()
    assert_one_error(code, err, "hard link")
    assert not project.outputs_contain_token()


def test_hard_link_is_refused_by_the_fetcher_too(tmp_path):
    from handouts.pdf.render import SafeFetcher

    root = tmp_path / "article"
    root.mkdir()
    (tmp_path / "outside.png").write_bytes(PNG)
    os.link(tmp_path / "outside.png", root / "linked.png")
    (root / "own.png").write_bytes(PNG)
    fetcher = SafeFetcher([root], article_dir=root)
    assert fetcher.fetch((root / "own.png").as_uri()).read() == PNG
    with pytest.raises(Exception, match="refused"):
        fetcher.fetch((root / "linked.png").as_uri())


def test_image_symlinked_outside_is_refused(project):
    (project.folder / "images" / "link.png").symlink_to(project.canary)
    project.write("![x](images/link.png)")
    code, _, err, _ = project.run()
    assert_one_error(code, err, "outside")
    assert not project.outputs_contain_token()


def test_stylesheet_symlinked_outside_is_refused(project):
    outside_css = project.outside / "evil.css"
    outside_css.write_text(f'body::after {{ content: "{project.token}" }}', encoding="utf-8")
    base = project.root / "styles" / "base.css"  # an override linking out of the project
    base.unlink(missing_ok=True)
    base.symlink_to(outside_css)
    project.write("Body.")
    code, _, err, _ = project.run()
    assert_one_error(code, err, "stylesheet")
    assert not project.outputs_contain_token()


def test_template_symlinked_outside_is_refused(project):
    outside = project.outside / "evil.html.j2"
    outside.write_text(f"<html><body>{project.token}</body></html>", encoding="utf-8")
    template = project.root / "styles" / "handout.html.j2"
    template.unlink(missing_ok=True)
    template.symlink_to(outside)
    project.write("Body.")
    code, _, err, _ = project.run()
    assert_one_error(code, err, "template")
    assert not project.outputs_contain_token()


def test_csl_file_symlinked_outside_is_refused(project):
    csl = project.outside / "style.csl"
    csl.write_text('<style xmlns="http://purl.org/net/xbiblio/csl"/>', encoding="utf-8")
    (project.root / "house.csl").symlink_to(csl)
    with project.toml.open("a", encoding="utf-8") as f:
        f.write('csl_style = "house.csl"\n')
    project.write("Body.")
    code, _, err, _ = project.run()
    assert_one_error(code, err, "outside")


# ---------------------------------------------------------------------------------------
# Refused before opened: the build never opens a file it is about to refuse

def run_watched(project: Project, *args: str, watched=(), timeout: float = 30):
    """`build_pdf.py build …` for `project` in a process of its own, ended with exit 97 the
    moment anything opens a path under ``project.outside`` or a file whose inode is one of
    the `watched` paths' (a hard link has the outside file's inode under an inside name;
    /dev/zero is a device): a Python audit hook on every open()."""
    inodes = [(os.stat(p).st_dev, os.stat(p).st_ino) for p in watched]
    started = time.monotonic()
    code, out, err = clirun.run(["build", "--root", str(project.root), "--out", str(project.out),
                                 "-q", *args], cwd=project.root, timeout=timeout, memory=MEMORY,
                                audit=(str(project.outside) + os.sep, inodes))
    return code, out, err, time.monotonic() - started


def _fifo(project: Project) -> Path:
    fifo = project.outside / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    return fifo


def _link_article(project: Project, target: str) -> None:
    outside = {"file": project.outside / "article.md", "fifo": _fifo(project),
               "zero": Path("/dev/zero")}[target]
    if target == "file":
        outside.write_text(FRONT + f"\n{project.token}\n", encoding="utf-8")
    project.article.unlink()
    project.article.symlink_to(outside)


def _link_folder(project: Project, target: str) -> None:
    elsewhere = project.outside / "elsewhere"
    elsewhere.mkdir()
    if target == "file":
        (elsewhere / "article.md").write_text(FRONT + f"\n{project.token}\n", encoding="utf-8")
    else:
        (elsewhere / "article.md").symlink_to(_fifo(project))
    shutil.rmtree(project.folder)
    project.folder.symlink_to(elsewhere, target_is_directory=True)


def _link_image(project: Project, target: str) -> None:
    image = project.folder / "images" / "linked.png"
    if target == "hard":
        os.link(project.canary, image)
    else:
        image.symlink_to({"file": project.canary, "fifo": _fifo(project), "zero": Path("/dev/zero")}[target])
    project.write("![A picture](images/linked.png)")


def _link_references(project: Project, target: str) -> None:
    name = "references.json"
    (project.folder / name).symlink_to({"file": project.canary, "fifo": _fifo(project),
                                        "zero": Path("/dev/zero")}[target])
    project.write("Body [@ref].")


def _link_named_references(project: Project, target: str) -> None:
    (project.folder / "my library.bib").symlink_to(
        {"file": project.canary, "fifo": _fifo(project)}[target])
    project.write("Body [@ref].", FRONT.replace("edition: 1", "edition: 1\nbibliography: my library.bib"))


def _link_logo(project: Project, target: str) -> None:
    (project.root / "logo.png").symlink_to({"file": project.canary, "fifo": _fifo(project),
                                            "zero": Path("/dev/zero")}[target])
    with project.toml.open("a", encoding="utf-8") as f:
        f.write('\n[clinics.river]\nname = "River Clinic"\nlogo = "logo.png"\n')
    project.write("Body.")


def _fifo_in_images(project: Project, target: str) -> None:
    os.mkfifo(project.folder / "images" / "pipe.png")
    project.write("![A picture](images/pipe.png)")


REFUSED_BEFORE_OPENED = [
    # (id, setup, target, extra arguments, text the one error line must contain)
    ("article-link-file", _link_article, "file", (), "outside the project"),
    ("article-link-fifo", _link_article, "fifo", (), "outside the project"),
    ("article-link-dev-zero", _link_article, "zero", (), "outside the project"),
    ("folder-link-file", _link_folder, "file", (), "outside the project"),
    ("folder-link-fifo", _link_folder, "fifo", (), "outside the project"),
    ("image-link-file", _link_image, "file", (), "outside"),
    ("image-link-fifo", _link_image, "fifo", (), "outside"),
    ("image-link-dev-zero", _link_image, "zero", (), "outside"),
    ("image-hard-link", _link_image, "hard", (), "hard link"),
    ("image-fifo-inside", _fifo_in_images, "", (), "not a regular file"),
    ("references-link-file", _link_references, "file", (), "outside"),
    ("references-link-fifo", _link_references, "fifo", (), "outside"),
    ("references-link-dev-zero", _link_references, "zero", (), "outside"),
    ("bibliography-link-fifo", _link_named_references, "fifo", (), "outside"),
    ("logo-link-file", _link_logo, "file", ("--clinic", "river"), "outside the project"),
    ("logo-link-fifo", _link_logo, "fifo", ("--clinic", "river"), "outside the project"),
    ("logo-link-dev-zero", _link_logo, "zero", ("--clinic", "river"), "outside the project"),
]


@pytest.mark.parametrize("setup,target,args,needle", [c[1:] for c in REFUSED_BEFORE_OPENED],
                         ids=[c[0] for c in REFUSED_BEFORE_OPENED])
def test_refused_file_is_never_opened(project, setup, target, args, needle):
    """Every file the build reads (article, folder, image, references, logo; the inputs
    hash and the planner included) is judged from its metadata first: a link to a file
    outside is refused unopened, and a FIFO or /dev/zero behind it cannot hang the build
    or fill memory. Watched by an audit hook on every open() of the real command line."""
    project.write("Body.")
    setup(project, target)
    watched = [project.canary, "/dev/zero"] + ([_fifo(project)] if target == "fifo" else [])
    code, _, err, seconds = run_watched(project, *args, watched=watched)
    assert code != 97, err  # the audit hook saw the file opened
    assert_one_error(code, err, needle)
    assert_no_raw_controls(err)
    assert not project.outputs_contain_token()
    assert seconds < 30


def test_watched_run_sees_an_open(project):
    """The control: the audit hook does end the build when a watched file is opened (here
    the article's own image, which the build reads)."""
    project.write("![A dot](images/ok.png)")
    code, _, err, _ = run_watched(project, watched=[project.folder / "images" / "ok.png"])
    assert code == 97 and "opened a refused file" in err, err


# ---------------------------------------------------------------------------------------
# Pixel bombs: judged from the header, before anything decodes them


def huge_png(width: int = 13_000, height: int = 13_000) -> bytes:
    """A real, valid PNG of `width` × `height` white pixels (1 bit grey: ~20 KB; Pillow
    and WeasyPrint would decode it to hundreds of megabytes)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    return huge_png()


@pytest.mark.parametrize("where", ["image-file", "data-uri", "html-img", "clinic-logo"])
def test_pixel_bomb_is_one_line_error_before_decoding(project, bomb_png, where):
    """13,000 × 13,000 pixels (169 M, over `image_pixels`) in ~20 KB: refused from the PNG
    header with one line naming the limit -- no decoding (well under the memory bound),
    no raw Pillow DecompressionBombWarning."""
    assert len(bomb_png) < 100_000
    args = ()
    if where == "clinic-logo":
        (project.root / "logo.png").write_bytes(bomb_png)
        with project.toml.open("a", encoding="utf-8") as f:
            f.write('\n[clinics.river]\nname = "River Clinic"\nlogo = "logo.png"\n')
        project.write("Body.")
        args = ("--clinic", "river")
    elif where == "data-uri":
        project.write("![A white square](data:image/png;base64," + base64.b64encode(bomb_png).decode() + ")")
    else:
        (project.folder / "images" / "big.png").write_bytes(bomb_png)
        project.write("![A white square](images/big.png)" if where == "image-file"
                      else '<img alt="A white square" src="images/big.png">')
    code, _, err, seconds = project.run(*args)
    assert "DecompressionBomb" not in err
    assert_one_error(code, err, "13,000 × 13,000", "(image_pixels)")
    assert seconds < 20


def test_a_png_header_within_the_pixel_limit_gives_pillows_answer(monkeypatch):
    """A PNG whose IHDR is within `image_pixels` passes without Pillow (a run with nothing
    to build does not import it for a clinic's logo); every answer, and every message, is
    the one Pillow's reading of the header gives."""
    import struct
    import zlib

    from handouts.guard import limits

    bounds = limits.Limits(image_pixels=200)
    at_limit, over = huge_png(20, 10), huge_png(21, 10)
    bad_crc = huge_png()[:29] + b"\0\0\0\0" + huge_png()[33:]  # 13,000²: Pillow cannot open it
    text_first = (at_limit[:8] + struct.pack(">I", 4) + b"tEXt" + b"a\0bc"
                  + struct.pack(">I", zlib.crc32(b"tEXta\0bc")) + at_limit[8:])
    cases = [at_limit, over, bad_crc, text_first, at_limit[:20], huge_png(), b"GIF89a" + at_limit[6:]]
    got = [limits.pixel_problem(data, bounds, "image 'a.png'") for data in cases]
    streams = [io.BytesIO(data) for data in cases]
    for stream in streams:
        stream.read(3)  # a caller that peeked: Pillow reads from the start all the same
    from_files = [limits.pixel_problem(stream, bounds, "image 'a.png'") for stream in streams]
    assert streams[0].tell() == 3  # the header was read, and the file left where it was
    monkeypatch.setattr(limits, "_png_within", lambda source, max_pixels: False)
    pillow = [limits.pixel_problem(data, bounds, "image 'a.png'") for data in cases]
    assert got == from_files == pillow
    assert got[0] is None and got[2] is None and "21 × 10 = 210 pixels" in got[1][0]


def test_pixel_limit_can_be_raised(project):
    """An image just over a lowered limit is refused, and builds once it is raised."""
    (project.folder / "images" / "wide.png").write_bytes(huge_png(2_000, 1_000))
    project.write("![A white band](images/wide.png)")
    project.limits(image_pixels=1_000_000)
    code, _, err, _ = project.run()
    assert_one_error(code, err, "2,000,000 pixels", "raise image_pixels")
    project.toml.write_text(project.toml.read_text().replace("image_pixels = 1000000",
                                                             "image_pixels = 2000000"))
    code, _, err, _ = project.run()
    assert code == 0, err


# ---------------------------------------------------------------------------------------
# Nothing an article supplies changes what the handout says: pixels


def blank_font(family: str) -> bytes:
    """DejaVu Sans cut down to Latin, every glyph emptied, renamed `family`: a real font
    (fontconfig takes it) in which text prints nothing."""
    from fontTools import subset
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont

    font = TTFont("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    options = subset.Options()
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=range(0x20, 0x180))
    subsetter.subset(font)
    empty = TTGlyphPen(None).glyph()
    for name in font.getGlyphOrder():
        font["glyf"][name] = empty
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = family.replace(" ", "")
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_bomb_svg() -> str:
    """An SVG that declares a blank "Noto Sans" and "DejaVu Sans" (the handout's fonts)
    and uses one: unsanitized, WeasyPrint adds these faces to the whole document's fonts."""
    font = base64.b64encode(blank_font("Noto Sans")).decode()
    faces = "".join(f"@font-face {{ font-family: '{family}'; font-weight: {weight}; "
                    f"src: url(data:font/ttf;base64,{font}); }}"
                    for family in ("Noto Sans", "DejaVu Sans") for weight in (400, 700))
    return ("<svg xmlns='http://www.w3.org/2000/svg' width='40' height='10'>"
            f"<style>{faces}</style><rect width='40' height='10' fill='#888'/>"
            "<text x='1' y='8' font-family='Noto Sans'>x</text></svg>")


def ink(pdf: Path, needle: str, page_index: int | None = None) -> int:
    """Dark pixels where `needle` is set (its text-layer boxes), on the first page that
    has it: the text layer stays intact when a font prints nothing, the pixels do not."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    pages = [page_index] if page_index is not None else range(len(doc))
    for index in pages:
        page = doc[index]
        text = page.get_textpage()
        found = text.search(needle).get_next()
        if not found:
            continue
        start, count = found
        boxes = [text.get_charbox(i) for i in range(start, start + count)]
        left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
        right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
        scale, height = 3, page.get_height()
        image = page.render(scale=scale).to_pil().convert("L")
        crop = image.crop((int(left * scale), int((height - top) * scale),
                           int(right * scale) + 1, int((height - bottom) * scale) + 1))
        return sum(1 for value in crop.tobytes() if value < 128)
    raise AssertionError(f"{needle!r} is not in the PDF's text layer")


VISIBLE = ("Test Handout", "Dr. Test Reviewer", DISCLAIMER[:30])


def test_svg_fonts_cannot_blank_the_handout_control():
    """The control: the same SVG, rendered *without* the sanitizer, blanks the text --
    so the test below would see the attack if it got through."""
    from handouts.pdf import render
    from handouts.guard import svg as svg_mod

    svg = font_bomb_svg()
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    html = (f'<html lang="en"><body><h1>{VISIBLE[0]}</h1><p>{VISIBLE[1]}</p>'
            f'<img src="{src}"><p>{VISIBLE[2]}</p></body></html>')
    original = svg_mod.clean_svg
    try:
        svg_mod.clean_svg = lambda text, limits=None: text.decode() if isinstance(text, bytes) else text
        unsafe = render.render_pdf(html, base_dir=THEME, theme=Theme.load(REPO / "styles"),
                                   stylesheets=[THEME / "base.css"])
    finally:
        svg_mod.clean_svg = original
    safe = render.render_pdf(html, base_dir=THEME, theme=Theme.load(REPO / "styles"),
                             stylesheets=[THEME / "base.css"])
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "unsafe.pdf").write_bytes(unsafe.data)
        (Path(tmp) / "safe.pdf").write_bytes(safe.data)
        blanked = [ink(Path(tmp) / "unsafe.pdf", n) for n in VISIBLE]
        assert all(count < 20 for count in blanked), f"the attack font did not blank: {blanked}"
        assert all(ink(Path(tmp) / "safe.pdf", n) > 100 for n in VISIBLE)


@pytest.mark.parametrize("form", ["data-markdown", "data-html", "file-markdown", "file-html-svg-ext-png"])
def test_credit_and_disclaimer_visible_whatever_the_article_embeds(project, form):
    svg = font_bomb_svg()
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    (project.folder / "images" / "logo.svg").write_text(svg, encoding="utf-8")
    (project.folder / "images" / "logo.png").write_text(svg, encoding="utf-8")  # SVG under .png
    alt = "A grey bar with a small cross"
    body = {"data-markdown": f"![{alt}]({data_uri})",
            "data-html": f'<img alt="{alt}" src="{data_uri}">',
            "file-markdown": f"![{alt}](images/logo.svg)",
            "file-html-svg-ext-png": f'<img alt="{alt}" src="images/logo.png">'}[form]
    project.write("Some body text.\n\n" + body + "\n\nMore text after the image.")
    project.limits(article_bytes=2_000_000, line_chars=2_000_000, paragraph_chars=2_000_000)
    code, _, err, _ = project.run()
    assert code == 0, err
    pdf = project.out / f"{SLUG}.pdf"
    for needle in VISIBLE:
        assert ink(pdf, needle) > 100, f"{needle!r} prints blank ({form})"


def test_clean_svg_strips_styles_scripts_and_references():
    from handouts.guard.svg import clean_svg

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           '<style>@font-face{font-family:x;src:url(a.ttf)}</style><script>alert(1)</script>'
           '<rect style="font-family:x" onload="x()" fill="url(http://example.org/p)" width="5"/>'
           '<image href="file:///etc/passwd"/><use xlink:href="other.svg#a"/>'
           '<foreignObject><p>html</p></foreignObject><g id="a"><use href="#a2"/></g><g id="a2"/></svg>')
    out = clean_svg(svg)
    for banned in ("style", "font-face", "script", "onload", "example.org", "image", "other.svg",
                   "foreignObject", "file:"):
        assert banned not in out, (banned, out)
    assert 'href="#a2"' in out and "<rect" in out


@pytest.mark.parametrize("svg,needle", [
    ('<svg xmlns="http://www.w3.org/2000/svg"><g id="a0"><rect/></g>'
     + "".join(f'<g id="a{i}">' + f'<use href="#a{i - 1}"/>' * 10 + "</g>" for i in range(1, 10))
     + "</svg>", "svg_elements"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#b"/></g>'
     '<g id="b"><use href="#a"/></g></svg>', "loop"),
    ('<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "DOCTYPE"),
    ('<svg xmlns="http://www.w3.org/2000/svg">' + "<g>" * 5000 + "</g>" * 5000 + "</svg>", "nests"),
    ("<html/>", "not an SVG"),
])
def test_clean_svg_refuses_what_it_cannot_make_safe(svg, needle):
    from handouts.guard.svg import UnsafeSVG, clean_svg

    started = time.monotonic()
    with pytest.raises(UnsafeSVG, match=needle):
        clean_svg(svg)
    assert time.monotonic() - started < 5


def test_svg_use_bomb_in_images_folder_is_one_line_error(project):
    bomb = ('<svg xmlns="http://www.w3.org/2000/svg"><g id="a0"><rect width="1" height="1"/></g>'
            + "".join(f'<g id="a{i}">' + f'<use href="#a{i - 1}"/>' * 10 + "</g>" for i in range(1, 10))
            + "</svg>")
    assert len(bomb) < 2100
    (project.folder / "images" / "bomb.svg").write_text(bomb, encoding="utf-8")
    project.write("![bomb](images/bomb.svg)")
    code, _, err, seconds = project.run()
    assert_one_error(code, err, "svg_elements")
    assert seconds < TIMEOUT


def test_sanitizer_keeps_only_allowed_classes_ids_and_spans():
    from handouts.guard.sanitize import sanitize

    html = sanitize('<p class="draft-stamp disclaimer citation" id="ref-1">a</p>'
                    '<table><tr><td colspan="99999999" class="page-break">x</td></tr></table>'
                    '<div class="callout callout-warning" style="position:fixed">w</div>')
    assert "draft-stamp" not in html and "disclaimer" not in html and 'id="ref-1"' not in html
    assert 'class="citation"' in html and 'colspan="100"' in html
    assert "style" not in html


def test_reviewer_name_bidi_override_is_removed(project):
    front = FRONT.replace("name: Dr. Test Reviewer", "name: Dr. Test \u202eReviewer\u202c")
    project.write("Body.", front)
    code, _, err, _ = project.run()
    assert code == 0, err
    assert "U+202E" in err and "warning" in err
    import pypdf

    text = "".join(p.extract_text() for p in pypdf.PdfReader(project.out / f"{SLUG}.pdf").pages)
    assert "\u202e" not in text and "Dr. Test Reviewer" in text


def test_long_words_urls_and_code_stay_on_the_page(project):
    word = "Pneumonoultramicroscopic" * 12
    url = "https://example.org/" + "very-long-path-segment/" * 15
    code_line = "x = '" + "a" * 300 + "'"
    project.write(f"A {word} here.\n\nSee <{url}>.\n\n```\n{code_line}\n```\n\n`{'b' * 200}`")
    code, _, err, _ = project.run()
    assert code == 0, err
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(project.out / f"{SLUG}.pdf"))
    for page in doc:
        width = page.get_width()
        text = page.get_textpage()
        for i in range(text.count_chars()):
            left, _, right, _ = text.get_charbox(i)
            if right > left:  # a drawn character
                assert 0 <= left and right <= width, f"a character runs off the page at x={right:.0f}"


def _table(columns: int, rows: int = 2) -> str:
    """A Markdown table of `columns` columns, cells numbered 1…columns (as Excel pastes)."""
    return ("| " + " | ".join(f"H{i}" for i in range(1, columns + 1)) + " |\n" + "|---" * columns
            + "|\n" + ("| " + " | ".join(str(i) for i in range(1, columns + 1)) + " |\n") * rows)


def _drawn_chars(pdf: Path):
    """(page width, [(char, left, right)]) of every drawn character, per page."""
    import pypdfium2 as pdfium

    for page in pdfium.PdfDocument(str(pdf)):
        text = page.get_textpage()
        chars = []
        for i in range(text.count_chars()):
            left, _, right, _ = text.get_charbox(i)
            if right > left:
                chars.append((text.get_text_range(i, 1), left, right))
        yield page.get_width(), chars, text.get_text_range()


def test_bare_urls_and_a_30_column_table_stay_on_the_page(project):
    """A bare address (not a link) in a paragraph, a list and a quote breaks inside the
    text column; a table of 30 columns (as pasted from a spreadsheet) is set smaller
    with every cell on the page -- nothing runs off the edge, nothing is cut."""
    url = "https://example.org/" + "very-long-path-segment/" * 8 + "?query=" + "x" * 80
    project.limits(table_columns=100)
    project.write(f"Bare: {url} end.\n\n- Listed: {url}\n\n> Quoted: {url}\n\n" + _table(30))
    code, _, err, _ = project.run()
    assert code == 0, err
    numbers = []
    for width, chars, text in _drawn_chars(project.out / f"{SLUG}.pdf"):
        for char, left, right in chars:
            assert 0 <= left and right <= width - 36, f"{char!r} runs off the page at x={right:.0f}"
        numbers += re.findall(r"(?<![\w/])(\d{1,2})(?![\w/])", text)
    assert {str(i) for i in range(1, 31)} <= set(numbers), "a column of the table is missing"


def test_table_too_wide_even_set_small_is_refused_not_cut(project):
    project.limits(table_columns=100)
    project.write("A table from a spreadsheet:\n\n" + _table(64))
    code, _, err, _ = project.run()
    assert_one_error(code, err, "64 columns", "cut off", "split it")
    assert not project.out.exists() or not list(project.out.glob("*.pdf"))


# ---------------------------------------------------------------------------------------
# Remote: a server that drips one byte a second cannot hold the build


class _Drip(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        for byte in PNG:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(1)

    def log_message(self, *args):
        pass


@pytest.fixture
def drip_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_dripping_server_is_bounded_in_total(project, drip_server):
    project.limits(remote_seconds=1)
    project.write(f"![A slow picture]({drip_server}/a.png)\n\n![Another slow picture]"
                  f"({drip_server}/b.png)\n\nText.")
    env = {"no_proxy": "*", "NO_PROXY": "*", "http_proxy": "", "HTTP_PROXY": ""}
    code, _, err, seconds = run_cli("build", "--root", str(project.root), "--out", str(project.out),
                                    "-q", "--allow-remote", cwd=project.root, env=env)
    assert code in (0, 1), err
    assert "Traceback" not in err
    assert seconds < 1 + 25, f"{seconds:.0f} s: the fetch time is not bounded in total"
    assert "remote_seconds" in err


# ---------------------------------------------------------------------------------------
# Property tests: nesting depth and sizes, in-process (the load stage is linear)

KINDS = {
    "quote": lambda d: "> " * d + "text",
    "list": lambda d: _list(d),
    "emphasis": lambda d: "*a " * d + "b" + " a*" * d,
    "div": lambda d: "<div>" * d + "x" + "</div>" * d,
    "brackets": lambda d: "[" * d + "x" + "]" * d,
    "unclosed": lambda d: "[x " * d,
    "run": lambda d: "*" * d + "x" + "*" * d,
    "quote-list": lambda d: "\n".join("> " * (d // 2) + "  " * i + "- x" for i in range(d // 2 + 1)),
}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(sorted(KINDS)), depth=st.integers(0, 400),
       repeat=st.integers(1, 40))
def test_any_nesting_is_built_or_refused_quickly(tmp_path_factory, kind, depth, repeat):
    from handouts.source.bounds import check_body_bounds
    from handouts.markdown.body import convert

    body = "\n\n".join([KINDS[kind](depth)] * repeat)
    started = time.monotonic()
    problems = check_body_bounds(Path("article.md"), body, 1)
    assert len(problems) <= 1
    if not problems:
        convert(body, {})  # no RecursionError, no hang
    assert time.monotonic() - started < 20


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(depth=st.integers(1, 3000), flow=st.booleans(), alias=st.booleans())
def test_any_front_matter_nesting_is_refused_or_parsed(depth, flow, alias):
    from handouts.source.frontmatter import parse_front_matter
    from handouts.project.config import Config
    from handouts.errors import InputError

    nested = ("[" * depth + "]" * depth) if flow else "".join("\n" + " " * i + "-" for i in range(1, depth))
    text = FRONT.strip("-\n").replace("edition: 1", f"edition: 1\nsummary: {'&a ' if alias else ''}x\n"
                                      f"keywords: {'*a' if alias else nested}")
    config = Config.defaults(Path("."))
    try:
        parse_front_matter(Path("article.md"), text, config)
    except InputError as exc:
        assert len(exc.problems) >= 1 and all(str(p).count("\n") == 0 for p in exc.problems)


@pytest.mark.parametrize("unit", ["![", "<img ", "`a ", "[x](", "![a](<"])
def test_load_stage_is_linear(unit):
    """Four times the input, about four times the time (a quadratic scan would take
    sixteen): the load stage's scans of a line of 40,000 image openers."""
    from handouts.source.bounds import check_body_bounds
    from handouts.source.images import check_images

    def cost(n: int) -> float:
        body = unit * n
        started = time.perf_counter()
        check_body_bounds(Path("a.md"), body, 1)
        check_images(Path("/nonexistent/a.md"), body, 1, False)
        return time.perf_counter() - started

    small = min(cost(5_000) for _ in range(3))
    large = min(cost(20_000) for _ in range(3))
    assert large < max(small, 0.005) * 4 * 2.5, (small, large)
