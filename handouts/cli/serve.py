"""``handouts serve``: build, serve dist/ on localhost and rebuild on every change."""

from __future__ import annotations

import argparse

from handouts.cli.build import batch_options
from handouts.cli.common import add_batch, add_common, find_root, load_project

HELP = "build, serve dist/ on localhost and rebuild on every change"
USAGE = "handouts serve [options]"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port is 0 to 65535 (0: any free port)")
    return value


def configure(p: argparse.ArgumentParser) -> None:
    add_batch(p)
    p.add_argument("--port", type=_port, default=8000, metavar="N",
                   help="the port to serve on (default 8000; 0: any free port)")
    add_common(p, strict=True)


def run(args: argparse.Namespace) -> int:
    from handouts import serve

    root = find_root(args.root, [])
    config = load_project(root, args)
    # Each rebuild loads the project again: an edited handouts.toml or label file counts.
    rebuild = serve.batch_rebuild(lambda: load_project(root, args), batch_options(args))
    return serve.serve(config, rebuild, port=args.port)
