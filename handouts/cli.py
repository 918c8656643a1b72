"""Command line: arguments -> options; the one place exceptions become exit codes.

``handouts [COMMAND] [ARTICLE ...] [options]``. It parses, finds the project, calls the
engine (`handouts.batch.run.run` for builds) and prints what came back; it never builds.
An `InputError` prints as ``path:line: error: … — fix`` lines and exits 1; usage errors
exit 2; any other exception is a bug and exits 3 (with the traceback under
``--traceback``). Every printed message has its control characters escaped.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import traceback
from pathlib import Path

from handouts import __version__
from handouts.project.config import PAPERS, load_config
from handouts.errors import did_you_mean
from handouts.errors import Diagnostic, ExitStatus, InputError, escape_controls
from handouts.variants.kinds import VARIANTS, expand_variants

COMMANDS = {
    "build": "render PDFs into dist/ (the default command)",
    "check": "validate articles (and PDFs given with --pdf) without building",
    "review": "write the reviewer's packet of one article: handouts review SLUG",
    "serve": "build, serve dist/ on localhost and rebuild on every change",
    "new": "start a project with an example article: handouts new DIR",
    "theme": "list the built-in theme's files and your overrides; --copy NAME to edit one",
    "print": "build one article and send it to a CUPS printer: handouts print SLUG",
}


def _bleed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and 0 <= value <= 10):
        raise argparse.ArgumentTypeError(f"{text!r}: bleed is 0 to 10 mm, e.g. 3")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of 1 or more")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port is 0 to 65535 (0: any free port)")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse echoes user input: escape it
        self.print_usage(sys.stderr)
        self.exit(ExitStatus.USAGE, f"{self.prog}: error: {escape_controls(message)}\n")


def _parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<8} {text}" for name, text in COMMANDS.items())
    p = _Parser(
        prog="handouts",
        usage="handouts [COMMAND] [ARTICLE ...] [options]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Build print-ready PDF handouts from Markdown articles.\n\n"
                    f"commands:\n{commands}\n\n"
                    "The project is the nearest folder at or above the current one (or the "
                    "ARTICLE given)\nthat holds handouts.toml or source/; inside an article's "
                    "folder only that article is built.",
        epilog="Output: dist/<slug>[-<variant>][-<paper>].pdf, a clinic's under "
               "dist/clinics/<id>/; unchanged outputs are not rebuilt (--force).\n"
               "Exit codes: 0 ok, 1 input error, 2 usage error, 3 internal error (a bug).")
    p.add_argument("articles", nargs="*", metavar="ARTICLE",
                   help="slug, folder or article.md (default: the article the current folder "
                        "is in, else every article under source/)")
    build = p.add_argument_group("build")
    build.add_argument("--paper", type=str.lower, choices=PAPERS,
                       help="page size, a4 or letter in any case (default: handouts.toml or a4)")
    build.add_argument("--variant", action="append", metavar="NAME", choices=[*VARIANTS, "all"],
                       help=f"which PDF to make: {', '.join(VARIANTS)}, or all (repeatable; "
                            "default: handout)")
    build.add_argument("--bleed", type=_bleed, metavar="MM",
                       help="press bleed in millimetres (default 3 mm, 1/8 in for letter)")
    build.add_argument("--clinic", action="append", metavar="ID",
                       help="print a clinic's name, address and phone from [clinics.ID] in "
                            "handouts.toml; 'all' builds a set per clinic (repeatable)")
    build.add_argument("--allow-draft", action="store_true",
                       help="let drafts go to print (booklet and press refuse them otherwise)")
    build.add_argument("--allow-unreviewed", action="store_true",
                       help="content no sign-off covers becomes a proof in dist/proof/, stamped "
                            "'not for patients' (never published, listed or archived)")
    build.add_argument("--force", action="store_true",
                       help="rebuild every output, even those whose inputs did not change")
    build.add_argument("-j", "--jobs", type=_positive, metavar="N",
                       help="worker processes (default: the number of cores)")
    build.add_argument("--executor", metavar="URL",
                       help="dask://HOST:PORT sends the jobs to a Dask scheduler "
                            "(pip install 'handouts[dask]')")
    check = p.add_argument_group("check")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="check's report format")
    check.add_argument("--pdf", action="extend", nargs="+", type=Path, metavar="FILE",
                       help="also check these PDFs (PDF/UA self-check)")
    theme = p.add_argument_group("theme")
    theme.add_argument("--copy", action="extend", nargs="+", metavar="NAME",
                       help="copy built-in theme files (e.g. base.css, labels/vi.yaml) into "
                            "styles/ to edit them")
    serve = p.add_argument_group("serve")
    serve.add_argument("--port", type=_port, default=8000, metavar="N",
                       help="serve's port (default 8000)")
    printing = p.add_argument_group("print")
    printing.add_argument("--printer", metavar="QUEUE",
                          help="CUPS queue (default: the clinic's printer, else the system's)")
    printing.add_argument("--copies", type=_positive, default=1, metavar="N",
                          help="copies to print (default 1)")
    printing.add_argument("--manual-duplex", action="store_true",
                          help="on a one-sided printer: print the fronts, wait for Enter "
                               "(a line on standard input), then the backs")
    printing.add_argument("--dry-run", action="store_true",
                          help="show the queue, file and job attributes; send nothing")
    common = p.add_argument_group("common")
    common.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: dist/)")
    common.add_argument("--root", type=Path, metavar="DIR",
                        help="project folder holding handouts.toml, source/ and styles/ "
                             "(default: found from the current folder)")
    common.add_argument("--allow-remote", action="store_true",
                        help="let articles load images over http(s) (off by default)")
    common.add_argument("--strict", action="store_true",
                        help="treat warnings as errors (for editors' CI)")
    common.add_argument("-v", "--verbose", action="store_true",
                        help="a table of the outputs: article, variant, pages, size, time, warnings")
    common.add_argument("-q", "--quiet", action="store_true",
                        help="print only problems (nothing on success)")
    common.add_argument("--traceback", action="store_true", help="show Python tracebacks of bugs")
    common.add_argument("--version", action="version", version=_version())
    return p


def _say(text: str = "", *, err: bool = False) -> None:
    print(escape_controls(str(text)), file=sys.stderr if err else sys.stdout)


def _say_traceback(text: str) -> None:
    """A traceback as real lines (each line's control characters still escaped)."""
    for line in text.rstrip().splitlines():
        _say(line, err=True)


def _version() -> str:
    """handouts' version and those of the libraries that shape its PDFs."""
    from importlib.metadata import PackageNotFoundError, version

    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return (f"handouts {__version__} (WeasyPrint {of('weasyprint')}, "
            f"citeproc-py {of('citeproc-py')}, Python {sys.version.split()[0]})")


def _print_problems(problems) -> None:
    """Each problem on stderr, its path shown as `_shown` shows paths (fresh and replayed
    warnings alike)."""
    for problem in problems:
        if isinstance(problem, Diagnostic) and problem.path is not None:
            problem = dataclasses.replace(problem, path=_shown(Path(problem.path)))
        _say(problem, err=True)  # Diagnostic.__str__ escapes too; plain text gets it here


def _human_size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_intermixed_args(argv)
    # The command may stand anywhere among the arguments: `--root X check`.
    command = args.articles.pop(0) if args.articles and args.articles[0] in COMMANDS else "build"
    try:
        return int(_run(parser, command, args))
    except InputError as exc:
        _print_problems(exc.problems)
        return ExitStatus.INPUT_ERROR
    except KeyboardInterrupt:
        _say("interrupted", err=True)
        return 130
    except BrokenPipeError:  # `handouts theme | head`: the reader went away
        sys.stderr.close()
        return ExitStatus.SUCCESS
    except Exception as exc:  # a bug: say so plainly
        if args.traceback:
            _say_traceback(traceback.format_exc())
        _say(f"internal error: {type(exc).__name__}: {exc} — this is a bug in handouts; "
             "rerun with --traceback and report it", err=True)
        return ExitStatus.CRASH


def find_root(args_root: Path | None, targets: list[str]) -> Path:
    """--root, else the project of the first target that is a path, else of the cwd."""
    from handouts.batch.jobs import find_project

    if args_root is not None:
        return args_root
    for target in targets:
        if Path(target).exists():
            return find_project(Path(target)) or Path.cwd()
    return find_project(Path.cwd()) or Path.cwd()


def _load_project(root: Path, args: argparse.Namespace):
    """handouts.toml, the theme and the command line's overrides: one value for one run."""
    from dataclasses import replace

    from handouts.checks import validate_checks

    config = load_config(root, validators={"checks": validate_checks})
    if args.allow_remote:  # every stage reads it from the config
        config = replace(config, allow_remote=True)
    if args.out:
        config = replace(config, output_dir=args.out.resolve())
    return config


def _run(parser: argparse.ArgumentParser, command: str, args: argparse.Namespace) -> int:
    if command == "new":
        return _new(args)
    root = find_root(args.root, args.articles)
    config = _load_project(root, args)

    if command == "build" and args.articles:  # `handouts chek`: a mistyped command?
        first = args.articles[0]
        close = did_you_mean(first, COMMANDS)
        if close and not Path(first).exists() and not (config.source_dir / first).exists():
            parser.print_usage(sys.stderr)
            _say(f"handouts: error: unknown command '{first}' — {close}", err=True)
            return ExitStatus.USAGE

    if command == "theme":
        return _theme(config, args)
    if command == "check":
        return _check(config, args)
    if command == "review":
        return _review(config, args)
    if command == "print":
        return _print(config, args)
    options = _batch_options(config, args)
    if command == "serve":
        from handouts import serve

        # Each rebuild loads the project again: an edited handouts.toml or label file counts.
        rebuild = serve.batch_rebuild(lambda: _load_project(root, args), options)
        return serve.serve(config, rebuild, port=args.port)
    return _build(config, args, options)


def _batch_options(config, args):
    from handouts.batch.run import BatchOptions

    return BatchOptions(
        variants=tuple(expand_variants(args.variant or [])), paper=args.paper,
        clinics=tuple(args.clinic or [None]), bleed_mm=args.bleed, strict=args.strict,
        allow_draft=args.allow_draft, allow_unreviewed=args.allow_unreviewed, force=args.force,
        jobs=args.jobs)


# ---------------------------------------------------------------------------------------
# build


def _build(config, args, options) -> int:
    from handouts.batch import run as batch

    executor, close = _executor(args.executor, config.limits)
    printer = _LinePrinter(args) if args.quiet or not sys.stderr.isatty() else _BarPrinter(args)
    try:
        report = batch.run(config, args.articles, options, executor=executor, progress=printer)
    finally:
        close()
    if args.verbose:
        _table(report)
    if not args.quiet or report.failed:
        _say(report.summary(), err=True)
    return report.exit_status


class _LinePrinter:
    """One line per output (CI, pipes, -q): what was written, then problems."""

    def __init__(self, args):
        self.args = args

    def start(self, to_build, unchanged):
        pass

    def job_done(self, result):
        pass

    def published(self, written, warnings):
        # -q: problems only (an "info" note, e.g. a sign-off bound to the text, is not one)
        _print_problems(w for w in warnings
                        if not (self.args.quiet and getattr(w, "severity", "") == "info"))
        if self.args.quiet:
            return
        for out in written:
            _say(f"wrote {_shown(out.path)}  {out.pages} pages  {_human_size(out.size)}")
            if out.note:
                _say(f"      {out.note}")

    def failed(self, failure, warnings):
        _print_problems(warnings)
        _print_problems(failure.problems)
        if failure.crash is not None:
            crash = failure.crash
            if self.args.traceback and crash.traceback:
                _say_traceback(crash.traceback)
            _say(f"{failure.path}: internal error: {crash.type}: {crash.message} — this is a bug "
                 "in handouts; rerun with --traceback and report it", err=True)

    def finish(self, report):
        pass


class _BarPrinter(_LinePrinter):
    """On a terminal: a rich progress bar; problems are printed above it."""

    def __init__(self, args):
        super().__init__(args)
        self.bar = None

    def start(self, to_build, unchanged):
        if not to_build:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
            TimeElapsedColumn

        self.bar = Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("{task.description}"),
                            console=Console(stderr=True), transient=True)
        self.task = self.bar.add_task("", total=to_build)
        self.bar.start()

    def job_done(self, result):
        if self.bar:
            self.bar.update(self.task, advance=1, description=escape_controls(result.job.label))

    def published(self, written, warnings):
        if self.bar:
            with _above(self.bar):
                super().published(written, warnings)
        else:
            super().published(written, warnings)

    def failed(self, failure, warnings):
        if self.bar:
            with _above(self.bar):
                super().failed(failure, warnings)
        else:
            super().failed(failure, warnings)

    def finish(self, report):
        if self.bar:
            self.bar.stop()


class _above:
    """Print above a live progress bar (rich redirects stdout/stderr while it runs)."""

    def __init__(self, bar):
        self.bar = bar

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.refresh()


def _table(report) -> None:
    rows = [("article", "variant", "pages", "size", "time", "warnings")]
    for out in report.outputs:
        name = _shown(out.path)
        rows.append((out.job.slug, name.rsplit("/", 1)[-1].removeprefix(out.job.slug).removesuffix(
            ".pdf").lstrip("-") or out.job.variant, str(out.pages), _human_size(out.size),
            f"{out.seconds:.2f} s", str(out.warnings)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        _say("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))).rstrip())


def _executor(url: str | None, limits=None):
    """`--executor dask://HOST:PORT` -> (executor, close); None -> the default pool."""
    if not url or url in ("process", "local"):
        return None, lambda: None
    from handouts.batch import run as batch
    from handouts.guard import limits as limits_mod

    return batch.dask_executor(url, os.environ.get("HANDOUTS_DASK_TIMEOUT"),
                               limits_mod.get(limits, "dask_message_bytes"))


# ---------------------------------------------------------------------------------------
# new, theme


def _new(args) -> int:
    from handouts.project.scaffold import new_project

    if len(args.articles) != 1:
        raise InputError.at(None, None, "new needs the name of the project's folder",
                            "handouts new my-handouts")
    dest = Path(args.articles[0])
    written = new_project(dest)
    if not args.quiet:
        _say(f"created {_shown(dest)}/ with {len(written)} files: handouts.toml, an example "
             "article under source/, styles/ for your overrides")
        _say(f"next: cd {_shown(dest)} && handouts   (the PDFs go to dist/)")
    return ExitStatus.SUCCESS


def _theme(config, args) -> int:
    from handouts.project.scaffold import copy_theme_file
    from handouts.theme import builtin_names

    if args.articles:
        raise InputError.at(None, None, f"theme takes no article ({args.articles[0]!r})",
                            "handouts theme, or handouts theme --copy base.css")
    if args.copy:
        for name in args.copy:
            target = copy_theme_file(config.styles_dir, name, force=args.force)
            _say(f"copied {name} to {_shown(target)}: edit it there; delete it to go back "
                 "to the built-in file")
        return ExitStatus.SUCCESS
    _say(f"built-in theme files (a file of the same name under {_shown(config.styles_dir)}/ "
         "overrides one):")
    for name in builtin_names():
        mark = "  overridden" if config.theme.overridden(name) else ""
        _say(f"  {name}{mark}")
    return ExitStatus.SUCCESS


# ---------------------------------------------------------------------------------------
# check, review


def _check(config, args) -> int:
    from handouts.batch.jobs import resolve_targets

    from handouts.checks import check_command

    paths = resolve_targets(config, args.articles) if args.articles or not args.pdf else []
    return check_command(config, paths, fmt=args.format, strict=args.strict,
                         pdfs=tuple(args.pdf or ()))


def _review(config, args) -> int:
    if len(args.articles) != 1:
        raise InputError.at(None, None, "review needs one article",
                            "handouts review SLUG (the folder name under source/)")
    from handouts.batch.jobs import resolve_targets
    from handouts.review import make_packet

    [path] = resolve_targets(config, args.articles)

    packet = make_packet(config, path.parent.name)
    if not args.quiet:
        _say(f"wrote {_shown(packet.path)} (content {packet.content})")
        _say(f"When the reviewer signs, put these lines under 'reviewers:' in "
             f"{_shown(path)} (one entry per reviewer who signed, dated the day they signed):")
    for line in packet.signoff.split("\n"):
        _say(line)
    return ExitStatus.SUCCESS


# ---------------------------------------------------------------------------------------
# print


def _print(config, args) -> int:
    from handouts.print import PrintOptions, print_article

    variants, clinics = args.variant or ["handout"], args.clinic or [None]
    problem = ("print needs one article: handouts print SLUG" if len(args.articles) != 1 else
               "print takes one --variant" if len(variants) > 1 or "all" in variants else
               "print takes one --clinic" if len(clinics) > 1 or "all" in clinics else
               "print never sends drafts: leave out --allow-draft" if args.allow_draft else "")
    if problem:
        _say(f"handouts: error: {problem}", err=True)
        return ExitStatus.USAGE

    def ask(prompt: str) -> bool:
        print(prompt, end="", file=sys.stderr, flush=True)
        return bool(sys.stdin.readline())

    options = PrintOptions(variant=variants[0], clinic=clinics[0], paper=args.paper,
                           copies=args.copies, printer=args.printer,
                           manual_duplex=args.manual_duplex, dry_run=args.dry_run)
    return print_article(config, args.articles[0], options, progress=_LinePrinter(args),
                         tell=_say, ask=ask)

if __name__ == "__main__":
    sys.exit(main())
