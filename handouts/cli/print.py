"""``handouts print SLUG``: build one article and send it to a CUPS printer."""

from __future__ import annotations

import argparse
import sys

from handouts.cli.build import LinePrinter
from handouts.cli.common import add_articles, add_common, add_output, positive, project_of, say
from handouts.errors import ExitStatus

HELP = "build one article and send it to a CUPS printer: handouts print SLUG"
USAGE = "handouts print ARTICLE [options]"


def configure(p: argparse.ArgumentParser) -> None:
    add_articles(p, "the article: slug, folder or article.md")
    group = add_output(p, clinic_help="print the clinic's copy, on its printer (default: the "
                                      "project's own copy)")
    group.add_argument("--allow-draft", action="store_true", help=argparse.SUPPRESS)  # refused
    printing = p.add_argument_group("printer")
    printing.add_argument("--printer", metavar="QUEUE",
                          help="CUPS queue (default: the clinic's printer, else the system's)")
    printing.add_argument("--copies", type=positive, default=1, metavar="N",
                          help="copies to print (default 1)")
    printing.add_argument("--manual-duplex", action="store_true",
                          help="on a one-sided printer: print the fronts, wait for Enter "
                               "(a line on standard input), then the backs")
    printing.add_argument("--dry-run", action="store_true",
                          help="show the queue, file and job attributes; send nothing")
    add_common(p)


def run(args: argparse.Namespace) -> int:
    from handouts.printing import PrintOptions, print_article

    config = project_of(args)
    variants, clinics = args.variant or ["handout"], args.clinic or [None]
    problem = ("print needs one article: handouts print SLUG" if len(args.articles) != 1 else
               "print takes one --variant" if len(variants) > 1 or "all" in variants else
               "print takes one --clinic" if len(clinics) > 1 or "all" in clinics else
               "print never sends drafts: leave out --allow-draft" if args.allow_draft else "")
    if problem:
        say(f"handouts: error: {problem}", err=True)
        return ExitStatus.USAGE

    def ask(prompt: str) -> bool:
        print(prompt, end="", file=sys.stderr, flush=True)
        return bool(sys.stdin.readline())

    options = PrintOptions(variant=variants[0], clinic=clinics[0], paper=args.paper,
                           copies=args.copies, printer=args.printer,
                           manual_duplex=args.manual_duplex, dry_run=args.dry_run)
    return print_article(config, args.articles[0], options, progress=LinePrinter(args),
                         tell=say, ask=ask)
