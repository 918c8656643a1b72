"""The built-in theme and a project's overrides: file by file, rebuilt when they change,
read afresh by every rebuild of the live preview."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from pdfcheck import FICTIONAL, REPO, THEME, page_texts
from test_serve import Reloads, _get, _status, start_serve

PDF = f"dist/{FICTIONAL}.pdf"


def _text(root: Path) -> str:
    return " ".join(" ".join(page_texts(root / PDF)).split())


def test_one_css_and_one_label_file_override_the_built_in_ones(project, cli):
    styles = project / "styles"
    (styles / "labels").mkdir(parents=True, exist_ok=True)
    (styles / "base.css").write_text((THEME / "base.css").read_text(encoding="utf-8")
                                     + '\nh1::before { content: "Override mark: " }\n',
                                     encoding="utf-8")
    (styles / "labels" / "en.yaml").write_text(
        (THEME / "labels" / "en.yaml").read_text(encoding="utf-8").replace(
            "references: References", "references: Sources we used"), encoding="utf-8")
    assert cli("--root", project, FICTIONAL, "-q")[0] == 0
    text = _text(project)
    assert "Override mark: Resting Well" in text and "Sources we used" in text
    assert "Medically reviewed by" in text  # the rest still comes from the built-in theme

    code, out, _ = cli("--root", project, "theme")
    assert code == 0
    assert "  base.css  overridden" in out and "  labels/en.yaml  overridden" in out
    assert "  press.css\n" in out and "  labels/vi.yaml\n" in out

    (styles / "base.css").unlink()  # back to the built-in sheet: rebuilt, mark gone
    code, _, err = cli("--root", project, FICTIONAL)
    assert code == 0 and "1 built" in err
    text = _text(project)
    assert "Override mark" not in text and "Sources we used" in text
    (styles / "labels" / "en.yaml").unlink()
    assert cli("--root", project, FICTIONAL, "-q")[0] == 0
    assert "References" in _text(project) and "Sources we used" not in _text(project)


def test_a_styles_dir_setting_is_the_folder_that_overrides(project, cli):
    """``styles_dir = "brand"`` in handouts.toml: brand/ overrides the theme, styles/ not."""
    brand = project / "brand"
    brand.mkdir()
    (brand / "base.css").write_text((THEME / "base.css").read_text(encoding="utf-8")
                                    + '\nh1::before { content: "Brand mark: " }\n',
                                    encoding="utf-8")
    toml = project / "handouts.toml"
    toml.write_text('styles_dir = "brand"\n' + toml.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("--root", project, FICTIONAL, "-q")[0] == 0
    assert "Brand mark: Resting Well" in _text(project)


def test_theme_copy_starts_an_override_and_refuses_to_overwrite_it(project, cli):
    code, out, _ = cli("--root", project, "theme", "--copy", "labels/vi.yaml", "site/site.css")
    assert code == 0, out
    copied = project / "styles" / "labels" / "vi.yaml"
    assert copied.read_bytes() == (THEME / "labels" / "vi.yaml").read_bytes()
    assert (project / "styles" / "site" / "site.css").is_file()
    code, _, err = cli("--root", project, "theme", "--copy", "labels/vi.yaml")
    assert code == 1 and "already exists" in err and "\n" == err[-1] and err.count("\n") == 1
    code, _, err = cli("--root", project, "theme", "--copy", "base.cs")
    assert code == 1 and "did you mean 'base.css'" in err


def test_serve_reads_the_project_again_on_every_rebuild(project):
    """An edited label file and handouts.toml reach the PDF and the manifest while serve
    runs; a plain build afterwards finds the PDF up to date and holding the new words."""
    proc, base = start_serve(project)
    reloads = Reloads(base)
    try:
        reloads.until(lambda: _status(base)["generation"] >= 1, "the first build")
        assert "Example Health Press" in _text(project)
        generation = _status(base)["generation"]
        labels = project / "styles" / "labels"
        labels.mkdir(parents=True, exist_ok=True)
        (labels / "en.yaml").write_text(
            (THEME / "labels" / "en.yaml").read_text(encoding="utf-8").replace(
                "references: References", "references: Sources we used"), encoding="utf-8")
        toml = project / "handouts.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace(
            'publisher = "Example Health Press"', 'publisher = "Renamed Health Press"'),
            encoding="utf-8")
        reloads.until(lambda: "Renamed Health Press" in _get(base + "manifest.json").decode()
                      and "Sources we used" in _text(project), "a rebuild with the new words")
        assert _status(base)["generation"] > generation
    finally:
        reloads.close()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    build = subprocess.run([sys.executable, str(REPO / "build_pdf.py"), "--root", str(project)],
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    assert "0 built" in build.stderr and "unchanged" in build.stderr
    text = _text(project)
    assert "Sources we used" in text and "Renamed Health Press" in text


def test_only_the_built_in_templates_are_compiled_once_and_kept(tmp_path, monkeypatch):
    """The compiled built-in templates are kept in Jinja2's private per-user folder; a
    project's own template is compiled every run and never written there."""
    import tempfile

    import jinja2

    from handouts import theme as theme_mod

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    theme_mod.template_cache.cache_clear()
    styles = tmp_path / "project" / "styles"
    styles.mkdir(parents=True)
    (styles / "handout.html.j2").write_text("<p>{{ secret }} from the project</p>\n")
    theme = theme_mod.Theme.load(styles)
    try:
        def env():
            return jinja2.Environment(loader=theme.loader(), bytecode_cache=theme_mod.template_cache())

        assert env().get_template("handout.html.j2").render(secret="s") == "<p>s from the project</p>"
        built_in = env().get_template("booklet-padding.html.j2")
        folder = next((tmp_path / "tmp").glob("_jinja2-cache-*"))
        kept = list(folder.iterdir())
        assert len(kept) == 1 and folder.stat().st_mode & 0o777 == 0o700
        assert b"from the project" not in kept[0].read_bytes()
        again = env().get_template("booklet-padding.html.j2")  # read back, not compiled again
        assert list(folder.iterdir()) == kept and "padding-blank" in again.render(kind="blank")
        assert again.render(kind="blank") == built_in.render(kind="blank")
    finally:
        theme_mod.template_cache.cache_clear()
