"""``handouts review SLUG``: write the reviewer's packet of one article."""

from __future__ import annotations

import argparse

from handouts.cli.common import add_articles, add_common, project_of, say
from handouts.errors import ExitStatus, InputError, shown

HELP = "write the reviewer's packet of one article: handouts review SLUG"
USAGE = "handouts review ARTICLE [options]"


def configure(p: argparse.ArgumentParser) -> None:
    add_articles(p, "the article: slug, folder or article.md")
    add_common(p)


def run(args: argparse.Namespace) -> int:
    from handouts.source.discover import resolve_targets
    from handouts.review import make_packet

    config = project_of(args)
    if len(args.articles) != 1:
        raise InputError.at(None, None, "review needs one article",
                            "handouts review SLUG (the folder name under source/)")
    [path] = resolve_targets(config, args.articles)
    packet = make_packet(config, path.parent.name)
    if not args.quiet:
        say(f"wrote {shown(packet.path)} (content {packet.content})")
        say(f"When the reviewer signs, put these lines under 'reviewers:' in {shown(path)} "
            "(one entry per reviewer who signed, dated the day they signed):")
    for line in packet.signoff.split("\n"):
        say(line)
    return ExitStatus.SUCCESS
