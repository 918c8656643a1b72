"""``handouts new DIR``: start a project with an example article."""

from __future__ import annotations

import argparse
from pathlib import Path

from handouts.cli.common import add_common, say
from handouts.errors import ExitStatus, InputError, shown

HELP = "start a project with an example article: handouts new DIR"
USAGE = "handouts new DIR [options]"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("articles", nargs="*", metavar="DIR", help="the new project's folder")
    add_common(p, project=False, load=False)


def run(args: argparse.Namespace) -> int:
    from handouts.project.config import load_config
    from handouts.project.scaffold import EXAMPLE, new_project, sign_example
    from handouts.source.article import load_article

    if len(args.articles) != 1:
        raise InputError.at(None, None, "new needs the name of the project's folder",
                            "handouts new my-handouts")
    dest = Path(args.articles[0])
    written = new_project(dest)
    # The example's fictional sign-off covers exactly its text (see "The editor's workflow").
    sign_example(dest / EXAMPLE, load_article(dest / EXAMPLE, load_config(dest)).content.short)
    if not args.quiet:
        say(f"created {shown(dest)}/ with {len(written)} files: handouts.toml, an example "
            "article under source/, styles/ for your overrides")
        say(f"next: cd {shown(dest)} && handouts   (the PDFs go to dist/)")
    return ExitStatus.SUCCESS
