"""Command line: arguments -> build options; the one place exceptions become exit codes.

``python build_pdf.py [build|check] [ARTICLE ...] [options]``. An `InputError` prints as
``path:line: error: … — fix`` lines and exits 1; argparse's usage errors exit 2; any
other exception is a bug and exits 3 (with the traceback under ``--traceback``).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
import traceback
from pathlib import Path

from . import __version__
from .config import PAPERS, load_config
from .errors import ExitStatus, InputError
from .variants import VARIANTS, expand_variants

COMMANDS = ("build", "check")


def _bleed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and 0 <= value <= 10):
        raise argparse.ArgumentTypeError(f"{text!r}: bleed is 0 to 10 mm, e.g. 3")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build_pdf.py",
        description="Build print-ready PDF handouts from Markdown articles.",
        epilog="commands: build (default) renders PDFs into dist/; check only validates. "
               "Exit codes: 0 ok, 1 input error, 2 usage error, 3 internal error.")
    p.add_argument("articles", nargs="*", metavar="ARTICLE",
                   help="slug, folder or article.md (default: every article under source/)")
    p.add_argument("--paper", choices=PAPERS, help="page size (default: handouts.toml or a4)")
    p.add_argument("--variant", action="append", metavar="NAME",
                   choices=[*VARIANTS, "all"],
                   help=f"which PDF to make: {', '.join(VARIANTS)}, or all (repeatable; "
                        "default: handout)")
    p.add_argument("--bleed", type=_bleed, metavar="MM",
                   help="press bleed in millimetres (default 3 mm, 1/8 in for letter)")
    p.add_argument("--clinic", metavar="ID", help="print a clinic's name, address and phone "
                   "from [clinics.ID] in handouts.toml")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: dist/)")
    p.add_argument("--root", type=Path, default=Path("."), metavar="DIR",
                   help="project folder holding handouts.toml, source/ and styles/")
    p.add_argument("--allow-remote", action="store_true",
                   help="let articles load images over http(s) (off by default)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument("--traceback", action="store_true", help="show Python tracebacks of bugs")
    p.add_argument("--version", action="version", version=f"handouts {__version__}")
    return p


def _setup_logging() -> None:
    # The render stage collects WeasyPrint's messages and returns them as warnings.
    wp = logging.getLogger("weasyprint")
    wp.handlers[:] = [logging.NullHandler()]
    wp.propagate = False


def _human_size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _print_problems(problems) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_intermixed_args(argv)
    # The command may stand anywhere among the arguments: `--root X check`.
    command = args.articles.pop(0) if args.articles and args.articles[0] in COMMANDS else "build"
    try:
        return _run(command, args)
    except InputError as exc:
        _print_problems(exc.problems)
        return ExitStatus.INPUT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly
        if args.traceback:
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc} — this is a bug in handouts; "
              "rerun with --traceback and report it", file=sys.stderr)
        return ExitStatus.CRASH


def _run(command: str, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from . import article as load

    config = load_config(args.root)
    if args.allow_remote:  # every stage reads it from the config
        config = replace(config, allow_remote=True)
    if args.out:
        config = replace(config, output_dir=args.out.resolve())
    config.clinic(args.clinic)  # an unknown clinic fails before any work
    paths = load.resolve_targets(config, args.articles)

    if command == "check":
        failed = 0
        for path in paths:
            try:
                art = load.load_article(path, config)
                _print_problems(art.warnings)
                if args.strict and art.warnings:
                    failed += 1
            except InputError as exc:
                _print_problems(exc.problems)
                failed += 1
        if not args.quiet or failed:
            print(f"checked {len(paths)} article(s): {failed} with problems", file=sys.stderr)
        return ExitStatus.INPUT_ERROR if failed else ExitStatus.SUCCESS

    _setup_logging()
    from .build import Options, build_article  # imports WeasyPrint (~0.4 s)

    options = Options(paper=args.paper, variants=tuple(expand_variants(args.variant or [])),
                      bleed_mm=args.bleed, clinic=args.clinic,
                      strict=args.strict)
    start = time.perf_counter()
    failed = 0
    for path in paths:
        result = build_article(config, path, options)
        _print_problems(result.warnings)
        if result.error:
            failed += 1
            _print_problems(result.error.problems)
            continue
        if not args.quiet:
            for out in result.outputs:
                try:
                    shown = out.path.relative_to(Path.cwd())
                except ValueError:
                    shown = out.path
                print(f"wrote {shown}  {out.pages} pages  {_human_size(out.size)}")
                if out.note:
                    print(f"      {out.note}")
            print(f"      built in {result.seconds:.2f} s")
    if len(paths) > 1 or failed:
        print(f"{len(paths) - failed} of {len(paths)} article(s) built"
              + (f", {failed} failed" if failed else "")
              + f" in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return ExitStatus.INPUT_ERROR if failed else ExitStatus.SUCCESS
