"""``handouts review SLUG``: write the reviewer's packet of one article."""

from __future__ import annotations

import argparse
from pathlib import Path

from handouts.cli.common import add_articles, add_common, project_of, say
from handouts.errors import ExitStatus, InputError, shown

HELP = "write the reviewer's packet of one article: handouts review SLUG"
USAGE = "handouts review ARTICLE [options]"


def configure(p: argparse.ArgumentParser) -> None:
    add_articles(p, "the article: slug, folder or article.md")
    add_common(p)


def run(args: argparse.Namespace) -> int:
    from handouts.batch.jobs import resolve_targets
    from handouts.review import write_packet

    config = project_of(args)
    if len(args.articles) != 1:
        raise InputError.at(None, None, "review needs one article",
                            "handouts review SLUG (the folder name under source/)")
    [path] = resolve_targets(config, args.articles)
    packet = write_packet(config, path.parent.name)
    if not args.quiet:
        say(f"wrote {shown(Path(packet))}")
    return ExitStatus.SUCCESS
