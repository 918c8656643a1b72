"""Reading references files as reference managers write them -> `References`.

One reader per format, in `FORMATS` by file suffix; each returns the same thing: CSL-JSON
items keyed by citation key, with the line of each entry for messages.

- CSL-JSON (``.json``) and CSL-YAML (``.yaml``/``.yml``): `handouts.references.csl`;
- BibTeX/BibLaTeX (``.bib``): `handouts.references.bibtex`;
- RIS (``.ris``): `handouts.references.ris`;
- MEDLINE (``.nbib``), PubMed's "Citation manager" export: `handouts.references.medline`.

A new format is a module with a ``read(path, text, limits, problems) -> [Record]`` and a
line in `FORMATS`. Here: which files an article has (`resolve_bibliography`), and reading
them (`load_references`): every input is bounded (file size, entries, nesting depth) and
read in linear time: line numbers come from one pass over the text, never a search per
entry. Limits are ``config.limits`` (`handouts.guard.limits.Limits`), or its defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from handouts.errors import Diagnostic, InputError, did_you_mean, escape_controls
from handouts.guard import limits as limits_mod
from handouts.guard.paths import check_file, inside, name_problem, read_checked, real
from handouts.references import bibtex
from handouts.references import csl
from handouts.references import medline
from handouts.references import ris
from handouts.references.common import Problems, Record, limit_hint

REFERENCE_FILES = ("references.yaml", "references.yml", "references.json", "references.bib",
                   "references.ris", "references.nbib")


@dataclass(frozen=True)
class Format:
    """A references format: its name in messages and its reader."""

    name: str
    read: Callable[[Path, str, object, Problems], list[Record]]
    latex: bool = False  # the reader leaves strings as LaTeX (`References.csl` decodes them)


_BIBTEX = Format("BibTeX", bibtex.read_bibtex, latex=True)
#: The readers by file suffix (lower case).
FORMATS = {".json": Format("CSL-JSON", csl.read_json), ".yaml": Format("CSL-YAML", csl.read_yaml),
           ".yml": Format("CSL-YAML", csl.read_yaml), ".bib": _BIBTEX, ".bibtex": _BIBTEX,
           ".ris": Format("RIS", ris.read_ris), ".nbib": Format("MEDLINE", medline.read_medline)}
_USE_FORMATS = "use .bib, .json, .yaml, .ris or .nbib (BibTeX, CSL-JSON, CSL-YAML, RIS, PubMed MEDLINE)"


# ---------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class References:
    """The references of an article: CSL-JSON items by citation key (possibly none).

    BibTeX items keep their strings as LaTeX until `csl` converts them: decoding is
    the slow part, and only cited entries are ever printed.
    """

    path: Path | None  # the first file (messages name each entry's own file: `files`)
    lines: dict[str, int | None]  # key -> line of its entry
    items: dict[str, dict] = field(default_factory=dict, repr=False)
    files: dict[str, Path] = field(default_factory=dict, repr=False)
    paths: tuple[Path, ...] = ()
    latex: frozenset = frozenset()  # keys whose strings are still LaTeX

    @property
    def keys(self) -> set[str]:
        return set(self.lines)

    def file_of(self, key: str) -> Path | None:
        return self.files.get(key, self.path)

    def csl(self, key: str) -> dict:
        """The CSL-JSON item of `key`, with Unicode text."""
        item = self.items[key]
        return bibtex.decode_latex_item(item) if key in self.latex else item


EMPTY = References(None, {})


# ---------------------------------------------------------------------------------------
# Which file


def resolve_bibliography(article: Path, value, line: int | None,
                         key: str = "bibliography") -> tuple[tuple[Path, ...], list[Diagnostic]]:
    """The references files of the article at `article`.

    `value` is the front matter's ``bibliography:`` (a path or a list of paths, relative
    to the article's folder; pandoc's key) or None: then the one ``references.*`` beside
    the article. Two such files and no ``bibliography:`` is an error naming both.
    """
    folder = article.parent
    problems: list[Diagnostic] = []
    if value in (None, "", []):
        # every name present counts (a link to a FIFO or outside too): refused, not skipped
        found = [folder / name for name in REFERENCE_FILES if os.path.lexists(folder / name)]
        if len(found) > 1:
            names = " and ".join(p.name for p in found)
            problems.append(Diagnostic(article, None, f"two references files beside the article: {names}",
                                       f"delete one, or name it with 'bibliography: {found[0].name}'"))
            return (), problems
        if found and (problem := check_file(found[0], [folder], what="the references file",
                                            where="the article's folder")):
            problems.append(problem)
            return (), problems
        return tuple(found), problems
    names = value if isinstance(value, list) else [value]
    paths = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            problems.append(Diagnostic(article, line, f"'{key}' must be a file name or a list of them",
                                       f"write e.g. '{key}: references.bib'"))
            continue
        path = folder / name.strip()
        shown = escape_controls(name if len(name) <= 80 else name[:60] + "…" + name[-10:])
        if problem := name_problem(path):
            problems.append(Diagnostic(article, line, f"references file '{shown}' {problem}",
                                       f"rename the file (a short name) and write that name in '{key}:'"))
        elif not inside(path, [folder]):
            problems.append(Diagnostic(article, line, f"references file '{shown}' lies outside the "
                                       "article's folder", "copy the file into the article's folder "
                                       "and name it relative to it"))
        elif not os.path.lexists(path):
            present = [p.name for p in sorted(folder.iterdir()) if p.suffix.lower() in FORMATS] \
                if folder.is_dir() else []
            hint = did_you_mean(path.name, present) if present else ""
            problems.append(Diagnostic(article, line, f"references file '{shown}' not found in the "
                                       "article's folder", hint or f"check the name in '{key}:'"))
        elif path.suffix.lower() not in FORMATS:
            problems.append(Diagnostic(article, line, f"'{shown}' is not a references file",
                                       _USE_FORMATS))
        elif problem := check_file(path, [folder], what=f"references file '{shown}'",
                                   where="the article's folder", report_path=article, line=line):
            problems.append(problem)
        else:
            paths.append(path)
    return tuple(paths), problems


# ---------------------------------------------------------------------------------------
# Loading


def load_references(paths, limits=None) -> References:
    """Read one references file or several; raise `InputError` with every problem.

    A key in two files is an error (pandoc would silently take one).
    """
    if paths is None:
        return EMPTY
    if isinstance(paths, (str, Path)):
        paths = (Path(paths),)
    paths = tuple(Path(p) for p in paths)
    if not paths:
        return EMPTY
    problems: list[Diagnostic] = []
    lines, items, files, latex = {}, {}, {}, set()
    for path in paths:
        try:
            entries, is_latex = _read(path, limits)
        except InputError as exc:
            problems += exc.problems
            continue
        for entry in entries:
            if entry.key in lines:
                first = files[entry.key]
                where = (f"line {lines[entry.key]}" if first == path else
                         f"{first.name}:{lines[entry.key]}")
                problems.append(Diagnostic(path, entry.line, f"entry '{entry.key}': duplicate key "
                                           f"(first on {where})", "give each reference its own key"))
                continue
            lines[entry.key] = entry.line
            items[entry.key] = entry.csl
            files[entry.key] = path
            if is_latex:
                latex.add(entry.key)
    if problems:
        raise InputError(*problems)
    return References(paths[0], lines, items, files, paths, frozenset(latex))


def _read(path: Path, limits) -> tuple[list[Record], bool]:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError.at(path, None, "not a references file", _USE_FORMATS)
    max_bytes = limits_mod.get(limits, "reference_file_bytes")
    # Containment in the article's folder is `resolve_bibliography`'s; here: a regular
    # file, opened without following a link or waiting on a FIFO, read within the limit.
    resolved = real(path)
    data = read_checked(path, [resolved.parent if resolved else path.parent],
                        what="the references file", max_bytes=max_bytes, links=False)
    if isinstance(data, Diagnostic):
        raise InputError(data)
    if len(data) > max_bytes:
        size = max(len(data), path.stat().st_size)
        raise InputError.at(path, None, f"the file is {size:,} bytes, over the limit of "
                            f"{max_bytes:,} (reference_file_bytes)", limit_hint("reference_file_bytes"))
    try:
        text = data.decode("utf-8-sig")  # Notepad and PowerShell add a BOM
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError.at(path, line, "not UTF-8 text", "export the references as UTF-8 (Unicode)") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    problems = Problems(path)
    entries = fmt.read(path, text, limits, problems)
    if problems:
        raise InputError(*problems)
    return entries, fmt.latex
