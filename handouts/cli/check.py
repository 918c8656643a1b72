"""``handouts check [ARTICLE ...]``: validate articles (and PDFs) without building."""

from __future__ import annotations

import argparse
from pathlib import Path

from handouts.cli.common import add_articles, add_common, project_of

HELP = "validate articles (and PDFs given with --pdf) without building"
USAGE = "handouts check [ARTICLE ...] [options]"


def configure(p: argparse.ArgumentParser) -> None:
    add_articles(p)
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="the report's format (default text)")
    p.add_argument("--pdf", action="extend", nargs="+", type=Path, metavar="FILE",
                   help="also check these PDFs (PDF/UA self-check)")
    add_common(p, strict=True)


def run(args: argparse.Namespace) -> int:
    from handouts.source.discover import resolve_targets
    from handouts.checks import check_command

    config = project_of(args)
    paths = resolve_targets(config, args.articles) if args.articles or not args.pdf else []
    return check_command(config, paths, fmt=args.format, strict=args.strict,
                         pdfs=tuple(args.pdf or ()))
