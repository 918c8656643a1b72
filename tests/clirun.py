"""The command line in a child process of its own, without an interpreter's start-up.

`run(args, cwd=…, env=…, timeout=…, memory=…)` is ``python build_pdf.py ARGS`` run in a
separate process under an address-space limit, in its own working folder and
environment, its exit status, stdout and stderr captured as text. The child is forked
from a server process that imported the command line and the build pipeline once, so a
run starts in milliseconds instead of the second or more that importing WeasyPrint takes
in a fresh interpreter; it is still a process of its own: a memory bomb, a crash or a hang
ends only it (a hang is killed after `timeout` seconds: `subprocess.TimeoutExpired`).

`audit=(folder, inodes)` ends the child with exit 97 the moment anything in it opens a
path under `folder` or a file whose (device, inode) is in `inodes` (a Python audit hook).
One server per test process, started on first use, stopped when the process ends.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pdfcheck import REPO

SERVER = r"""
import json, os, resource, select, signal, sys, traceback
sys.path[0] = os.getcwd()  # the repository: handouts is imported from here, whatever the child's folder
# once; every child starts with them: the command line, the build, and the rest of the
# pipeline the build imports as it needs it (the renderer, checks, repairs, the site)
import handouts.cli, handouts.batch.build, handouts.batch.run, handouts.pdf.render  # noqa: E401
import handouts.checks, handouts.pdf.fixes.tags, handouts.pdf.fixes.textlayer  # noqa: E401
import handouts.source.translations, handouts.dist.site, handouts.dist.translations  # noqa: E401

ERRORS = sys.stdout.errors  # a fresh interpreter's, for a pipe in this locale


def audit(outside, inodes):
    def hook(event, args):
        if event != "open" or not args or not isinstance(args[0], (str, bytes)):
            return
        path = os.fsdecode(args[0])
        try:
            hit = os.path.realpath(path).startswith(outside)
            if not hit:
                st = os.stat(path)
                hit = (st.st_dev, st.st_ino) in inodes
        except (OSError, ValueError):
            return
        if hit:
            os.write(2, ("opened a refused file: " + path + "\n").encode())
            os._exit(97)
    sys.addaudithook(hook)


def child(request):
    resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC), 1)
    os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC), 2)
    sys.stdout = open(1, "w", errors=ERRORS, closefd=False)
    sys.stderr = open(2, "w", errors="backslashreplace", closefd=False, buffering=1)
    sys.argv = ["build_pdf.py", *request["args"]]
    if request["audit"]:
        outside, inodes = request["audit"]
        audit(outside, {tuple(pair) for pair in inodes})
    try:
        code = handouts.cli.main(request["args"])
    except SystemExit as exc:  # a usage error: argparse exits 2
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:  # what an uncaught exception does to an interpreter
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            child(request)
        finally:
            os._exit(70)
    pidfd = os.pidfd_open(pid)
    finished = select.select([pidfd], [], [], request["timeout"])[0]
    if not finished:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(pidfd)
    reply = {"code": os.waitstatus_to_exitcode(status), "timeout": not finished}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
"""

_server: subprocess.Popen | None = None


def _started() -> subprocess.Popen:
    global _server
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=tempfile.TemporaryFile(),
                                   text=True, cwd=REPO)
        atexit.register(_stop, _server)
    return _server


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.stdin.close()
        server.wait(10)


def run(args, *, cwd: Path, env: dict | None = None, timeout: float = 60,
        memory: int = 2 * 2**30, audit=None) -> tuple[int, str, str]:
    """``build_pdf.py ARGS`` in a child process -> (exit status, stdout, stderr); a child
    ended by a signal has the negative signal number, as with `subprocess`."""
    server = _started()
    with tempfile.TemporaryDirectory() as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        out.touch()
        err.touch()
        request = {"args": [str(a) for a in args], "cwd": str(cwd or os.getcwd()),
                   "env": {**os.environ, **(env or {})}, "timeout": timeout, "memory": memory,
                   "stdout": str(out), "stderr": str(err),
                   "audit": [audit[0], [list(i) for i in audit[1]]] if audit else None}
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        answer = server.stdout.readline()
        if not answer:
            server.wait()
            server.stderr.seek(0)
            raise RuntimeError(f"the command-line server ended (exit {server.returncode}): "
                               + server.stderr.read().decode(errors="replace")[-2000:])
        reply = json.loads(answer)
        if reply["timeout"]:
            raise subprocess.TimeoutExpired(["build_pdf.py", *request["args"]], timeout)
        return reply["code"], out.read_text(), err.read_text()
