"""The software's part of the inputs hash: installed versions read as importlib.metadata
reads them, and the digest of the modules a build imports."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from handouts.batch import software
from pdfcheck import REPO

#: Run in a fresh interpreter: a package the test process imported earlier (Dask imports
#: the importlib_metadata backport, which takes over finding distributions) would make
#: `installed_versions` hand every name to importlib.metadata itself.
PROBE = """
import importlib.metadata, json, sys
from handouts.batch import software

paths, names = json.loads(sys.argv[1])
sys.path[:0] = paths

def standard(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""

names = names or [*software.DISTRIBUTIONS, *sorted(
    {d.metadata["Name"] for d in importlib.metadata.distributions() if d.metadata["Name"]})]
print(json.dumps({"read": software.installed_versions(names), "standard": {n: standard(n) for n in names},
                  "versions": software.versions(), "asked": software._other_sources() or any(
                      software._metadata_folders(e) is None for e in sys.path)}))
"""


def _probe(paths: list[Path], names: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps([[str(p) for p in paths], names])],
                          capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_versions_are_what_importlib_metadata_says_for_every_installed_distribution():
    found = _probe([], [])
    assert not found["asked"] and len(found["read"]) > 50
    assert found["read"] == found["standard"]
    assert found["versions"] == {n: found["standard"][n] for n in software.DISTRIBUTIONS}
    assert all(found["versions"].values())
    spelled = ["JINJA2", "citeproc_py", "Citeproc.Py-Styles", "no-such-distribution-here"]
    found = _probe([], spelled)
    assert found["read"] == found["standard"] and found["read"]["JINJA2"]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_metadata_folders_as_installers_write_them_give_importlib_metadatas_answer(tmp_path):
    first, second = tmp_path / "site-a", tmp_path / "site-b"
    # pip / wheel: METADATA, the long description after the blank line
    _write(first / "Fictional_Widget-2.1.0.dist-info" / "METADATA",
           "Metadata-Version: 2.1\nName: fictional-widget\nVersion: 2.1.0\nSummary: A widget\n"
           "Requires-Dist: jinja2 (>=3)\n\nVersion: 9.9 (a line of the description)\n")
    _write(second / "fictional_widget-1.0.dist-info" / "METADATA",  # shadowed by site-a
           "Metadata-Version: 2.1\nName: fictional-widget\nVersion: 1.0\n")
    # setuptools' develop / egg-info: PKG-INFO, a lower-case field name
    _write(first / "Old.Style_Pkg.egg-info" / "PKG-INFO",
           "Metadata-Version: 1.0\nName: Old.Style-Pkg\nversion: 0.3.dev1\n")
    # a distutils-era egg-info file: the file is the metadata
    _write(first / "single_file-4.0-py3.11.egg-info",
           "Metadata-Version: 1.1\nName: single-file\nVersion: 4.0\n")
    # a folded field, a repeated one, one after an mbox From line, none, no metadata file
    _write(first / "folded-1.dist-info" / "METADATA",
           "Name: folded\nVersion: 1.0\n  .post1\nVersion: 2.0\n")
    _write(first / "mbox-1.dist-info" / "METADATA", "From nobody\nName: mbox\nVersion: 5\n")
    _write(first / "unversioned-1.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: unversioned\n")
    (first / "no_metadata-1.0.dist-info").mkdir()
    # an unpacked egg on the path: its EGG-INFO folder
    egg = tmp_path / "Egged_Thing-3.2-py3.11.egg"
    _write(egg / "EGG-INFO" / "PKG-INFO", "Metadata-Version: 1.1\nName: Egged-Thing\nVersion: 3.2\n")
    names = ["fictional-widget", "Fictional.Widget", "old.style-pkg", "OLD_STYLE_PKG", "single-file",
             "folded", "mbox", "no-metadata", "unversioned", "egged_thing", "Egged-Thing",
             "missing-widget"]
    found = _probe([first, second, egg], names)
    expected = found["standard"]
    assert not found["asked"] and found["read"] == expected
    assert expected["fictional-widget"] == "2.1.0" and expected["folded"].split() == ["1.0", ".post1"]
    assert expected["single-file"] == "4.0" and expected["egged_thing"] == "3.2"
    assert expected["unversioned"] is None and expected["missing-widget"] == ""


def test_a_zip_archive_on_the_path_is_left_to_importlib_metadata(tmp_path):
    import zipfile

    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped_dist-1.5.dist-info/METADATA", "Name: zipped-dist\nVersion: 1.5\n")
    found = _probe([archive], ["zipped-dist", "Jinja2"])
    assert found["asked"] and found["read"] == found["standard"]
    assert found["read"]["zipped-dist"] == "1.5"


# ---------------------------------------------------------------------------------------
# The engine digest


def _ast_imports(path: Path, name: str) -> set[str]:
    """The handouts modules `path` imports, as Python reads it (relative imports resolved)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {n for n in found if n.split(".")[0] == "handouts"}


def test_the_build_modules_are_every_module_the_build_imports():
    modules = software.build_modules()
    files = software._module_files(REPO / "handouts")
    assert {"handouts.batch.build", "handouts.pdf.render", "handouts.guard.paths"} <= modules.keys()
    assert not {"handouts.serve", "handouts.cli", "handouts.batch.run"} & modules.keys()
    for name, path in modules.items():  # closed under import, as Python reads the source
        assert {n for n in _ast_imports(path, name) if n in files} <= modules.keys(), name


def _load_copy(folder: Path):
    spec = importlib.util.spec_from_file_location("software_copy", folder / "handouts" / "batch" / "software.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_engine_digest_changes_with_the_source_of_a_module_the_build_imports(tmp_path):
    shutil.copytree(REPO / "handouts", tmp_path / "handouts",
                    ignore=shutil.ignore_patterns("__pycache__"))
    copy = _load_copy(tmp_path)
    before = copy.engine_digest()
    assert before == software.engine_digest()  # the same source, another folder

    def after(edit: str) -> str:
        with open(tmp_path / "handouts" / edit, "a", encoding="utf-8") as f:
            f.write("\n# an edit\n")
        copy.engine_digest.cache_clear()
        return copy.engine_digest()

    assert after("serve.py") == before  # the build does not import it
    assert after("guard/paths.py") != before
