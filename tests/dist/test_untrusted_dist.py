"""Everything already in dist/ is untrusted: the manifest is a cache, folder names are
text from anyone, links may lead out, and the download site must stay inert.

Builds of the fictional fixture project through the batch engine with the fast test
builder (tests/fakebuild.py: everything real but WeasyPrint's layout); one build is shared
(copied per test) where a test only needs a published edition to start from.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fakebuild
from conftest import copy_project
from handouts.batch import run as batch
from handouts.project.config import load_config
from handouts.dist.manifest import read_manifest
from handouts.dist.site import site_files
from pdfcheck import FICTIONAL as SLUG


def build(root: Path, *, site: bool = True):
    options = batch.BatchOptions(jobs=1, site=site)
    return batch.run(load_config(root), [], options, builder=fakebuild.build)


def problems(report) -> list[str]:
    return [str(p) for f in report.failed for p in f.problems]


def set_edition(root: Path, n: int) -> None:
    path = root / "source" / SLUG / "article.md"
    path.write_text(re.sub(r"(?m)^edition: .*$", f"edition: {n}", path.read_text()))


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """The fixture project built once (edition 1 published, with its site)."""
    root = copy_project(tmp_path_factory.mktemp("published"))
    set_edition(root, 1)
    report = build(root)
    assert not report.failed, problems(report)
    return root


@pytest.fixture
def project(published: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(published, root, symlinks=True)
    return root


def pdf(root: Path) -> bytes:
    return (root / "dist" / f"{SLUG}.pdf").read_bytes()


# ---------------------------------------------------------------------------------------
# The manifest: damaged, hostile, oversized


@pytest.mark.parametrize("damage", ["{", "", "[]", '{"format": "handouts-manifest", "version": 1, '
                                    '"articles": {"%s": {"edition": "one"}}}' % SLUG,
                                    "deleted", "unreadable", "oversized", "symlink"])
def test_a_damaged_manifest_is_recovered_from_the_files_in_dist(project: Path, tmp_path, damage):
    """Whatever happened to manifest.json, the published edition is read back from
    dist/source/<slug>/article.md and the PDFs from their names."""
    manifest = project / "dist" / "manifest.json"
    kwargs = {}
    if damage == "deleted":
        manifest.unlink()
    elif damage == "unreadable":
        manifest.chmod(0)
        if os.access(manifest, os.R_OK):
            pytest.skip("running as root: permissions do not bind")
    elif damage == "oversized":
        from handouts.guard.limits import Limits

        kwargs["limits"] = Limits(manifest_bytes=100)
    elif damage == "symlink":
        (tmp_path / "elsewhere.json").write_text(manifest.read_text())
        manifest.unlink()
        manifest.symlink_to(tmp_path / "elsewhere.json")
    else:
        manifest.write_text(damage)
    warnings: list = []
    data = read_manifest(project / "dist", warnings=warnings, **kwargs)
    assert data.articles[SLUG].edition == 1
    assert data.articles[SLUG].title == "Resting Well After a Fictional Illness"
    [output] = data.outputs
    assert output.path == f"{SLUG}.pdf" and output.edition == 1 and output.variant == "handout"
    assert output.inputs_sha256 is None  # never "unchanged": rebuilt next time
    if damage not in ("deleted",):
        [line] = [str(w) for w in warnings]
        assert line.startswith(str(manifest)) and "rebuilt from the files" in line, line
        if damage == "oversized":
            assert "over the limit of 100 (manifest_bytes)" in line


@pytest.mark.parametrize("damage", ["{", "deleted"])
def test_a_new_edition_after_the_manifest_was_lost_archives_the_old_one(project: Path, damage):
    first = pdf(project)
    manifest = project / "dist" / "manifest.json"
    manifest.unlink() if damage == "deleted" else manifest.write_text(damage)
    set_edition(project, 2)
    report = build(project, site=False)
    assert not report.failed, problems(report)
    archived = project / "dist" / "archive" / SLUG / "edition-1"
    assert (archived / f"{SLUG}.pdf").read_bytes() == first
    assert (archived / "source" / "article.md").read_text().count("edition: 1") == 1
    assert json.loads(manifest.read_text())["articles"][SLUG]["edition"] == 2
    assert pdf(project) != first


def test_manifest_entries_never_reach_the_archive_or_outside(project: Path, tmp_path: Path):
    """Records whose paths are not their article's outputs are dropped on reading, so a
    new edition cannot move or delete an archived PDF or a file outside dist/."""
    set_edition(project, 2)
    assert not build(project, site=False).failed  # archives edition 1
    archived_pdf = project / "dist" / "archive" / SLUG / "edition-1" / f"{SLUG}.pdf"
    kept = archived_pdf.read_bytes()
    victim = tmp_path / "victim.pdf"
    victim.write_bytes(b"%PDF- not ours")
    manifest_file = project / "dist" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    good = manifest["outputs"][0]
    for path in (f"archive/{SLUG}/edition-1/{SLUG}.pdf", f"source/{SLUG}/article.md",
                 f"../{victim.parent.name}/victim.pdf", str(victim), f"clinics/../{SLUG}-booklet.pdf",
                 f"review/{SLUG}-edition-1.pdf", f"other-article.pdf", f"{SLUG}.pdf/../../x.pdf"):
        manifest["outputs"].append({**good, "path": path})
    manifest["articles"]["javascript:alert(1)"] = manifest["articles"][SLUG]
    manifest_file.write_text(json.dumps(manifest))
    read = read_manifest(project / "dist")
    assert [o.path for o in read.outputs] == [f"{SLUG}.pdf"]
    assert list(read.articles) == [SLUG]

    set_edition(project, 3)
    report = build(project, site=False)
    assert not report.failed, problems(report)
    assert archived_pdf.read_bytes() == kept
    assert victim.read_bytes() == b"%PDF- not ours"
    assert (project / "dist" / "archive" / SLUG / "edition-2" / f"{SLUG}.pdf").is_file()


def test_a_published_pdf_replaced_by_same_size_garbage_is_rebuilt(project: Path):
    good = pdf(project)
    target = project / "dist" / f"{SLUG}.pdf"
    target.write_bytes(b"\0" * len(good))
    report = build(project, site=False)
    assert [r.job.slug for r in report.built] == [SLUG] and not report.unchanged
    assert pdf(project)[:5] == b"%PDF-"
    again = build(project, site=False)
    assert not again.built and len(again.unchanged) == 1  # intact now: not rebuilt


def test_temporaries_of_a_killed_build_are_removed_whatever_their_pid(project: Path):
    """A pid still in use (reused, or a killed child not yet reaped) does not keep a
    temporary: the next build holds the output lock, so no other build is writing."""
    dist = project / "dist"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        orphans = [dist / f".{SLUG}.pdf.{child.pid}.0123abcd.tmp",
                   dist / "source" / SLUG / f".article.md.{os.getppid()}.89abcdef.tmp"]
        for orphan in orphans:
            orphan.write_bytes(b"%PDF- half written")
        report = build(project, site=False)
        assert len(report.unchanged) == 1
        assert [p for p in orphans if p.exists()] == []
    finally:
        child.kill()
        child.wait()


# ---------------------------------------------------------------------------------------
# The download site from a hostile manifest


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.scripts, self.handlers = [], [], []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "content") and value is not None and name != "content":
                self.urls.append(value)
            if name.startswith("on"):
                self.handlers.append((tag, name))
        if tag == "script":
            self.scripts.append(dict(attrs).get("type") or dict(attrs).get("src"))
        if tag in ("iframe", "object", "embed", "img") and tag != "img":
            self.handlers.append((tag, "element"))


def test_the_site_built_from_a_hostile_manifest_is_inert(project: Path):
    manifest_file = project / "dist" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    article = manifest["articles"][SLUG]
    article["references"] = [
        {"number": 1, "html": '<img src=x onerror="alert(1)"><script>alert(2)</script>Doe J. '
                              '<a href="javascript:alert(3)">x</a> <i>Fictional</i> '
                              '<a href="https://doi.org/10.0000/fictional" onclick="alert(4)">doi</a>',
         "text": "Doe J."},
        {"number": 2, "html": "<iframe src=//evil.example></iframe><svg onload=alert(5)>", "text": ""}]
    article["lang"] = 'en" onmouseover="alert(6)'
    article["updated"] = "not a date"
    article["title"] = {"not": "text"}
    article["keywords"] = ["sleep", {"x": 1}, "rest"]
    manifest["articles"]["javascript:alert(document.domain)"] = dict(article)
    manifest["articles"]["../../evil"] = dict(article)
    manifest["outputs"].append({**manifest["outputs"][0], "slug": "javascript:alert(7)",
                                "path": "javascript:alert(7).pdf"})
    manifest["archive"] = {SLUG: [{"edition": 1, "path": "javascript:alert(8)", "files": ["x.pdf"]}]}
    manifest_file.write_text(json.dumps(manifest))
    (project / "dist" / "elsewhere.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    web = {"format": "handouts-web", "version": 1, "content_fingerprint": article["content_fingerprint"],
           "html": '<p onclick="alert(9)">Body <script>alert(10)</script><a href="javascript:alert(11)">x</a>'
                   '<a href="../../etc/passwd">y</a></p><img src="../elsewhere.png" alt="Outside">'
                   '<img src="https://evil.example/t.png" alt="Remote &quot;&gt;"><img src="/etc/passwd" alt="">'
                   '<style>body{display:none}</style><iframe src="https://evil.example"></iframe>'}
    (project / "dist" / SLUG / "web.json").write_text(json.dumps(web))

    config = load_config(project)
    files = site_files(config.output_dir, config.theme, read_manifest(config.output_dir), config.paper)
    pages = {p.relative_to(config.output_dir).as_posix(): data for p, data in files}
    assert set(pages) >= {"index.html", f"{SLUG}/index.html"}
    assert not any("javascript" in name or ".." in name for name in pages)
    for name, data in pages.items():
        if not name.endswith(".html"):
            continue
        parser = _Links()
        parser.feed(data.decode())
        assert parser.handlers == [], (name, parser.handlers)
        assert set(parser.scripts) <= {"application/ld+json", "search.js"}, name
        for url in parser.urls:
            scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", url)
            assert scheme is None or scheme.group(1) == "https", (name, url)
    page = pages[f"{SLUG}/index.html"].decode()
    assert "<i>Fictional</i>" in page and 'href="https://doi.org/10.0000/fictional"' in page
    assert "alert" not in page.replace("\\u003c", "")
    # The web version is the body again through the sanitizer; images only from the
    # article's published sources, others shown as their alt text.
    assert "<p>Body <a>x</a><a>y</a></p>" in page
    assert '<span class="image-omitted">Outside</span>' in page
    assert '<span class="image-omitted">Remote &quot;&gt;</span>' in page
    assert "elsewhere.png" not in page and "evil.example" not in page and "display:none" not in page


# ---------------------------------------------------------------------------------------
# Folder names (slugs)


BAD_NAMES = ["javascript:alert(document.domain)", "Flu Guide", "flu?x=1#y", "-flu", "flu.",
             "x" * 101, "caf\udce9", "\u0644\u202eevil", "flu%2fguide"]


def test_folder_names_outside_the_slug_grammar_are_refused_with_one_line(project: Path, fast_cli):
    cli = fast_cli
    for name in BAD_NAMES:
        shutil.copytree(project / "source" / SLUG, project / "source" / name)
    code, out, err = cli("--root", project, "--jobs", "1")
    assert code == 1
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(lines) == len(BAD_NAMES), err
    for line in lines:
        assert "cannot be an article's slug" in line and "rename the folder" in line
        assert "Traceback" not in err
        line.encode("utf-8")  # printable: no lone surrogate
    assert "caf\\xe9" in err
    # The good article is published, with its manifest and site.
    manifest = read_manifest(project / "dist")
    assert list(manifest.articles) == [SLUG]
    index = (project / "dist" / "index.html").read_text()
    assert "javascript" not in index and f'href="{SLUG}/index.html"' in index

    code, out, err = cli("--root", project, "check", "--format", "json")
    report = json.loads(out.encode("utf-8"))  # valid UTF-8 JSON
    refused = [a for a in report["articles"] if not a["loaded"]]
    assert len(refused) == len(BAD_NAMES)
    assert any("caf\\xe9" in a["path"] for a in refused)


def test_an_edition_number_too_long_for_a_file_name_is_one_line(project: Path, cli):
    set_edition(project, int("9" * 301))
    code, out, err = cli("--root", project, "review", SLUG)
    assert code == 1, err
    [line] = err.strip().splitlines()
    assert "'edition' must be a whole number from 1 to 9999, got a number of 301 digits" in line


# ---------------------------------------------------------------------------------------
# Links inside dist/ leading out


def test_an_archive_linked_outside_dist_is_refused(project: Path, tmp_path: Path, fast_cli):
    cli = fast_cli
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "dist" / "archive").symlink_to(outside, target_is_directory=True)
    first = pdf(project)
    set_edition(project, 2)
    report = build(project, site=False)
    [line] = problems(report)
    assert "leads outside the output folder" in line and "archive" in line
    assert list(outside.iterdir()) == []
    assert pdf(project) == first  # edition 1 stays published

    # The reviewer's packet does not read an article.md from outside either.
    (outside / SLUG / "edition-1" / "source").mkdir(parents=True)
    (outside / SLUG / "edition-1" / "source" / "article.md").write_text("---\ntitle: OUTSIDE\n---\nOUTSIDE")
    code, out, err = cli("--root", project, "review", SLUG)
    assert code == 1 and "leads outside the output folder" in err
    assert not (project / "dist" / "review").exists()


@pytest.mark.parametrize("folder", ["clinics", "source"])
def test_folders_of_dist_linked_outside_are_not_written(project: Path, tmp_path: Path, folder):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(project / "dist" / folder, ignore_errors=True)
    (project / "dist" / folder).symlink_to(outside, target_is_directory=True)
    article = project / "source" / SLUG / "article.md"  # every file changes, not the content
    article.write_text(article.read_text().replace("updated: 2024-03-02", "updated: 2024-03-05"))
    config = load_config(project)
    clinics = (next(iter(config.clinics)),) if folder == "clinics" else (None,)
    report = batch.run(config, [], batch.BatchOptions(jobs=1, site=False, clinics=clinics),
                       builder=fakebuild.build)
    [line] = problems(report)
    assert "leads outside the output folder" in line
    assert list(outside.iterdir()) == []


# ---------------------------------------------------------------------------------------
# dist/source/<slug>/: only what the handout uses, cleaned


def test_the_published_sources_are_what_the_handout_uses_and_cleaned(project: Path):
    folder = project / "source" / SLUG
    (folder / "images" / "chart.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" onload="alert(1)">'
        '<script>alert(2)</script><rect width="40" height="20" fill="#36c"/></svg>')
    (folder / "notes.html").write_text("<script>alert(3)</script>private notes")
    (folder / "page.xhtml").write_text("<html xmlns='http://www.w3.org/1999/xhtml'><script>alert(4)</script></html>")
    (folder / "draft-notes.txt").write_text("not for readers")
    article = folder / "article.md"
    article.write_text(article.read_text().replace("reviewed: 2024-03-01", "reviewed: 2026-01-10")
                       + "\n![A fictional chart](images/chart.svg)\n\n"
                       "See notes.html, page.xhtml and draft-notes.txt (editors only).\n")
    set_edition(project, 2)  # new content, reviewed again: a new edition
    report = build(project, site=False)
    assert not report.failed, problems(report)
    published = project / "dist" / "source" / SLUG
    names = sorted(p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file())
    assert names == ["article.md", "images/bedroom.png", "images/chart.svg", "references.json"]
    svg = (published / "images" / "chart.svg").read_text()
    assert "<rect" in svg and "script" not in svg and "onload" not in svg and "alert" not in svg
    entry = read_manifest(project / "dist").articles[SLUG]
    assert list(entry.source_files) == names
