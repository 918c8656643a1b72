"""``handouts theme``: list the built-in theme's files and the project's overrides;
``--copy NAME`` copies one into styles/ to edit it."""

from __future__ import annotations

import argparse

from handouts.cli.common import add_common, project_of, say
from handouts.errors import ExitStatus, InputError, shown

HELP = "list the built-in theme's files and your overrides; --copy NAME to edit one"
USAGE = "handouts theme [--copy NAME ...] [options]"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("articles", nargs="*", help=argparse.SUPPRESS)  # refused with a hint
    p.add_argument("--copy", action="extend", nargs="+", metavar="NAME",
                   help="copy built-in theme files (e.g. base.css, labels/vi.yaml) into "
                        "styles/ to edit them")
    p.add_argument("--force", action="store_true",
                   help="replace a file of that name already in styles/")
    add_common(p, load=False)


def run(args: argparse.Namespace) -> int:
    from handouts.project.scaffold import copy_theme_file
    from handouts.theme import builtin_names

    config = project_of(args)
    if args.articles:
        raise InputError.at(None, None, f"theme takes no article ({args.articles[0]!r})",
                            "handouts theme, or handouts theme --copy base.css")
    if args.copy:
        for name in args.copy:
            target = copy_theme_file(config.styles_dir, name, force=args.force)
            say(f"copied {name} to {shown(target)}: edit it there; delete it to go back "
                "to the built-in file")
        return ExitStatus.SUCCESS
    say(f"built-in theme files (a file of the same name under {shown(config.styles_dir)}/ "
        "overrides one):")
    for name in builtin_names():
        mark = "  overridden" if config.theme.overridden(name) else ""
        say(f"  {name}{mark}")
    return ExitStatus.SUCCESS
