"""What a user installs: the wheel, in a clean virtual environment, without extras, used in
an empty folder outside this repository (and on this repository's sample).

The wheel's dependencies come from a wheelhouse made of the distributions this environment
has installed (the versions the rest of the suite runs), so pip installs offline and
resolves exactly what the wheel declares: a dependency it does not declare is missing from
the venv, one it declares but this environment lacks is an error of pip's."""

from __future__ import annotations

import base64
import csv
import email.parser
import hashlib
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def _requirements(wheel: Path) -> list[str]:
    """The wheel's Requires-Dist lines."""
    with zipfile.ZipFile(wheel) as whl:
        name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(whl.read(name).decode()).get_all("Requires-Dist")


def _installed_closure(requires: list[str]) -> list[metadata.Distribution]:
    """The installed distributions that `requires` needs without extras, recursively (with the
    extras a requirement names); one it names but this environment lacks is left out."""
    found, extras_of = {}, {}
    todo = [(Requirement(line), {""}) for line in requires]
    while todo:
        req, active = todo.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in active):
            continue
        name, wanted = canonicalize_name(req.name), {"", *req.extras}
        if wanted <= extras_of.get(name, set()):
            continue
        try:
            found[name] = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue
        extras_of[name] = extras_of.get(name, set()) | wanted
        todo += [(Requirement(line), extras_of[name]) for line in found[name].requires or []]
    return list(found.values())


def _archive_name(dist: metadata.Distribution, path, stem: str) -> str | None:
    """Where installed file `path` of `dist` goes in its wheel (None: left out — byte code,
    the installer's records, and the console scripts pip writes from the entry points)."""
    parts = path.parts
    if "__pycache__" in parts or path.suffix == ".pyc":
        return None
    if parts[0].endswith(".dist-info"):
        skip = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
        return None if parts[-1] in skip else "/".join((f"{stem}.dist-info", *parts[1:]))
    if parts[0] != "..":
        return path.as_posix()
    real = Path(dist.locate_file(path)).resolve()
    if real.parent == Path(sysconfig.get_path("scripts")).resolve():
        scripts = {e.name for e in dist.entry_points if e.group in ("console_scripts", "gui_scripts")}
        return None if real.name in scripts else f"{stem}.data/scripts/{real.name}"
    prefix = Path(sysconfig.get_path("data")).resolve()
    return f"{stem}.data/data/{real.relative_to(prefix).as_posix()}" if real.is_relative_to(prefix) else None


def _repack(dist: metadata.Distribution, into: Path) -> None:
    """A wheel of the installed distribution `dist`: its files as installed, with their modes,
    stored (pip only unpacks them), with a fresh RECORD."""
    name = canonicalize_name(dist.metadata["Name"]).replace("-", "_")
    stem = f"{name}-{dist.version}"
    tags = [t.split("-") for t in email.parser.Parser().parsestr(dist.read_text("WHEEL")).get_all("Tag")]
    tag = "-".join(".".join(dict.fromkeys(t[i] for t in tags)) for i in range(3))
    assert dist.files is not None, f"{stem} was installed without a RECORD: reinstall it with pip"
    record = []
    with zipfile.ZipFile(into / f"{stem}-{tag}.whl", "w", zipfile.ZIP_STORED) as whl:
        for path in dist.files:
            arc, source = _archive_name(dist, path, stem), Path(dist.locate_file(path))
            if arc is None or not source.is_file():
                continue
            data = source.read_bytes()
            whl.writestr(zipfile.ZipInfo.from_file(source, arc, strict_timestamps=False), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append((arc, f"sha256={digest}", len(data)))
        lines = io.StringIO()
        csv.writer(lines, lineterminator="\n").writerows([*record, (f"{stem}.dist-info/RECORD", "", "")])
        whl.writestr(f"{stem}.dist-info/RECORD", lines.getvalue())


@pytest.fixture(scope="module")
def wheelhouse(wheel, tmp_path_factory) -> Path:
    """The wheel's dependencies (without extras) as wheels of the installed distributions."""
    into = tmp_path_factory.mktemp("wheelhouse")
    for dist in _installed_closure(_requirements(wheel)):
        _repack(dist, into)
    return into


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


def test_the_wheel_in_a_clean_venv_builds_a_new_project_anywhere(wheel, wheelhouse, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder().create(env_dir)  # no --system-site-packages; pip runs from outside it
    bin_dir = env_dir / "bin"
    # No PYTHONPATH, no editable checkout: only what the wheel and its dependencies bring.
    # And Python keeps the byte code of what it imports, as a user's does (this machine's
    # environment may say not to: every command would compile WeasyPrint & co. again).
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    # --no-compile: the same files; Python compiles what runs as it first imports it.
    # --isolated: no pip configuration of this machine's (its indexes, its find-links).
    pip = subprocess.run([sys.executable, "-m", "pip", "--isolated", "--python", bin_dir / "python",
                          "install", "-q", "--disable-pip-version-check", "--no-compile",
                          "--no-index", "--find-links", wheelhouse, wheel],
                         capture_output=True, text=True, timeout=600, env=env)
    assert pip.returncode == 0, pip.stderr
    # clean: the test tools of this environment are not visible in the venv
    assert "No module named 'pytest'" in subprocess.run(
        [bin_dir / "python", "-c", "import pytest"], env=env, capture_output=True, text=True).stderr
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
