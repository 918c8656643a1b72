"""The batch: many articles in one run, one broken or crashing article never stops it,
output names never collide, and a rebuild with nothing changed does nothing.

Most tests build with the fast test builder (`fast_cli`, tests/fakebuild.py: everything
real but WeasyPrint's layout); those about the rendered bytes (the same in another process
or a pool worker) and the renderer's imports use the real one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import fakebuild
from conftest import command_line
from pdfcheck import FICTIONAL, REPO
from pdfcheck import page_texts as _page_texts

SAMPLE = "recovering-mentally-from-a-miscarriage"


def page_texts(path: Path) -> list[str]:
    """Page texts with no-break spaces as spaces (the typography stage adds them)."""
    return [text.replace("\xa0", " ") for text in _page_texts(path)]


def add_article(project: Path, slug: str, title: str | None = None) -> Path:
    """A copy of the fixture article under another slug (and title)."""
    folder = project / "source" / slug
    shutil.copytree(project / "source" / FICTIONAL, folder)
    if title:
        md = folder / "article.md"
        md.write_text(md.read_text().replace("Resting Well After a Fictional Illness", title))
    return folder


def break_article(folder: Path) -> None:
    md = folder / "article.md"
    md.write_text(md.read_text().replace("updated: 2024-03-02", "updated: 2024-02-30"))


def test_one_broken_article_is_reported_and_the_others_are_built(fast_cli, project):
    cli = fast_cli
    add_article(project, "another-fictional-guide", "Another Fictional Guide")
    add_article(project, "broken-fictional-guide")
    break_article(project / "source" / "broken-fictional-guide")
    code, out, err = cli("--root", project, "--jobs", "1")
    assert code == 1
    broken = project / "source" / "broken-fictional-guide" / "article.md"
    [line] = [l for l in err.splitlines() if l.startswith(str(broken))]
    assert line.startswith(f"{broken}:15: error:"), line  # file and line of `updated:`
    assert "2 built, 0 unchanged, 1 failed in" in err
    assert "Another Fictional Guide" in page_texts(project / "dist" / "another-fictional-guide.pdf")[0]
    assert (project / "dist" / f"{FICTIONAL}.pdf").is_file()
    assert not (project / "dist" / "broken-fictional-guide.pdf").exists()


def crash_on_another(config, job):
    """The fast test build, with a bug in the renderer for one article."""
    from handouts.batch.build import build_job

    def render(html, **kwargs):
        if "Another Fictional Guide" in html:
            raise ZeroDivisionError("simulated bug")
        return fakebuild.fake_render(html, **kwargs)

    return build_job(config, job, renderer=render)


def test_a_crash_in_one_article_does_not_stop_the_batch(capsys, project):
    add_article(project, "another-fictional-guide", "Another Fictional Guide")
    cli = command_line(capsys, crash_on_another)
    code, out, err = cli("--root", project, "--jobs", "1")
    assert code == 3
    assert "another-fictional-guide/article.md: internal error: ZeroDivisionError: simulated bug" in err
    assert "Traceback" not in err
    assert (project / "dist" / f"{FICTIONAL}.pdf").is_file()  # the other one was built
    assert not (project / "dist" / "another-fictional-guide.pdf").exists()


def test_names_never_collide_flu_and_flu_press(fast_cli, project):
    cli = fast_cli
    add_article(project, "flu", "Flu")
    add_article(project, "flu-press", "Flu Press Release")
    code, out, err = cli("--root", project, "--variant", "all", "--jobs", "1")
    assert code == 1
    assert f"{project / 'source' / 'flu-press'}/article.md: error: article name 'flu-press' clashes" in err
    assert "rename the folder" in err
    dist = project / "dist"
    assert "Flu" in page_texts(dist / "flu-press.pdf")[0]  # the press variant of flu
    assert "Flu Press Release" not in "".join(page_texts(dist / "flu-press.pdf"))
    assert (dist / "flu-booklet-pages.pdf").is_file() and (dist / "flu-large-print.pdf").is_file()
    outputs = json.loads((dist / "manifest.json").read_text())["outputs"]
    assert len({o["path"] for o in outputs}) == len(outputs)
    assert "flu-press" not in {o["slug"] for o in outputs}


def test_reserved_folder_names_are_refused(fast_cli, project):
    cli = fast_cli
    add_article(project, "archive")
    code, out, err = cli("--root", project, "--jobs", "1")
    assert code == 1
    assert "'archive' is a reserved folder name of dist/" in err
    assert (project / "dist" / f"{FICTIONAL}.pdf").is_file()


def test_paper_suffix_only_off_the_default_paper(fast_cli, project):
    cli = fast_cli
    code, out, err = cli("--root", project, "--paper", "LETTER", "--variant", "booklet", "-q")
    assert code == 0, err
    assert out == "" and "error" not in err
    names = sorted(p.name for p in (project / "dist").glob("*.pdf"))
    assert names == [f"{FICTIONAL}-booklet-letter.pdf", f"{FICTIONAL}-booklet-pages-letter.pdf"]
    code, out, err = cli("--root", project, "--paper", "a4", "-q")
    assert (project / "dist" / f"{FICTIONAL}.pdf").is_file()


def sample_project(tmp_path: Path) -> Path:
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copy(REPO / "handouts.toml", root / "handouts.toml")
    shutil.copytree(REPO / "styles", root / "styles")
    shutil.copytree(REPO / "source" / SAMPLE, root / "source" / SAMPLE)
    return root


def test_sample_twice_same_bytes_and_unchanged_the_second_time(cli, tmp_path):
    root = sample_project(tmp_path)
    code, out, err = cli("--root", root)
    assert code == 0, err
    pdf = root / "dist" / f"{SAMPLE}.pdf"
    first, stat = pdf.read_bytes(), pdf.stat()
    assert "1 built, 0 unchanged in" in err
    code, out, err = cli("--root", root)
    assert code == 0, err
    assert "0 built, 1 unchanged in" in err and "wrote" not in out
    assert pdf.stat().st_mtime_ns == stat.st_mtime_ns  # not even rewritten
    code, out, err = cli("--root", root, "--force")
    assert "1 built, 0 unchanged in" in err
    assert pdf.read_bytes() == first  # rebuilt: the very same bytes
    # another checkout folder, another process: the same bytes
    elsewhere = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(root, elsewhere, ignore=shutil.ignore_patterns("dist"))
    subprocess.run([sys.executable, str(REPO / "build_pdf.py"), "-q"], cwd=elsewhere, check=True,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    assert (elsewhere / "dist" / f"{SAMPLE}.pdf").read_bytes() == first


def test_only_the_changed_article_is_rebuilt(fast_cli, project):
    cli = fast_cli
    add_article(project, "another-fictional-guide", "Another Fictional Guide")
    code, out, err = cli("--root", project, "--jobs", "1")
    assert code == 0, err
    assert "2 built, 0 unchanged" in err
    md = project / "source" / "another-fictional-guide" / "article.md"
    md.write_text(md.read_text().replace("updated: 2024-03-02", "updated: 2024-03-05"))
    code, out, err = cli("--root", project, "--jobs", "1")
    assert code == 0, err
    assert "1 built, 1 unchanged" in err
    assert out.count("wrote ") == 1 and "another-fictional-guide.pdf" in out
    assert "Updated March 5, 2024" in "".join(page_texts(project / "dist" / "another-fictional-guide.pdf"))


#: Modules a rebuild with nothing to do never needs: the renderer and the article's stages;
#: the YAML parser (handouts.toml is TOML), the process pool, Pillow (a PNG logo is judged
#: by its header), the checks' registry (no [checks] table).
NOT_FOR_NOTHING = ("weasyprint", "pypdf", "citeproc", "markdown", "handouts.batch.build", "yaml",
                   "multiprocessing", "concurrent.futures", "PIL", "handouts.checks")


def test_a_rebuild_with_nothing_to_do_imports_no_renderer(project):
    from handouts.batch import run as batch
    from handouts.project.config import load_config

    with (project / "handouts.toml").open("a", encoding="utf-8") as f:  # a PNG logo, too
        f.write('\n[clinics.harbour]\nname = "Harbour Example Clinic"\n'
                'logo = "styles/clinics/harbourview.png"\n')
    # The first build here (fast builder), the rebuild in a fresh process.
    first = batch.run(load_config(project), [], batch.BatchOptions(jobs=1),
                      builder=fakebuild.build)
    assert len(first.built) == 1 and not first.failed
    probe = ("import sys; from handouts.cli import main; code = main(['--root', sys.argv[1]]); "
             f"heavy = [m for m in {NOT_FOR_NOTHING!r} if m in sys.modules]; print(code, heavy)")
    done = subprocess.run([sys.executable, "-c", probe, str(project)], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert done.stdout.strip() == "0 []", done.stdout + done.stderr
    assert "0 built, 1 unchanged" in done.stderr


def test_process_pool_gives_the_same_bytes_as_one_process(cli, project, tmp_path):
    for slug in ("second-fictional-guide", "third-fictional-guide"):
        add_article(project, slug, slug.replace("-", " ").title())
    code, out, err = cli("--root", project, "--jobs", "2", "--variant", "handout",
                         "--variant", "booklet")
    assert code == 0, err
    assert "6 built, 0 unchanged in" in err
    pool = {p.name: p.read_bytes() for p in (project / "dist").glob("*.pdf")}
    assert len(pool) == 9  # 3 handouts, 3 booklets, 3 booklet pages
    code, out, err = cli("--root", project, "--jobs", "1", "--force", "--variant", "handout",
                         "--variant", "booklet", "--out", tmp_path / "serial")
    assert code == 0, err
    for name, data in pool.items():
        assert (tmp_path / "serial" / name).read_bytes() == data, name


def test_control_characters_in_a_folder_name_are_escaped(fast_cli, project):
    cli = fast_cli
    evil = "evil\x1b[2J\nforged.md:1: error: forged\x07"
    folder = add_article(project, evil)
    break_article(folder)
    code, out, err = cli("--root", project, "--jobs", "1")
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err
    assert "evil\\x1b[2J\\nforged.md:1: error: forged\\x07" in err
    assert not any(line.startswith("forged.md") for line in err.splitlines())


def test_clinic_all_without_profiles_is_an_input_error(cli, project):
    toml = project / "handouts.toml"
    toml.write_text(toml.read_text().split("[clinics.riverside]")[0])
    code, out, err = cli("--root", project, "--clinic", "all")
    assert code == 1 and "no clinic profiles" in err
