"""The built-in theme (this folder) and a project's ``styles/`` laid over it file by file.

The files beside this module are the handout's templates, CSS, label translations, the
download site's templates and the plain-language word list. A project overrides any of
them by putting a file with the same relative name under its own ``styles/``
(``styles/base.css``, ``styles/labels/vi.yaml``, ``styles/site/index.html.j2``); every
file it does not provide comes from here. `Theme.load` is called once per run (by
`load_config`); its digest is part of the rebuild hash, so an override added, changed or
removed rebuilds what it styles.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

#: The built-in theme's folder (package data, inside the installed package).
BUILTIN = Path(__file__).resolve().parent

#: Files of this folder that are code, not theme.
_NOT_THEME = {"__init__.py", "__pycache__"}
#: Sub-folders that never shape a PDF (the download site's templates).
SITE = "site"


def _walk(folder: Path, *, skip_code: bool, within: Path | None = None) -> dict[str, Path]:
    """{relative posix name: path} of the regular files under `folder`. A file whose real
    path (symbolic links resolved) lies outside `within` (default: `folder`) is refused:
    an override linking out of the project could print any file into every handout."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    real_root = os.path.realpath(within or folder)
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not (skip_code and d in _NOT_THEME))
        for name in filenames:
            if name.startswith(".") or (skip_code and name in _NOT_THEME) or name.endswith(".pyc"):
                continue
            path = os.path.join(dirpath, name)
            real = os.path.realpath(path)
            name = Path(path).relative_to(folder).as_posix()
            if os.path.commonpath([real, real_root]) != real_root:
                from handouts.errors import InputError

                kind = {".css": "stylesheet", ".j2": "template"}.get(Path(name).suffix, "theme file")
                raise InputError.at(path, None, f"{kind} '{name}' lies outside the project "
                                    "(a symbolic link?)",
                                    "copy the file itself into styles/, or delete the link")
            if not os.path.isfile(real):
                continue
            found[name] = Path(path)
    return found


@dataclass(frozen=True)
class Theme:
    """Which file serves each theme name: the project's ``styles/`` first, then the
    built-in theme. `digest` covers the names and bytes of every file that shapes a PDF
    (the site's templates excepted), `site_digest` those of the site."""

    project_dir: Path
    files: tuple[tuple[str, Path], ...]
    digest: str
    site_digest: str

    @classmethod
    def load(cls, project_dir: Path) -> "Theme":
        project_dir = Path(project_dir)
        chosen = {**_walk(BUILTIN, skip_code=True),
                  **_walk(project_dir, skip_code=False, within=project_dir.parent)}
        pdf, site = hashlib.sha256(), hashlib.sha256()
        for name in sorted(chosen):
            h = site if name.split("/", 1)[0] == SITE else pdf
            h.update(name.encode() + b"\0" + hashlib.sha256(chosen[name].read_bytes()).digest())
        return cls(Path(project_dir), tuple(sorted(chosen.items())), pdf.hexdigest(),
                   site.hexdigest())

    @property
    def dirs(self) -> tuple[Path, Path]:
        """Where theme files are looked up, in order: the project's styles/, the built-in."""
        return (self.project_dir, BUILTIN)

    def path(self, name: str) -> Path | None:
        """The file serving `name` (e.g. ``base.css``, ``labels/vi.yaml``), or None."""
        return dict(self.files).get(name)

    def names(self, prefix: str = "") -> list[str]:
        return [name for name, _ in self.files if name.startswith(prefix)]

    def overridden(self, name: str) -> bool:
        path = self.path(name)
        return path is not None and not _is_builtin(path)

    def loader(self, sub: str = ""):
        """A Jinja2 loader of the theme's templates (under `sub`, e.g. ``site``): the
        project's file first, then the built-in one; no template may lie outside its folder."""
        import jinja2

        from handouts.guard.paths import contained_loader

        return jinja2.ChoiceLoader([contained_loader(Path(d) / sub) for d in self.dirs])


@functools.lru_cache(maxsize=1)
def template_cache():
    """A Jinja2 bytecode cache for the built-in theme's templates, or None.

    Compiling the templates a build renders costs ~80 ms in every new process; the
    compiled code of the package's own templates is kept between runs in the folder Jinja2
    makes for it (private to the user, checked by Jinja2: ``$TMPDIR/_jinja2-cache-<uid>``)
    and used again while the template's text is unchanged. A project's own templates
    (``styles/``) are compiled in every run and never written anywhere. None (compile
    every time) when no private folder can be made."""
    import jinja2
    from jinja2.bccache import Bucket

    class BuiltinTemplates(jinja2.FileSystemBytecodeCache):
        def get_bucket(self, environment, name, filename, source):
            if filename is None or not _is_builtin(Path(filename)):
                return Bucket(environment, "", "")  # no key: neither loaded nor stored
            return super().get_bucket(environment, name, filename, source)

        def set_bucket(self, bucket):
            if bucket.key:
                try:
                    super().set_bucket(bucket)
                except OSError:  # a full or read-only disk: compiled again next time
                    pass

    try:
        return BuiltinTemplates()
    except (OSError, RuntimeError):  # Jinja2 found no safe folder
        return None


def _is_builtin(path: Path) -> bool:
    return BUILTIN in Path(path).parents


def builtin_names() -> list[str]:
    """The names of the built-in theme's files (what `handouts theme` lists)."""
    return sorted(_walk(BUILTIN, skip_code=True))
