"""Same sources, same bytes — in another process, on another day, in another checkout
folder; drafts without a date take SOURCE_DATE_EPOCH; and renderer trouble is reported."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pytest
from pypdf import PdfReader

from pdfcheck import FICTIONAL, REPO


def _build(root, *args, **env):
    """The command line in a fresh process, from another working folder, with its own
    hash seed, time zone and locale (whatever leaks from those shows up as bytes)."""
    environment = {**os.environ, **env}
    run = subprocess.run([sys.executable, str(REPO / "build_pdf.py"), "--root", str(root), *args],
                         cwd=root.parent, env=environment, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run


def _pdfs(root):
    return {p.relative_to(root / "dist").as_posix(): p.read_bytes()
            for p in sorted((root / "dist").rglob("*.pdf"))}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """Every variant of the fixture project built twice: in this process, and in a fresh
    process from another checkout folder with another hash seed, time zone and locale."""
    from conftest import copy_project
    from handouts.cli import main

    here = copy_project(tmp_path_factory.mktemp("here"))
    elsewhere = tmp_path_factory.mktemp("a") / "second checkout"
    shutil.copytree(here, elsewhere)
    assert main(["--root", str(here), "--variant", "all", "-q"]) == 0
    _build(elsewhere, "--variant", "all", "-q", PYTHONHASHSEED="2", TZ="America/Adak", LC_ALL="C.UTF-8")
    return here, elsewhere


def test_bytes_do_not_depend_on_where_the_project_lives(two_builds):
    project, elsewhere = two_builds
    first = _pdfs(project)
    assert len(first) == 5 and first == _pdfs(elsewhere)
    for root in (project, elsewhere):
        for name, data in _pdfs(root).items():
            assert str(root).encode() not in data, name


def test_unreadable_image_is_a_warning_not_silence(cli, project):
    (project / "source" / FICTIONAL / "images" / "bedroom.png").write_bytes(b"not a png")
    code, out, err = cli("--root", project)
    assert code == 0
    assert "warning: while rendering:" in err and "bedroom.png" in err
    code, out, err = cli("--root", project, "--strict")
    assert code == 1


def test_same_bytes_in_another_process_folder_time_zone_and_hash_seed(two_builds):
    project, elsewhere = two_builds
    first, second = _pdfs(project), _pdfs(elsewhere)
    assert len(first) == 5 and first == second
    # the manifest too (it records inputs by content, not by folder)
    assert (project / "dist" / "manifest.json").read_bytes() == (elsewhere / "dist" / "manifest.json").read_bytes()
    # the day of the build is nowhere: the PDF's dates are the article's `updated:` date
    for name, data in first.items():
        info = PdfReader(project / "dist" / name).metadata
        assert info.creation_date.date() == dt.date(2024, 3, 2), name
        assert dt.date.today().strftime("%Y%m%d").encode() not in data, name


def _draft(project):
    article = project / "source" / FICTIONAL / "article.md"
    text = article.read_text()
    head, body = text.split("\n---\n", 1)
    head = "\n".join(line for line in head.split("\n") if not line.startswith("updated:"))
    article.write_text(head + "\ndraft: true\n---\n" + body)


def test_a_draft_without_a_date_takes_source_date_epoch(cli, project, tmp_path, monkeypatch):
    """In this process and in a fresh one (another folder, hash seed, time zone)."""
    _draft(project)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(project, elsewhere)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    code, _, err = cli("--root", project, "--allow-draft", "-q")
    assert code == 0, err
    _build(elsewhere, "--allow-draft", "-q", SOURCE_DATE_EPOCH="1700000000", PYTHONHASHSEED="4",
           TZ="America/Adak")
    pdf = project / "dist" / f"{FICTIONAL}.pdf"
    assert _pdfs(project) == _pdfs(elsewhere)
    created = PdfReader(pdf).metadata.creation_date
    assert created.astimezone(dt.timezone.utc) == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc)
    # another SOURCE_DATE_EPOCH is another input: rebuilt, with that date
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    code, out, err = cli("--root", project, "--allow-draft")
    assert code == 0 and "1 built" in err + out, err
    assert PdfReader(pdf).metadata.creation_date.year == 2027
    manifest = json.loads((project / "dist" / "manifest.json").read_text())
    assert manifest["outputs"][0]["updated"] is None


# One short fictional article per language the theme ships; the i18n fixture has fil,
# vi and th, these three complete the set. The Thai one holds "น้ำ" and "ทำ" (SARA AM), so
# its fonts go through the text-layer repair, which rewrites the embedded font.
_MORE_ARTICLES = {
    "en": ("Resting after a cold", "This fictional article is for testing only. Rest, drink "
           "water and see a doctor if a fever lasts more than three days."),
    "id": ("Beristirahat setelah pilek", "Artikel fiktif ini hanya untuk pengujian. Istirahat "
           "yang cukup, minum banyak air, dan temui dokter jika demam lebih dari tiga hari."),
    "ms": ("Berehat selepas selsema", "Artikel rekaan ini hanya untuk ujian. Rehat secukupnya, "
           "minum banyak air dan jumpa doktor jika demam berlarutan lebih daripada tiga hari."),
}


def _six_languages(root):
    from test_i18n import copy_project as copy_i18n

    copy_i18n(root)
    for lang, (title, body) in _MORE_ARTICLES.items():
        folder = root / "source" / f"{lang}-rest-guide"
        folder.mkdir()
        (folder / "article.md").write_text(
            f"---\ntitle: {title}\nlang: {lang}\nsummary: {body.split('.')[0]}.\n"
            "authors:\n  - name: Alex Example\nreviewers:\n  - name: Sam Sample\n"
            "    credential: MD\n    specialty: Fictional medicine\n    reviewed: 2024-03-01\n"
            "updated: 2024-03-02\n"
            "disclaimer: A fictional publisher's test article; not medical advice.\n"
            f"---\n\n{body}\n", encoding="utf-8")
    return root


def _font_dates(pdf_path) -> dict[str, int]:
    """head.modified of every TrueType font embedded in the PDF, by font name."""
    import io

    from fontTools.ttLib import TTFont

    dates = {}
    for page in PdfReader(pdf_path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                program = descendant.get_object()["/FontDescriptor"].get("/FontFile2")
                if program is not None:
                    tt = TTFont(io.BytesIO(program.get_object().get_data()))
                    dates[str(font["/BaseFont"])] = tt["head"].modified
    return dates


def test_every_language_builds_to_the_same_bytes_in_two_processes(cli, tmp_path):
    """In this process and in a fresh one with its own hash seed."""
    first = _six_languages(tmp_path / "first")
    second = tmp_path / "second"
    shutil.copytree(first, second)
    code, _, err = cli("--root", first, "-q")
    assert code == 0, err
    _build(second, "-q", PYTHONHASHSEED="6")
    pdfs = _pdfs(first)
    assert sorted(pdfs) == sorted(f"{lang}-rest-guide.pdf" for lang in ("en", "fil", "vi", "id", "ms", "th"))
    assert pdfs == _pdfs(second)
    # The embedded Thai fonts keep the installed fonts' dates, never the build's time.
    from fontTools.ttLib import TTFont

    def installed(style):
        run = subprocess.run(["fc-match", "-f", "%{file}", f"Noto Sans Thai:style={style}"],
                             capture_output=True, text=True)
        return TTFont(run.stdout.strip(), lazy=True)["head"].modified

    dates = _font_dates(first / "dist" / "th-rest-guide.pdf")
    thai = {name.split("+")[1]: date for name, date in dates.items() if "Thai" in name}
    assert thai == {"Noto-Sans-Thai": installed("Regular"), "Noto-Sans-Thai-Bold": installed("Bold")}
