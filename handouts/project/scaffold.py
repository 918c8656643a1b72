"""Starting points: `new_project` lays out a project a newcomer can build at once, and
`copy_theme_file` copies a built-in theme file into a project's ``styles/`` to edit.

The new project's files are package data (``handouts/project_template/``): a commented
``handouts.toml``, one fictional example article with its references file and image,
a ``styles/`` folder that explains overriding, and a ``.gitignore`` for ``dist/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from handouts.errors import InputError
from handouts.theme import BUILTIN, builtin_names

TEMPLATE = Path(__file__).resolve().parent.parent / "project_template"
#: The example article of a new project.
EXAMPLE = Path("source", "example-handout", "article.md")
#: Package data cannot carry a dot-file reliably: it is renamed on the way out.
_RENAMED = {"gitignore": ".gitignore"}


def new_project(dest: Path) -> list[Path]:
    """Copy the starter project into `dest` (new, or an empty folder); the files written."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError.at(dest, None, "already exists and is not an empty folder",
                            "give the name of a new folder, e.g. handouts new my-handouts")
    written = []
    for src in sorted(TEMPLATE.rglob("*")):
        if src.is_dir() or "__pycache__" in src.parts:
            continue
        rel = src.relative_to(TEMPLATE)
        target = dest / rel.parent / _RENAMED.get(rel.name, rel.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        written.append(target)
    return written


def copy_theme_file(styles_dir: Path, name: str, *, force: bool = False) -> Path:
    """Copy the built-in theme file `name` (e.g. ``base.css``, ``labels/vi.yaml``) to
    ``styles/<name>`` of the project, where it overrides the built-in one."""
    names = builtin_names()
    if name not in names:
        from handouts.errors import did_you_mean

        raise InputError.at(None, None, f"'{name}' is not a file of the built-in theme",
                            did_you_mean(name, names) or "list them with: handouts theme")
    target = Path(styles_dir) / name
    if target.exists() and not force:
        raise InputError.at(target, None, "already exists (your override)",
                            "edit it, or delete it to go back to the built-in file")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BUILTIN / name, target)
    return target


def sign_example(article_md: Path, fingerprint: str) -> None:
    """Bind the example's (fictional) sign-off to its text: ``content: <fingerprint>``
    under its ``reviewed:`` line, as an editor does after a real review."""
    text = article_md.read_text(encoding="utf-8")
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("reviewed:"))
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at + 1, f"{indent}content: {fingerprint}")
    article_md.write_text("\n".join(lines), encoding="utf-8")
