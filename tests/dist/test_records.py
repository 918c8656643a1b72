"""The manifest's typed records: what a manifest.json (or an archived edition.json) written
by this or an earlier version reads as, and what a hostile one cannot make them hold.

No build here: the files are written as the build writes them (format v1), so each test
reads in milliseconds; the build's own manifest is read back in tests/dist/test_site.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from handouts.dist.archive import read_edition
from handouts.dist.manifest import dumps, read_manifest, valid_manifest
from handouts.dist.records import OutputRecord

SLUG = "fictional-flu"


def output(path: str, variant: str, **extra) -> dict:
    """An output record as a version without kinds wrote it."""
    return {"path": path, "slug": SLUG, "title": "Fictional Flu", "lang": "en", "edition": 1,
            "content": "0123456789ab", "updated": None, "reviewed": "2024-03-01",
            "next_review_due": "2027-03-01", "variant": variant, "paper": "a4", "clinic": None,
            "pages": 2, "bytes": 1000, "sha256": "ab" * 32, "inputs_sha256": "cd" * 32,
            "warnings": [], **extra}


def written_before_kinds(dist: Path, outputs: list[dict]) -> Path:
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "manifest.json").write_text(json.dumps({
        "format": "handouts-manifest", "version": 1, "generator": "handouts 0.1.0",
        "articles": {SLUG: {"title": "Fictional Flu", "lang": "en", "edition": 1,
                            "reviewers": [{"name": "Dr. A. Fictional", "credential": "MD",
                                           "specialty": "Imaginary Medicine",
                                           "reviewed": "2024-03-01", "covers": True}]}},
        "outputs": outputs, "archive": {}}, indent=1))
    return dist


def test_a_manifest_written_before_kinds_reads_each_output_kind_from_its_name(tmp_path):
    dist = written_before_kinds(tmp_path / "dist", [
        output(f"{SLUG}.pdf", "handout"),
        output(f"{SLUG}-booklet.pdf", "booklet"),
        output(f"{SLUG}-booklet-pages-letter.pdf", "booklet", paper="letter"),
        output(f"clinics/riverside/{SLUG}-large-print.pdf", "large-print", clinic="riverside"),
        output(f"{SLUG}-press.pdf", "press")])
    warnings: list = []
    manifest = read_manifest(dist, warnings=warnings)
    assert warnings == []
    assert {o.path: o.kind for o in manifest.outputs} == {
        f"{SLUG}.pdf": "handout", f"{SLUG}-booklet.pdf": "booklet",
        f"{SLUG}-booklet-pages-letter.pdf": "booklet-pages",
        f"clinics/riverside/{SLUG}-large-print.pdf": "large-print", f"{SLUG}-press.pdf": "press"}
    # written back, each record says its kind
    again = json.loads(dumps(manifest))
    assert [o["kind"] for o in again["outputs"]] == [o.kind for o in manifest.outputs]


def test_a_kind_that_is_not_one_is_read_from_the_name(tmp_path):
    dist = written_before_kinds(tmp_path / "dist", [
        output(f"{SLUG}-booklet-pages.pdf", "booklet", kind=["booklet"]),
        output(f"{SLUG}-press.pdf", "press", kind="<script>"),
        output(f"{SLUG}-booklet.pdf", "booklet", kind="booklet")])
    assert [o.kind for o in read_manifest(dist).outputs] == ["booklet-pages", "press", "booklet"]


def test_a_path_no_variant_writes_is_dropped(tmp_path):
    """Only names a variant gives its files are an article's outputs: ``<slug>-pages.pdf``
    or ``<slug>-handout.pdf`` are nobody's, so a record of them never reaches the build."""
    dist = written_before_kinds(tmp_path / "dist", [
        output(f"{SLUG}-pages.pdf", "handout"), output(f"{SLUG}-handout.pdf", "handout"),
        output(f"{SLUG}-press-pages.pdf", "press"), output(f"{SLUG}.pdf", "handout")])
    assert [o.path for o in read_manifest(dist).outputs] == [f"{SLUG}.pdf"]


def test_hostile_fields_are_dropped_or_defaulted_to_their_types(tmp_path):
    article = {"edition": 2, "title": {"not": "text"}, "lang": 'en" onload="x', "keywords": ["a", 1],
               "reviewed": "2024-02-30", "draft": "yes", "source_files": ["article.md", "../x", 7],
               "reviewers": [{"name": "Dr. A", "covers": "no", "content": 5}, {"credential": "MD"}],
               "references": [{"number": True, "html": "x"}, {"number": 1, "html": "<i>A</i>"}],
               "content_parts": {"body": "ab", "title": 3}, "signoffs": [{"name": "Dr. A"}],
               "review_baseline": {"edition": 0, "reviewed": "2024-01-01", "content_sha256": "x"}}
    manifest = valid_manifest(tmp_path, {"articles": {SLUG: article, "../evil": article}, "outputs": [
        output(f"{SLUG}.pdf", "handout", pages=-1, bytes="9", sha256="x", clinic="Not A Slug"),
        output(f"{SLUG}.pdf", "handout", pages=-1, bytes="9", sha256="x", warnings="w")]})
    record = manifest.articles[SLUG]
    assert list(manifest.articles) == [SLUG]
    assert (record.title, record.lang, record.keywords, record.reviewed, record.draft) == ("", "en", ("a",), None, False)
    assert record.source_files == ("article.md",)
    assert [(r.name, r.covers, r.content) for r in record.reviewers] == [("Dr. A", True, None)]
    assert [(r.number, r.html) for r in record.references] == [(1, "<i>A</i>")]
    assert record.content_parts == (("body", "ab"),) and record.signoffs == ()
    assert record.review_baseline is None
    [out] = manifest.outputs  # the one with a clinic id that is not one is dropped
    assert (out.pages, out.bytes, out.sha256, out.warnings) == (0, 0, None, ())


def test_records_read_back_to_the_same_bytes(tmp_path):
    dist = written_before_kinds(tmp_path / "dist", [output(f"{SLUG}.pdf", "handout"),
                                                    output(f"{SLUG}-booklet.pdf", "booklet")])
    first = dumps(read_manifest(dist))
    (dist / "manifest.json").write_bytes(first)
    assert dumps(read_manifest(dist)) == first


def test_an_archived_edition_without_kinds_reads_them_from_the_names(tmp_path):
    folder = tmp_path / "dist" / "archive" / SLUG / "edition-1"
    folder.mkdir(parents=True)
    (folder / "edition.json").write_text(json.dumps({
        "edition": 1, "title": "Fictional Flu", "files": ["edition.json", f"{SLUG}-booklet-pages.pdf"],
        "outputs": [{"path": f"{SLUG}-booklet-pages.pdf", "variant": "booklet", "paper": "a4",
                     "clinic": None, "content": "0123456789ab"},
                    {"path": "../../elsewhere.pdf", "variant": "handout"}]}))
    edition = read_edition(folder, SLUG)
    assert edition.article.edition == 1 and edition.article.title == "Fictional Flu"
    assert [(o.path, o.kind) for o in edition.outputs] == [(f"{SLUG}-booklet-pages.pdf", "booklet-pages")]
    (folder / "edition.json").write_text("[]")
    assert read_edition(folder, SLUG) is None


def test_an_output_record_is_the_jobs_by_its_key():
    record = OutputRecord.from_json(output(f"clinics/riverside/{SLUG}-press.pdf", "press",
                                           clinic="riverside"))
    assert record.key == (SLUG, "press", "a4", "riverside") and record.kind == "press"


def test_recorded_warnings_read_back_as_the_diagnostics_they_were(tmp_path):
    """A warning the manifest recorded (its path relative to the project) is replayed as a
    diagnostic on the project's file: its path ends where ``[:line]: severity: `` first
    follows it on its first line; text that names no file of the project stays text."""
    from handouts.dist.manifest import restored
    from handouts.errors import Diagnostic

    article = tmp_path / "source" / "a.md"
    article.parent.mkdir()
    article.write_text("x", encoding="utf-8")
    (tmp_path / "odd: warning: name.md").write_text("x", encoding="utf-8")
    cases = {
        "source/a.md:20: warning: sentence: “x: 3: warning: y”": Diagnostic(
            article, 20, "sentence: “x: 3: warning: y”", severity="warning"),
        "source/a.md: error: x — fix": Diagnostic(article, None, "x — fix"),
        "source/a.md:5: info: bound\nto the text": Diagnostic(article, 5, "bound\nto the text",
                                                              severity="info"),
        "odd: warning: name.md:1: warning: m": None,  # the path read is "odd": no such file
        "/etc/passwd:1: warning: m": None, ": warning: m": None, "source/a.md:1: notice: m": None,
        "source/a.md\n:1: warning: m": None, "source/missing.md:1: warning: m": None,
    }
    found: dict = {}
    for text, expected in cases.items():
        assert restored(text, tmp_path, found) == (text if expected is None else expected), text
