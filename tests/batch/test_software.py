"""The software's part of the inputs hash: the digest of the modules a build imports."""

from __future__ import annotations

import ast
import importlib.util
import shutil
from pathlib import Path

from handouts.batch import software
from pdfcheck import REPO

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
