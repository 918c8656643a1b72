"""What a user installs: the wheel, in a clean virtual environment, without extras, used in
an empty folder outside this repository (and on this repository's sample)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from pdfcheck import REPO, THEME, page_texts

SAMPLE = "recovering-mentally-from-a-miscarriage"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from this checkout (a copy, so no build files land in the repo)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    anywhere = shutil.ignore_patterns("*.egg-info", "node_modules", "__pycache__",
                                      ".pytest_cache", ".hypothesis")
    top = {".git", "dist", "build", "tests", "benchmarks"}  # handouts/dist/ is a package

    def ignore(folder, names):
        return anywhere(folder, names) | (top & set(names) if Path(folder) == REPO else set())

    shutil.copytree(REPO, src, ignore=ignore)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(work), str(src)], check=True, capture_output=True, timeout=300)
    (found,) = work.glob("handouts-*.whl")
    return found


def test_the_wheel_holds_every_module_and_every_theme_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO / "handouts"
    modules = {p.relative_to(REPO).as_posix() for p in package.rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    theme = {p.relative_to(REPO).as_posix() for p in THEME.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    assert theme <= names, sorted(theme - names)
    starter = {p.relative_to(REPO).as_posix() for p in (package / "project_template").rglob("*")
               if p.is_file()}
    assert starter <= names and "handouts/project_template/gitignore" in names
    assert {f"handouts/theme/labels/{lang}.yaml" for lang in ("en", "fil", "vi", "id", "ms", "th")} <= names
    assert not any(n.startswith(("tests/", "source/", "styles/")) for n in names)


def test_the_wheel_in_a_clean_venv_builds_a_new_project_anywhere(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    # No PYTHONPATH, no editable checkout: only what the wheel and its dependencies bring.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    # --no-compile: the same files; Python compiles what runs as it first imports it
    subprocess.run([bin_dir / "pip", "install", "-q", "--disable-pip-version-check", "--no-compile",
                    wheel], check=True, capture_output=True, timeout=600, env=env)
    outside = tmp_path / "empty"
    outside.mkdir()

    def run(*args, cwd):
        done = subprocess.run([bin_dir / "handouts", *args], cwd=cwd, env=env, text=True,
                              capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done

    version = run("--version", cwd=outside).stdout
    assert version.startswith("handouts ") and "WeasyPrint" in version and "citeproc-py" in version
    assert subprocess.run([bin_dir / "python", "-m", "handouts", "--version"], cwd=outside, env=env,
                          capture_output=True, text=True).stdout == version

    run("new", "clinic-handouts", cwd=outside)
    project = outside / "clinic-handouts"
    assert (project / ".gitignore").read_text().strip().endswith("dist/")
    assert "    content: " in (project / "source/example-handout/article.md").read_text()
    built = run("--variant", "all", cwd=project)
    assert not any(word in built.stderr for word in ("warning", "error", "info")), built.stderr
    dist = project / "dist"
    for suffix in ("", "-booklet", "-booklet-pages", "-press", "-large-print"):
        assert (dist / f"example-handout{suffix}.pdf").is_file(), suffix
    assert (dist / "index.html").is_file() and (dist / "example-handout" / "index.html").is_file()
    pages = page_texts(dist / "example-handout.pdf")
    first, text = " ".join(pages[0].split()), " ".join(" ".join(pages).split())
    assert "Medically reviewed by Example Reviewer, MD" in first
    assert "Example Health Publisher is a fictional publisher" in " ".join(pages[-1].split())
    assert "Medical disclaimer" in text
    run("--clinic", "example", cwd=project)
    assert "Example Community Clinic" in " ".join(page_texts(
        dist / "clinics" / "example" / "example-handout.pdf")[0].split())

    # This repository's sample, built by the installed tool (no extra installed).
    sample = tmp_path / "sample"
    for name in ("source", "styles", "handouts.toml"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, sample / name)
    run(cwd=sample)
    assert "Medically reviewed by" in page_texts(sample / "dist" / f"{SAMPLE}.pdf")[0]
