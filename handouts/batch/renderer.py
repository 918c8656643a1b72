"""Layout and PDF writing in a child process, started as soon as a one-off build begins.

A cold ``handouts build`` of one article waits ~0.4 s for WeasyPrint's import before it
can lay anything out, while reading the project, planning and the article's own work
(load, checks, citations, Markdown, the template) need no WeasyPrint. `RenderProcess`
starts a fresh interpreter that imports the render stage meanwhile; the document is
then laid out and written there, so on two cores the import and the preparation
overlap. A run that builds more than one job (a pool's workers import WeasyPrint
themselves), or nothing, stops it unused.

A call has `render_pdf`'s signature and returns a `RenderedPDF` (written and repaired);
the child's `InputError` (a table too wide, a stylesheet outside the project) is raised
here as itself, anything else as a `RuntimeError` carrying the child's traceback, so
`build_jobs` reports it as a crash, as it would in-process.

The child runs ``python -P`` (the current folder is not put on its path: a ``handouts``
package in an untrusted project folder is never imported), gets no file descriptor but
its pipes, and ends when this process closes them. Requests and answers are pickles
between these two processes of ours."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys

from handouts.errors import InputError
from handouts.pdf.rendered import RenderedPDF

#: How the child starts: it imports the render stage at once.
_CHILD = "from handouts.batch.renderer import serve; serve()"
_SIZE = struct.Struct("!Q")


def _send(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_SIZE.pack(len(data)) + data)
    stream.flush()


def _receive(stream):
    """The next value on `stream`, or None at its end."""
    head = stream.read(_SIZE.size)
    if len(head) < _SIZE.size:
        return None
    (size,) = _SIZE.unpack(head)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


class RenderProcess:
    """A child process that lays documents out, called like `render_pdf`."""

    def __init__(self):
        self._child = subprocess.Popen([sys.executable, "-P", "-c", _CHILD],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.used = False
        #: Called once, while the child lays out the first document: this process would
        #: only wait meanwhile, so the run loads there what it needs after the layout.
        self.while_waiting = None

    def __call__(self, html: str, **kwargs) -> RenderedPDF:
        self.used = True
        try:
            _send(self._child.stdin, (html, kwargs))
            self._wait_usefully()
            reply = _receive(self._child.stdout)
        except (BrokenPipeError, OSError):
            reply = None
        if reply is None:
            raise RuntimeError(f"the render process ended (exit {self._child.poll()})")
        kind, value = reply
        if kind == "input":
            raise value
        if kind == "crash":
            raise RuntimeError(f"in the render process: {value}")
        return RenderedPDF(*value)

    def _wait_usefully(self) -> None:
        task, self.while_waiting = self.while_waiting, None
        if task is not None:
            try:
                task()
            except Exception:  # only loads ahead what is loaded again where it is used
                pass

    def close(self) -> None:
        """End the child and reap it: stopped at once when it laid nothing out (it may be
        still importing), else at the end of its input. Closing again does nothing."""
        if not self.used:
            self._child.kill()
        for stream in (self._child.stdin, self._child.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self._child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()


def serve() -> None:
    """The child: lay out each document read from stdin, answer on the original stdout
    (anything printed goes to stderr), until stdin ends."""
    import logging
    import signal
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from handouts.pdf.render import render_pdf

    logger = logging.getLogger("weasyprint")  # the render stage collects its warnings
    logger.handlers[:] = [logging.NullHandler()]
    logger.propagate = False
    requests = sys.stdin.buffer
    while (request := _receive(requests)) is not None:
        html, kwargs = request
        try:
            pdf = render_pdf(html, **kwargs)
            reply = ("ok", (pdf.data, pdf.pages, pdf.messages))
        except InputError as exc:
            reply = ("input", exc)
        except Exception:  # a bug: its traceback goes back with it
            reply = ("crash", traceback.format_exc())
        try:
            _send(answers, reply)
        except BrokenPipeError:  # the parent is gone
            break
    answers.close()
    os._exit(0)  # nothing to tear down: the parent has what it needs
