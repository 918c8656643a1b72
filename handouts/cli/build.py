"""``handouts [build] [ARTICLE ...]``: render PDFs into dist/ (the default command)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from handouts.cli.common import (add_articles, add_batch, add_common, print_problems,
                                 project_of, say, say_traceback)
from handouts.errors import ExitStatus, did_you_mean, escape_controls, shown

HELP = "render PDFs into dist/ (the default command)"
USAGE = "handouts [build] [ARTICLE ...] [options]"


def configure(p: argparse.ArgumentParser) -> None:
    add_articles(p)
    add_batch(p)
    p.add_argument("--executor", metavar="URL",
                   help="dask://HOST:PORT sends the jobs to a Dask scheduler "
                        "(pip install 'handouts[dask]')")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="a table of the outputs: article, variant, pages, size, time, warnings")
    add_common(p, strict=True)


def batch_options(args: argparse.Namespace):
    """The batch's options from build's and serve's shared options."""
    from handouts.batch.run import BatchOptions
    from handouts.variants.kinds import expand_variants

    return BatchOptions(
        variants=tuple(expand_variants(args.variant or [])), paper=args.paper,
        clinics=tuple(args.clinic or [None]), bleed_mm=args.bleed, strict=args.strict,
        allow_draft=args.allow_draft, allow_unreviewed=args.allow_unreviewed, force=args.force,
        jobs=args.jobs)


def run(args: argparse.Namespace) -> int:
    renderer = _renderer(args)
    try:
        return _build(args, renderer)
    finally:
        if renderer is not None:
            renderer.close()


def _renderer(args: argparse.Namespace):
    """The process's one command builds: a child that lays out a single job is started
    now, while the project is read and the plan made (batch/renderer.py); it is stopped
    unused when the run builds more than one job, or nothing. Only with a second core to
    overlap on."""
    if not args.one_off or args.builder is not None or args.executor or "weasyprint" in sys.modules:
        return None
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) < 2:
        return None
    from handouts.batch.renderer import RenderProcess

    return RenderProcess()


def _build(args: argparse.Namespace, renderer) -> int:
    from handouts.batch import executors
    from handouts.batch import run as batch

    config = project_of(args)
    if args.articles:  # `handouts chek`: a mistyped command?
        first = args.articles[0]
        close = did_you_mean(first, args.commands)
        if close and not Path(first).exists() and not (config.source_dir / first).exists():
            sys.stderr.write(args.top_usage)
            say(f"handouts: error: unknown command '{first}' — {close}", err=True)
            return ExitStatus.USAGE

    printer = LinePrinter(args) if args.quiet or not sys.stderr.isatty() else _BarPrinter(args)
    with executors.from_url(args.executor, config.limits) as executor:
        report = batch.run(config, args.articles, batch_options(args), executor=executor,
                           progress=printer, builder=args.builder, renderer=renderer)
    if args.verbose:
        _table(report)
    if not args.quiet or report.failed:
        say(report.summary(), err=True)
    return report.exit_status


class LinePrinter:
    """One line per output (CI, pipes, -q): what was written, then problems."""

    def __init__(self, args):
        self.args = args

    def start(self, to_build, unchanged):
        pass

    def job_done(self, result):
        pass

    def published(self, written, warnings):
        # -q: problems only (an "info" note, e.g. a sign-off bound to the text, is not one)
        print_problems(w for w in warnings
                       if not (self.args.quiet and w.severity == "info"))
        if self.args.quiet or not written:
            return
        from handouts.dist.site import human_size  # the site's package: only when it is used

        for out in written:
            say(f"wrote {shown(out.path)}  {out.pages} pages  {human_size(out.size)}")
            if out.note:
                say(f"      {out.note}")

    def failed(self, failure, warnings):
        print_problems(warnings)
        print_problems(failure.problems)
        if failure.crash is not None:
            crash = failure.crash
            if self.args.traceback and crash.traceback:
                say_traceback(crash.traceback)
            say(f"{failure.path}: internal error: {crash.type}: {crash.message} — this is a bug "
                "in handouts; rerun with --traceback and report it", err=True)

    def finish(self, report):
        pass


class _BarPrinter(LinePrinter):
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
    from handouts.dist.site import human_size

    rows = [("article", "variant", "pages", "size", "time", "warnings")]
    for out in report.outputs:
        paper = out.job.paper if out.job.paper != out.job.default_paper else ""
        rows.append((out.job.slug, "-".join(filter(None, (out.kind, paper))), str(out.pages),
                     human_size(out.size), f"{out.seconds:.2f} s", str(out.warnings)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        say("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
