"""The one containment check: does a path, with every symbolic link resolved, lie inside
the project?

Every file the build opens goes through `inside` (or `check_file`, which also gives the
message, or `open_checked`/`read_checked`, which open only what `check_file` allows): the
article, its references file and images, styles, the CSL file, clinic logos, the inputs
hash, and what WeasyPrint fetches. A symbolic link is followed first and judged by where it
lands; a folder that is a link to elsewhere is judged the same way.

Hard links cannot be told apart from the file they share their data with, so a file inside
the article's folder with more than one link (``st_nlink > 1``) is refused: it may be a
file from outside the project under a new name. (Copy the file instead: ``cp`` makes an
independent copy.) Project-wide files (styles/, the CSL file, logos) are maintained by the
project, not by article writers, and are only checked for symbolic links.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from handouts.errors import Diagnostic

#: The longest file name (one path component) the build accepts, in UTF-8 bytes; the limit
#: of every common file system.
MAX_NAME_BYTES = 255


def real(path: Path | str) -> Path | None:
    """`path` with every symbolic link resolved, or None if it cannot be (a NUL byte, a
    link loop, a name longer than the file system allows)."""
    target = _resolved(path)
    return None if target is None else Path(target)


def _resolved(path: Path | str) -> str | None:
    """`real` as a string (a resolved path is absolute and normalized: no ``.``, ``..``,
    doubled or trailing separator)."""
    try:
        return os.path.realpath(os.fspath(path), strict=False)
    except (OSError, ValueError, RuntimeError):
        return None


def _within(target: str, roots: Iterable[Path | str]) -> bool:
    """Whether the resolved path `target` is one of `roots` or lies under one of them
    (each root resolved in turn). Both sides are resolved, so comparing them as text,
    up to a separator, is comparing their parts."""
    target = os.path.normcase(target)
    for root in roots:
        base = _resolved(root)
        if base is None:
            continue
        base = os.path.normcase(base)
        if target == base or target.startswith(base if base.endswith(os.sep) else base + os.sep):
            return True
    return False


def inside(path: Path | str, roots: Iterable[Path | str]) -> bool:
    """True when `path`, symbolic links resolved, is one of `roots` or lies under one of
    them (roots resolved too). A path that cannot be resolved is never inside."""
    target = _resolved(path)
    return target is not None and _within(target, roots)


def name_problem(path: Path | str) -> str | None:
    """Why `path` cannot name a file (NUL byte, over-long name), or None."""
    text = os.fspath(path)
    if "\x00" in text:
        return "contains a NUL character"
    if len(text.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES:
        return None  # no name in it can be longer
    for part in Path(text).parts:
        size = len(part.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME_BYTES:
            return f"has a name of {size} bytes (file systems allow {MAX_NAME_BYTES})"
    return None


#: An article's folder name (its slug): it names the article's files in dist/ and its
#: pages on the download site, so only letters a-z, digits, and hyphens or underscores
#: between them; at most 100 characters.
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?")
MAX_SLUG_CHARS = 100


def slug_problem(name: str) -> str | None:
    """Why the folder name `name` cannot be an article's slug, or None."""
    if len(name) > MAX_SLUG_CHARS:
        return f"is {len(name)} characters long (at most {MAX_SLUG_CHARS})"
    if not SLUG.fullmatch(name):
        return "may hold only lowercase letters a-z, digits, and hyphens or underscores between them"
    return None


def suggest_slug(name: str) -> str:
    """A slug close to `name` (for the hint of a refused folder name)."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name.encode("utf-8", "replace").decode("utf-8", "replace"))
    words = re.findall(r"[a-z0-9]+", ascii_name.encode("ascii", "ignore").decode().lower())
    return "-".join(words)[:MAX_SLUG_CHARS].strip("-") or "my-article"


def slug_diagnostic(article_md: Path | str) -> Diagnostic | None:
    """The error for an article whose folder name is not a valid slug, or None."""
    name = Path(article_md).parent.name
    problem = slug_problem(name)
    if problem is None:
        return None
    return Diagnostic(article_md, None, f"the folder name '{name[:120]}' cannot be an "
                      f"article's slug: it {problem}",
                      f"rename the folder, e.g. to '{suggest_slug(name)}'")


def hard_links(path: Path | str) -> int:
    """The link count of a regular file (1 for an ordinary file); 0 if it cannot be read."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return 0
    return st.st_nlink if stat.S_ISREG(st.st_mode) else 1


def check_file(path: Path | str, roots: Iterable[Path | str], *, what: str,
               where: str = "the project", links: bool = True,
               report_path=None, line: int | None = None) -> Diagnostic | None:
    """A `Diagnostic` when `path` may not be read -- unnamable, outside `roots` (symbolic
    links resolved), not a regular file, or hard-linked (when `links`) -- else None.

    `what` names the file in the message ("image 'images/a.png'"); the diagnostic is
    reported at `report_path`:`line` (default: `path` itself).
    """
    return _checked(path, roots, what, where, links, report_path, line)[0]


def _checked(path, roots, what, where, links, report_path, line) -> tuple[Diagnostic | None, str]:
    """(`check_file`'s answer, `path` resolved): the path judged is the one to open."""
    at = report_path if report_path is not None else path
    if problem := name_problem(path):
        return Diagnostic(at, line, f"{what} {problem}", "rename the file (a short name, no "
                          "control characters)"), ""
    target = _resolved(path)
    if target is None or not _within(target, roots):
        return Diagnostic(at, line, f"{what} lies outside {where} (a symbolic link?)",
                          f"copy the file itself into {where}"), ""
    try:
        st = os.stat(target)
    except OSError as exc:
        if exc.errno in (2, 20):  # ENOENT, ENOTDIR
            return Diagnostic(at, line, f"{what} does not exist",
                              "check the file name (names are case-sensitive)"), ""
        return Diagnostic(at, line, f"{what} cannot be read: {exc.strerror or exc}",
                          "check the file's permissions"), ""
    if not stat.S_ISREG(st.st_mode):
        return Diagnostic(at, line, f"{what} is not a regular file", "name a file, not a folder"), ""
    if links and st.st_nlink > 1:
        return Diagnostic(at, line, f"{what} is a hard link ({st.st_nlink} names for one file), "
                          "which may be a file from outside the project",
                          "replace it with a copy of its own (cp file copy && mv copy file)"), ""
    return None, target


#: How a checked file is opened: read-only, never through a symbolic link, never waiting.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
    | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def open_checked(path: Path | str, roots: Iterable[Path | str], *, what: str,
                 where: str = "the project", links: bool = True,
                 report_path=None, line: int | None = None):
    """`path` opened for reading (a binary file object) once `check_file` allows it, else
    the `Diagnostic` saying why not. Nothing is opened before the checks: a link to a file
    outside, a FIFO or ``/dev/zero`` is refused from its metadata alone.

    The file opened is the checked one: the path as the check resolved it (resolved once),
    without following a symbolic link swapped in since (``O_NOFOLLOW``) and without
    waiting on a FIFO swapped in (``O_NONBLOCK``); it must still be a regular file (and not
    hard-linked, when `links`).
    """
    problem, target = _checked(path, roots, what, where, links, report_path, line)
    if problem:
        return problem
    at = report_path if report_path is not None else path
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except OSError as exc:
        return Diagnostic(at, line, f"{what} cannot be read: {exc.strerror or exc}",
                          "check the file's permissions")
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or (links and st.st_nlink > 1):
        os.close(fd)
        return Diagnostic(at, line, f"{what} changed while it was being read",
                          "build again when nothing is changing the file")
    return os.fdopen(fd, "rb")


def read_checked(path: Path | str, roots: Iterable[Path | str], *, what: str,
                 max_bytes: int, where: str = "the project", links: bool = True,
                 report_path=None, line: int | None = None):
    """The bytes of `path` (at most `max_bytes` + 1: the caller says when that is too
    many) through `open_checked`, or the `Diagnostic` saying why not."""
    handle = open_checked(path, roots, what=what, where=where, links=links,
                          report_path=report_path, line=line)
    if isinstance(handle, Diagnostic):
        return handle
    with handle:
        return handle.read(max_bytes + 1)


def contained_loader(root: Path | str):
    """A Jinja2 loader for the templates under `root` that refuses a template whose file
    (symbolic links resolved) lies outside `root`: a ``styles/handout.html.j2`` linking to
    another file would print that file into every handout."""
    import jinja2

    from handouts.errors import InputError

    class ContainedLoader(jinja2.FileSystemLoader):
        def get_source(self, environment, template):
            source, filename, uptodate = super().get_source(environment, template)
            if not inside(filename, [root]):
                raise InputError.at(filename, None, f"template '{template}' lies outside "
                                    f"{Path(root).name}/ (a symbolic link?)",
                                    "copy the template itself into the styles folder")
            return source, filename, uptodate

    return ContainedLoader(str(root))
