"""What every subcommand shares: the parser class, option types and groups, finding and
loading the project, and printing (every printed message has its control characters
escaped)."""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

from handouts import __version__
from handouts.errors import Diagnostic, ExitStatus, escape_controls, shown
from handouts.project.config import PAPERS, load_config
from handouts.variants.kinds import VARIANTS

# ---------------------------------------------------------------------------------------
# Parsing


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse echoes user input: escape it
        self.print_usage(sys.stderr)
        self.exit(ExitStatus.USAGE, f"{self.prog}: error: {escape_controls(message)}\n")


def bleed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and 0 <= value <= 10):
        raise argparse.ArgumentTypeError(f"{text!r}: bleed is 0 to 10 mm, e.g. 3")
    return value


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of 1 or more")
    return value


def add_articles(p: argparse.ArgumentParser, text: str | None = None) -> None:
    p.add_argument("articles", nargs="*", metavar="ARTICLE",
                   help=text or "slug, folder or article.md (default: the article the current "
                                "folder is in, else every article under source/)")


def add_output(p: argparse.ArgumentParser, *, clinic_help: str) -> argparse._ArgumentGroup:
    """--paper, --variant, --clinic: which output (build, serve and print choose one)."""
    group = p.add_argument_group("output")
    group.add_argument("--paper", type=str.lower, choices=PAPERS,
                       help="page size, a4 or letter in any case (default: handouts.toml or a4)")
    group.add_argument("--variant", action="append", metavar="NAME", choices=[*VARIANTS, "all"],
                       help=f"which PDF to make: {', '.join(VARIANTS)}, or all (repeatable; "
                            "default: handout)")
    group.add_argument("--clinic", action="append", metavar="ID", help=clinic_help)
    return group


def add_batch(p: argparse.ArgumentParser) -> None:
    """The options of a batch build (build and serve)."""
    group = add_output(p, clinic_help="print a clinic's name, address and phone from "
                                      "[clinics.ID] in handouts.toml; 'all' builds a set per "
                                      "clinic (repeatable)")
    group.add_argument("--bleed", type=bleed, metavar="MM",
                       help="press bleed in millimetres (default 3 mm, 1/8 in for letter)")
    group.add_argument("--allow-draft", action="store_true",
                       help="let drafts go to print (booklet and press refuse them otherwise)")
    group.add_argument("--allow-unreviewed", action="store_true",
                       help="content no sign-off covers becomes a proof in dist/proof/, stamped "
                            "'not for patients' (never published, listed or archived)")
    group.add_argument("--force", action="store_true",
                       help="rebuild every output, even those whose inputs did not change")
    group.add_argument("-j", "--jobs", type=positive, metavar="N",
                       help="worker processes (default: the number of cores)")


def add_common(p: argparse.ArgumentParser, *, project: bool = True, load: bool = True,
               strict: bool = False) -> None:
    """The options shared by commands: `project` (--root), `load` (--out, --allow-remote:
    what the loaded project may do), `strict`; -q, --traceback and --version always."""
    group = p.add_argument_group("common")
    if load:
        group.add_argument("--out", type=Path, metavar="DIR",
                           help="output folder (default: dist/)")
    if project:
        group.add_argument("--root", type=Path, metavar="DIR",
                           help="project folder holding handouts.toml, source/ and styles/ "
                                "(default: found from the current folder)")
    if load:
        group.add_argument("--allow-remote", action="store_true",
                           help="let articles load images over http(s) (off by default)")
    if strict:
        group.add_argument("--strict", action="store_true",
                           help="treat warnings as errors (for editors' CI)")
    group.add_argument("-q", "--quiet", action="store_true",
                       help="print only problems (nothing on success)")
    group.add_argument("--traceback", action="store_true", help="show Python tracebacks of bugs")
    group.add_argument("--version", action=VersionAction)


class VersionAction(argparse.Action):
    """``--version``: prints `version()` and exits. The versions are looked up only when
    asked for (each lookup reads installed packages' metadata: ~50 ms for every parser)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show the versions of handouts and its PDF libraries and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, _namespace, _values, _option_string=None):
        sys.stdout.write(version() + "\n")
        parser.exit()


def version() -> str:
    """handouts' version and those of the libraries that shape its PDFs."""
    from importlib.metadata import PackageNotFoundError, version as of_package

    def of(name: str) -> str:
        try:
            return of_package(name)
        except PackageNotFoundError:
            return "not installed"

    return (f"handouts {__version__} (WeasyPrint {of('weasyprint')}, "
            f"citeproc-py {of('citeproc-py')}, Python {sys.version.split()[0]})")


# ---------------------------------------------------------------------------------------
# The project


def find_root(args_root: Path | None, targets: list[str]) -> Path:
    """--root, else the project of the first target that is a path, else of the cwd."""
    from handouts.source.discover import find_project

    if args_root is not None:
        return args_root
    for target in targets:
        if Path(target).exists():
            return find_project(Path(target)) or Path.cwd()
    return find_project(Path.cwd()) or Path.cwd()


def load_project(root: Path, args: argparse.Namespace):
    """handouts.toml, the theme and the command line's overrides: one value for one run."""
    config = load_config(root, validators={"checks": _validate_checks})
    if getattr(args, "allow_remote", False):  # every stage reads it from the config
        config = dataclasses.replace(config, allow_remote=True)
    if getattr(args, "out", None):
        config = dataclasses.replace(config, output_dir=args.out.resolve())
    return config


def _validate_checks(table, path: Path, text: str):
    """The ``[checks]`` table checked by `handouts.checks.validate_checks`, imported only
    for a project that has one (the checks' registry is not needed to read any other)."""
    from handouts.checks import validate_checks

    return validate_checks(table, path, text)


def project_of(args: argparse.Namespace):
    """The project the command line names (--root, an ARTICLE's path, or the cwd's)."""
    return load_project(find_root(args.root, args.articles), args)


# ---------------------------------------------------------------------------------------
# Printing


def say(text: str = "", *, err: bool = False) -> None:
    print(escape_controls(str(text)), file=sys.stderr if err else sys.stdout)


def say_traceback(text: str) -> None:
    """A traceback as real lines (each line's control characters still escaped)."""
    for line in text.rstrip().splitlines():
        say(line, err=True)


def print_problems(problems) -> None:
    """Each problem on stderr, its path shown as `shown` shows paths (fresh and replayed
    warnings alike; each path is worked out once: an article's warnings share a few)."""
    where: dict = {}
    for problem in problems:
        if isinstance(problem, Diagnostic) and problem.path is not None:
            if problem.path not in where:
                where[problem.path] = shown(Path(problem.path))
            problem = dataclasses.replace(problem, path=where[problem.path])
        say(problem, err=True)  # Diagnostic.__str__ escapes too; plain text gets it here
