"""Command line: arguments -> options; the one place exceptions become exit codes.

``handouts [COMMAND] [ARTICLE ...] [options]``: one module per subcommand (build, check,
review, serve, new, theme, print), each with its own options (``configure``) and its
``run(args)``, which parses nothing more, calls the engine and prints what came back; it
never builds. Without a command, ``build``; the command may also follow options
(``--root X check``). An `InputError` prints as ``path:line: error: … — fix`` lines and
exits 1; usage errors exit 2; any other exception is a bug and exits 3 (with the traceback
under ``--traceback``). Every printed message has its control characters escaped.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import sys
import traceback

from handouts.cli import build, check, new, review, serve, theme
from handouts.cli import print as print_command
from handouts.cli.common import Parser, VersionAction, print_problems, say, say_traceback
from handouts.errors import ExitStatus, InputError

#: The subcommands, in the order the help lists them.
COMMANDS = {"build": build, "check": check, "review": review, "serve": serve, "new": new,
            "theme": theme, "print": print_command}
USAGE = "handouts [COMMAND] [ARTICLE ...] [options]"


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser (its help lists the commands) and each command's own."""
    listing = "\n".join(f"  {name:<8} {module.HELP}" for name, module in COMMANDS.items())
    top = Parser(
        prog="handouts", usage=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Build print-ready PDF handouts from Markdown articles.\n\n"
                    f"commands:\n{listing}\n\n"
                    "Each command has its own options: handouts COMMAND --help (without a "
                    "command:\nbuild). The project is the nearest folder at or above the "
                    "current one (or the\nARTICLE given) that holds handouts.toml or source/; "
                    "inside an article's folder only\nthat article is built.",
        epilog="Output: dist/<slug>[-<variant>][-<paper>].pdf, a clinic's under "
               "dist/clinics/<id>/; unchanged outputs are not rebuilt (--force).\n"
               "Exit codes: 0 ok, 1 input error, 2 usage error, 3 internal error (a bug).")
    top.add_argument("--version", action=VersionAction)
    subparsers = top.add_subparsers(dest="command", parser_class=Parser, help=argparse.SUPPRESS)
    parsers = {}
    for name, module in COMMANDS.items():
        sub = subparsers.add_parser(name, prog=f"handouts {name}", usage=module.USAGE,
                                    description=module.HELP)
        module.configure(sub)
        sub.set_defaults(command=name, run=module.run)
        parsers[name] = sub
    parsers["build"].set_defaults(commands=tuple(COMMANDS), top_usage=top.format_usage())
    return top, parsers


def _split(argv: list[str], parsers: dict) -> tuple[str | None, list[str]]:
    """(the command, the other arguments): the command is the first argument that is not
    an option or an option's value (None when that is not a command name)."""
    takes = {s: a.nargs for p in parsers.values() for a in p._actions for s in a.option_strings}
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            i += 1
            break
        if not token.startswith("-") or token == "-":
            break
        i += 1
        if "=" in token or (not token.startswith("--") and len(token) > 2):
            continue  # --root=DIR, -j4: the value is in the token
        names = [token] if token in takes else [s for s in takes if s.startswith(token)
                                                and token.startswith("--")]
        kinds = {takes[s] for s in names}
        if kinds == {None}:
            i += 1
        elif kinds == {"+"}:
            while i < len(argv) and not argv[i].startswith("-"):
                i += 1
    if i < len(argv) and argv[i] in parsers:
        return argv[i], argv[:i] + argv[i + 1:]
    return None, argv


def main(argv: list[str] | None = None, *, builder=None) -> int:
    """Run the command line `argv` (default: ``sys.argv[1:]``) -> the exit status.

    `builder`: what ``build`` turns each job into bytes with (`handouts.batch.run.run`'s
    argument; None: the real build)."""
    one_off = argv is None  # the process's own command line: the process ends after this
    if one_off:
        # Its exit then does not walk every object the run made in the interpreter's
        # final collections (~0.15 s after a build).
        atexit.register(gc.freeze)
    argv = list(sys.argv[1:] if argv is None else argv)
    top, parsers = _parsers()
    command, rest = _split(argv, parsers)
    if command is None and any(a in ("-h", "--help") for a in argv):
        top.parse_args(["--help"])  # the commands; exits
    args = parsers[command or "build"].parse_intermixed_args(rest)
    args.builder = builder
    args.one_off = one_off
    try:
        return int(args.run(args))
    except InputError as exc:
        print_problems(exc.problems)
        return ExitStatus.INPUT_ERROR
    except KeyboardInterrupt:
        say("interrupted", err=True)
        return 130
    except BrokenPipeError:  # `handouts theme | head`: the reader went away
        sys.stderr.close()
        return ExitStatus.SUCCESS
    except Exception as exc:  # a bug: say so plainly
        if args.traceback:
            say_traceback(traceback.format_exc())
        say(f"internal error: {type(exc).__name__}: {exc} — this is a bug in handouts; "
            "rerun with --traceback and report it", err=True)
        return ExitStatus.CRASH
