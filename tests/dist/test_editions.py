"""Editions: incremental rebuilds, the archive of old editions, the manifest, and the
review warnings — through the real batch engine on the fictional fixture project, with the
fast test builder (tests/fakebuild.py: everything real but WeasyPrint's layout; its PDFs
carry the document's text, which these tests read back)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

import fakebuild
from handouts.batch import run as batch
from handouts.checks import RULES, load_families
from handouts.dist import archive, editions
from handouts.source import dates
from handouts.project.config import load_config
from handouts.errors import InputError
from handouts.dist.manifest import read_manifest
from handouts.dist.records import ArticleRecord, PublishedSet
from pdfcheck import REPO, TESTS

SLUG = "fictional-rest-guide"


@pytest.fixture
def project(project):
    """The fixture project with a photo sharp enough for every variant (no ppi warning:
    these tests count the warnings editions gives)."""
    from PIL import Image

    Image.new("RGB", (900, 600), (180, 200, 220)).save(project / "source" / SLUG / "images" / "bedroom.png")
    # The editorial checks have their own tests; here they would add warnings of their own
    # that --strict turns into errors before the review warnings are reached.
    load_families()
    families = sorted({name.split("/")[0] for name in RULES})
    toml = project / "handouts.toml"
    toml.write_text(toml.read_text() + "\n[checks]\ndisable = [%s]\n" % ", ".join(f'"{f}"' for f in families))
    return project


def build(root: Path, *variants: str, strict: bool = False, force: bool = False,
          clinics=(None,)):
    config = load_config(root)
    options = batch.BatchOptions(variants=variants or ("handout",), strict=strict, force=force,
                                 clinics=clinics, jobs=1, site=False)
    return batch.run(config, [], options, builder=fakebuild.build)


def problems(report) -> list[str]:
    return [str(p) for f in report.failed for p in f.problems]


def warnings(report) -> list[str]:
    return [str(w) for w in report.warnings]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".handouts.lock"}


def edit(root: Path, old: str, new: str) -> None:
    path = root / "source" / SLUG / "article.md"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)
    return text.replace("\xa0", " ")


def test_a_second_build_is_unchanged_byte_for_byte_and_the_manifest_describes_it(project):
    first = build(project, "handout", "press")
    assert not problems(first) and len(first.built) == 2
    dist = project / "dist"
    before = snapshot(dist)
    second = build(project, "handout", "press")
    assert not problems(second)
    assert second.built == [] and len(second.unchanged) == 2
    assert snapshot(dist) == before

    manifest = json.loads((dist / "manifest.json").read_text())
    assert (manifest["format"], manifest["version"]) == ("handouts-manifest", 1)
    assert manifest["generator"].startswith("handouts ")
    article = manifest["articles"][SLUG]
    assert article["edition"] == 2 and article["reviewed"] == "2024-03-01"
    assert article["next_review_due"] == "2027-03-01"  # + 36 months
    assert article["reviewers"] == [{"name": "Dr. Test Reviewer", "credential": "MD",
                                     "specialty": "Imaginary Medicine", "reviewed": "2024-03-01",
                                     "content": None, "covers": True}]
    # the entry has no 'content:': it is bound to the text first published, and recorded
    assert re.fullmatch(r"[0-9a-f]{64}", article["content_fingerprint"])
    assert article["content"] == article["content_fingerprint"][:12]
    assert article["signoffs"] == [{"name": "Dr. Test Reviewer", "reviewed": "2024-03-01",
                                    "content": article["content_fingerprint"], "legacy": True}]
    assert article["disclaimer"].startswith("Example Health Press is a fictional publisher")
    assert article["source"] == f"source/{SLUG}/article.md"
    assert (dist / article["source"]).read_bytes() == (project / "source" / SLUG / "article.md").read_bytes()
    assert (dist / "source" / SLUG / "images" / "bedroom.png").is_file()
    refs = article["references"]
    assert [r["number"] for r in refs] == list(range(1, len(refs) + 1))
    assert "<i>" in refs[0]["html"] and "<" not in refs[0]["text"]
    by_path = {o["path"]: o for o in manifest["outputs"]}
    handout = by_path[f"{SLUG}.pdf"]
    data = (dist / handout["path"]).read_bytes()
    assert handout["sha256"] == hashlib.sha256(data).hexdigest() and handout["bytes"] == len(data)
    assert handout["pages"] == len(PdfReader(io.BytesIO(data)).pages)
    assert (handout["slug"], handout["variant"], handout["paper"], handout["clinic"]) == (SLUG, "handout", "a4", None)
    assert handout["next_review_due"] == "2027-03-01" and handout["edition"] == 2
    assert handout["content"] == article["content"]
    assert re.fullmatch(r"[0-9a-f]{64}", handout["inputs_sha256"])
    assert by_path[f"{SLUG}-press.pdf"]["inputs_sha256"] != handout["inputs_sha256"]
    # the handout says when the next review is due
    assert re.search(r"Next review due\s+March 1, 2027", pdf_text(dist / f"{SLUG}.pdf"))


def test_an_input_change_rebuilds_only_what_depends_on_it(project):
    build(project, "handout")
    (project / "styles" / "base.css").write_text(  # an override of the built-in sheet
        (REPO / "handouts" / "theme" / "base.css").read_text() + "\n/* x */\n")
    assert len(build(project, "handout").built) == 1
    (project / "source" / SLUG / "notes-to-self.txt").write_text("not used by the article")
    assert build(project, "handout").built == []  # a file the article does not use
    image = project / "source" / SLUG / "images" / "bedroom.png"
    photo = image.read_bytes()
    image.write_bytes(photo + b"\0")  # an image it uses: content, so the review no longer covers it
    refused = build(project, "handout")
    assert refused.built == [] and any("images changed since Dr. Test Reviewer's review of 2024-03-01"
                                       in p for p in problems(refused))
    image.write_bytes(photo)
    toml = project / "handouts.toml"
    toml.write_text("review_interval_months = 24\n" + toml.read_text())
    report = build(project, "handout")
    assert len(report.built) == 1
    assert read_manifest(project / "dist").articles[SLUG].next_review_due == "2026-03-01"


def test_a_new_edition_archives_the_old_pdfs_and_sources_and_updates_the_manifest(project):
    assert not problems(build(project, "handout", "press"))
    assert not problems(build(project, "handout", clinics=("riverside",)))
    clinic_copy = f"clinics/riverside/{SLUG}.pdf"
    dist = project / "dist"
    old = snapshot(dist)
    old_source = (project / "source" / SLUG / "article.md").read_text()
    edit(project, "edition: 2", "edition: 3")
    edit(project, "reviewed: 2024-03-01", "reviewed: 2026-01-10")  # re-reviewed
    edit(project, "Rest matters after any illness", "Rest matters a lot after any illness")
    report = build(project, "handout")
    assert not problems(report) and not [w for w in warnings(report) if "review" in w]
    assert len(report.built) == 3  # the whole set: handout, press and the clinic's copy

    archived = dist / "archive" / SLUG / "edition-2"
    assert (archived / f"{SLUG}.pdf").read_bytes() == old[f"{SLUG}.pdf"]
    assert (archived / f"{SLUG}-press.pdf").read_bytes() == old[f"{SLUG}-press.pdf"]
    assert (archived / clinic_copy).read_bytes() == old[clinic_copy]
    assert "Riverside Example Clinic" in pdf_text(archived / clinic_copy)
    assert (archived / "source" / "article.md").read_text() == old_source
    assert (archived / "source" / "images" / "bedroom.png").is_file()
    assert (archived / "source" / "references.json").is_file()
    assert archive.archived_editions(load_config(project), SLUG) == [2]
    assert archive.archived_source(load_config(project), SLUG, 2) == archived / "source" / "article.md"
    assert archive.archived_entry(load_config(project), SLUG, 2).article.reviewed == "2024-03-01"
    with pytest.raises(InputError, match="edition 1 of 'fictional-rest-guide' is not in the archive"):
        archive.archived_source(load_config(project), SLUG, 1)

    # dist/ holds the new edition's whole set: every file the old one had, rebuilt
    for name in (f"{SLUG}.pdf", f"{SLUG}-press.pdf", clinic_copy):
        text = pdf_text(dist / name)
        assert "Edition 3" in text and "a lot after" in text, name
    assert "a lot after" in (dist / "source" / SLUG / "article.md").read_text()
    manifest = json.loads((dist / "manifest.json").read_text())
    assert manifest["articles"][SLUG]["edition"] == 3
    assert manifest["articles"][SLUG]["next_review_due"] == "2029-01-10"
    assert [(o["path"], o["edition"]) for o in manifest["outputs"]] == [
        (clinic_copy, 3), (f"{SLUG}-press.pdf", 3), (f"{SLUG}.pdf", 3)]
    entry, = manifest["archive"][SLUG]
    assert entry["edition"] == 2 and entry["path"] == f"archive/{SLUG}/edition-2"
    assert {f"{SLUG}.pdf", f"{SLUG}-press.pdf", clinic_copy, "source/article.md",
            "source/images/bedroom.png", "edition.json"} <= set(entry["files"])

    # an older edition number than the archive holds is an error, and nothing moves
    before = snapshot(dist)
    edit(project, "edition: 3", "edition: 2")
    report = build(project, "handout")
    assert any("edition 2 is older than edition 3 already published" in p for p in problems(report))
    assert snapshot(dist) == before


def test_text_changed_after_the_review_is_refused_until_reviewed_as_a_new_edition(project):
    assert not problems(build(project, "handout", "booklet"))
    dist = project / "dist"
    before = snapshot(dist)
    edit(project, "Rest matters after any illness", "Rest matters after every illness")
    for strict in (False, True):
        report = build(project, "handout", strict=strict)
        message, = problems(report)  # one line for the article, though two files were due
        assert message.startswith(f"{project / 'source' / SLUG / 'article.md'}:14: error: body changed "
                                  "since Dr. Test Reviewer's review of 2024-03-01")
        assert "nothing was published" in message and "--allow-unreviewed" in message
        assert snapshot(dist) == before
    edit(project, "updated: 2024-03-02", "updated: 2024-03-05")  # still not re-reviewed
    assert snapshot(dist) == before and problems(build(project, "handout"))
    edit(project, "reviewed: 2024-03-01", "reviewed: 2026-02-01")  # re-reviewed, same edition
    message, = problems(build(project, "handout"))
    assert ":16: error: newly reviewed content" in message and "set 'edition: 3'" in message
    assert snapshot(dist) == before
    edit(project, "edition: 2", "edition: 3")
    report = build(project, "handout")
    assert not problems(report) and len(report.built) == 2  # the booklet too: the whole set
    assert "every illness" in pdf_text(dist / f"{SLUG}-booklet.pdf")


def test_an_overdue_review_is_a_warning_and_an_error_under_strict(project):
    edit(project, "reviewed: 2024-03-01", "reviewed: 2020-01-15")
    report = build(project, "handout")
    assert any("review overdue: the medical review of 2020-01-15 was due for renewal on 2023-01-15"
               in w for w in warnings(report))
    report = build(project, "handout", strict=True, force=True)
    assert any("review overdue" in p and "error:" in p for p in problems(report))


def test_review_warnings_use_the_day_they_are_given(project):
    config = load_config(project)
    entry = ArticleRecord(1, reviewed="2024-03-01", next_review_due="2027-03-01", content_sha256="a")
    assert editions.review_warnings(config, SLUG, entry, today=dt.date(2027, 3, 1)) == []
    late = editions.review_warnings(config, SLUG, entry, today=dt.date(2027, 3, 2))
    assert len(late) == 1 and late[0].severity == "warning"


def test_next_review_due_adds_calendar_months():
    assert dates.add_months(dt.date(2022, 7, 26), 36) == dt.date(2025, 7, 26)
    assert dates.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert dates.add_months(dt.date(2023, 11, 30), 3) == dt.date(2024, 2, 29)


def test_a_failed_set_leaves_the_previous_set_and_manifest_byte_identical(project):
    assert not problems(build(project, "handout", "booklet", "press"))
    dist = project / "dist"
    press = dist / f"{SLUG}-press.pdf"
    press.unlink()
    press.mkdir()  # the press file cannot be replaced: the set must not be half-published
    (press / "in-the-way").write_text("x")
    before = snapshot(dist)
    edit(project, "updated: 2024-03-02", "updated: 2024-03-05")  # every file is rebuilt
    report = build(project, "handout", "booklet", "press")
    assert report.failed and "cannot write" in problems(report)[0] and snapshot(dist) == before
    assert not list(dist.rglob("*.tmp"))


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_next_build_removes_what_a_killed_build_left(project):
    build(project, "handout")
    dist = project / "dist"
    stale = dist / f".{SLUG}.pdf.{_dead_pid()}.0badc0de.tmp"
    stale.write_bytes(b"%PDF-1.7 half")
    build(project, "handout")
    assert not stale.exists()


def test_an_article_whose_name_another_articles_variant_uses_is_refused(project):
    shutil.copytree(project / "source" / SLUG, project / "source" / f"{SLUG}-press")
    copy = project / "source" / f"{SLUG}-press" / "article.md"
    copy.write_text(copy.read_text().replace("title: Resting Well After", "title: Sleeping In After"))
    report = build(project, "handout", "press")
    message, = problems(report)
    assert f"'{SLUG}-press'" in message and f"{SLUG}-press.pdf" in message and "rename" in message
    manifest = read_manifest(project / "dist")
    assert {o.slug for o in manifest.outputs} == {SLUG}  # only the other one was built
    text = pdf_text(project / "dist" / f"{SLUG}-press.pdf")
    assert "Resting Well" in text and "Sleeping In" not in text


def test_the_sample_builds_twice_to_the_same_bytes_and_is_unchanged_the_second_time(tmp_path):
    from pdfcheck import REPO

    root = tmp_path / "sample"
    for name in ("source", "styles"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "handouts.toml", root / "handouts.toml")
    first = build(root, "handout", "booklet")
    assert not problems(first) and len(first.built) == 2
    before = snapshot(root / "dist")
    second = build(root, "handout", "booklet")
    assert second.built == [] and len(second.unchanged) == 2
    assert snapshot(root / "dist") == before


def test_the_inputs_hash_follows_the_clinic_profile_the_folder_does_not_matter(project, tmp_path, monkeypatch):
    from handouts.batch import fingerprint as inputs
    from handouts.batch.jobs import Job

    def digests(root: Path) -> dict:
        inputs.clear_cache()
        config = load_config(root)
        article = root / "source" / SLUG / "article.md"
        return {(variant, clinic): inputs.inputs_sha256(config, Job(article, SLUG, variant, "a4", clinic))
                for variant in ("handout", "press") for clinic in (None, "riverside", "hillside")}

    toml = project / "handouts.toml"
    toml.write_text(toml.read_text().replace(
        "[clinics.riverside]", '[clinics.hillside]\nname = "Hillside Example Clinic"\n'
        'phone = "+1 555 0199"\n\n[clinics.riverside]'))
    elsewhere = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(project, elsewhere)
    before = digests(project)
    assert len(set(before.values())) == 6 and digests(elsewhere) == before
    toml.write_text(toml.read_text().replace("+1 555 0100", "+1 555 0101"))  # riverside's phone
    after = digests(project)
    assert {k for k in before if before[k] != after[k]} == {("handout", "riverside"), ("press", "riverside")}
    # SOURCE_DATE_EPOCH is an input of undated drafts only
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert digests(project) == after
    article = project / "source" / SLUG / "article.md"
    article.write_text(article.read_text().replace("updated: 2024-03-02\n", "draft: true\n"))
    undated = digests(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert set(digests(project).values()).isdisjoint(undated.values())


def test_a_tampered_manifest_cannot_make_the_build_delete_files_outside_dist(project):
    from handouts.dist.manifest import write_manifest

    victim = project / "victim.txt"
    victim.write_text("precious")
    dist = project / "dist"
    dist.mkdir()
    (dist / "manifest.json").write_text(json.dumps({
        "format": "handouts-manifest", "version": 1,
        "articles": {SLUG: {"edition": 1, "source_files": ["../../../victim.txt", "article.md"]}},
        "outputs": [{"path": "../victim.txt", "slug": SLUG, "edition": 1, "variant": "handout"},
                    {"path": "/etc/hostname", "slug": SLUG, "edition": 1, "variant": "press"}]}))
    config = load_config(project)
    manifest = read_manifest(dist)
    assert manifest.outputs == () and manifest.articles[SLUG].source_files == ("article.md",)
    record, _ = archive.publish_article(config, SLUG, 2, [(dist / f"{SLUG}.pdf", b"%PDF-1.7 new")],
                                        manifest, article=project / "source" / SLUG / "article.md",
                                        entry=ArticleRecord(2, reviewed="2024-03-01"))
    write_manifest(dist, manifest.with_set(PublishedSet(SLUG, record, ())))
    assert victim.read_text() == "precious"
    assert (dist / "archive" / SLUG / "edition-1" / "edition.json").is_file()


FULL_DISK_BUILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write(2) fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (120_000, 120_000))
sys.path.insert(0, sys.argv.pop(1))
import fakebuild
from handouts.cli import main
sys.exit(main(sys.argv[1:], builder=fakebuild.build))
"""


def test_a_disk_that_fills_up_on_the_press_file_leaves_the_previous_set_byte_identical(project):
    """Issue 8's case through the command line: `--variant all`, and the disk fills up
    when the (largest) press file is written. Simulated with the kernel's file-size limit
    (RLIMIT_FSIZE, 120 KB) in the child process: the press temporary (over 120 KB with its
    CMYK profile) fails in write(2) with EFBIG, after the handout and booklet temporaries
    were written."""
    assert not problems(build(project, "handout", "booklet", "press", "large-print"))
    dist = project / "dist"
    assert (dist / f"{SLUG}-press.pdf").stat().st_size > 120_000 > (dist / f"{SLUG}.pdf").stat().st_size
    edit(project, "updated: 2024-03-02", "updated: 2024-03-05")  # every file changes, not the content
    before = snapshot(dist)

    def full_disk_build():
        return subprocess.run([sys.executable, "-c", FULL_DISK_BUILD, str(TESTS), "--root",
                               str(project), "--variant", "all", "--jobs", "1"],
                              capture_output=True, text=True, timeout=600, cwd=REPO)

    run = full_disk_build()
    assert run.returncode == 1, run.stderr
    assert f"{SLUG}-press.pdf: error: cannot write: File too large" in run.stderr
    assert snapshot(dist) == before and not list(dist.rglob("*.tmp"))
    # a new edition: now the archive copy of the old press file is what does not fit
    edit(project, "reviewed: 2024-03-01", "reviewed: 2026-01-10")
    edit(project, "Rest matters after any illness", "Rest matters a lot after any illness")
    edit(project, "edition: 2", "edition: 3")
    run = full_disk_build()
    assert run.returncode == 1 and "cannot archive edition 2: File too large" in run.stderr
    after = snapshot(dist)
    assert sorted(set(after) ^ set(before)) == [] and after == before
    assert not (dist / "archive").exists()  # no half archive
    # once there is room again, the new edition goes out whole and the old one is archived
    report = build(project, "handout", "booklet", "press", "large-print")
    assert not problems(report)
    assert (dist / "archive" / SLUG / "edition-2" / f"{SLUG}-press.pdf").read_bytes() == before[f"{SLUG}-press.pdf"]
    assert "Edition 3" in pdf_text(dist / f"{SLUG}-press.pdf")
