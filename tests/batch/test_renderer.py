"""A one-off build lays its single job out in a child process started at once
(handouts/batch/renderer.py): the same PDF, WeasyPrint never imported by the command's
own process, the child's input errors and crashes reported as in-process ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pdfcheck import FICTIONAL, REPO, page_texts

PROBE = """if True:
    import json, sys
    sys.argv = ["handouts", "--root", sys.argv[1], "--force", "-q", sys.argv[2]]
    from handouts.cli import main
    code = main()
    print(json.dumps({"code": code, "weasyprint": "weasyprint" in sys.modules}))
    """


def _every_core() -> None:
    """The command may run on every core (a test worker is pinned to one, and a render
    process is started only with a second core to overlap on)."""
    os.sched_setaffinity(0, range(os.cpu_count()))


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2,
                    reason="the layout goes to a child only with a second core")
def test_a_cold_build_lays_out_apart_and_gives_the_in_process_bytes(project):
    done = subprocess.run([sys.executable, "-c", PROBE, str(project), FICTIONAL],
                          capture_output=True, text=True, cwd=REPO, timeout=120,
                          preexec_fn=_every_core)
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.splitlines()[-1])
    assert probe == {"code": 0, "weasyprint": False}
    apart = project / "dist" / f"{FICTIONAL}.pdf"
    texts = page_texts(apart)
    assert "Medically reviewed by Dr. Test Reviewer, MD" in texts[0]

    from handouts.batch.build import build_one
    from handouts.project.config import load_config

    here = build_one(load_config(project), project / "source" / FICTIONAL / "article.md")
    assert here.error is None and here.crash is None
    assert here.files[0].data == apart.read_bytes()


@pytest.fixture(scope="module")
def child():
    from handouts.batch.renderer import RenderProcess

    process = RenderProcess()
    yield process
    process.close()


def _args(project: Path, **changed) -> dict:
    from handouts.project.config import load_config

    config = load_config(project)
    folder = project / "source" / FICTIONAL
    return {"base_dir": folder, "theme": config.theme,
            "stylesheets": [config.theme.path("base.css")], "limits": config.limits, **changed}


def test_the_childs_input_error_and_crash_come_back_and_it_goes_on(child, project):
    from handouts.errors import InputError

    html = "<html lang='en'><body><h1>Fictional</h1><p>Placeholder text.</p></body></html>"
    with pytest.raises(InputError) as refused:  # a stylesheet outside the project and theme
        child(html, **_args(project, stylesheets=[Path("/etc/hostname")]))
    assert "stylesheet 'hostname'" in str(refused.value)
    with pytest.raises(RuntimeError, match="(?s)in the render process: Traceback.*TypeError"):
        child(html, **_args(project), no_such_option=True)
    pdf = child(html, **_args(project))  # still serving
    assert pdf.data.startswith(b"%PDF-") and pdf.pages == 1 and pdf.messages == ()


def test_the_wait_for_the_layout_is_used_once_and_cannot_spoil_it(child, project):
    """While the child lays out, this process runs `while_waiting` (the run loads what
    publishing needs then): once, and a failure there does not fail the render."""
    html = "<html lang='en'><body><h1>Fictional</h1><p>Placeholder text.</p></body></html>"
    calls = []

    def failing():
        calls.append("called")
        raise OSError("nothing to load")

    child.while_waiting = failing
    first = child(html, **_args(project))
    second = child(html, **_args(project))
    assert calls == ["called"] and child.while_waiting is None
    assert first.data == second.data and first.pages == 1


def test_a_cold_build_loads_the_sites_needs_while_it_waits(project):
    """The one-off build's run hands the render process the site's preparation."""
    from handouts.batch import run as batch
    from handouts.project.config import load_config

    class Recording:
        while_waiting = None

        def __call__(self, html, **kwargs):
            from handouts.pdf.render import render_pdf

            self.task = self.while_waiting
            return render_pdf(html, **kwargs)

        def close(self):
            pass

    renderer = Recording()
    report = batch.run(load_config(project), [FICTIONAL], batch.BatchOptions(force=True),
                       renderer=renderer)
    assert not report.failed
    assert renderer.task.func.__name__ == "prepare_publishing"
    renderer.task()  # loads without error
    assert "pypdfium2" in sys.modules


def test_a_render_process_that_died_is_a_crash_not_a_hang(project):
    from handouts.batch.renderer import RenderProcess

    process = RenderProcess()
    process._child.kill()
    process._child.wait()
    with pytest.raises(RuntimeError, match="the render process ended"):
        process("<p>x</p>", **_args(project))
    process.close()


def test_an_unused_render_process_is_stopped_at_once_not_waited_for():
    """A run with nothing to build, or more than one job, closes it unused: killed, not
    left to finish importing WeasyPrint while the command waits."""
    import signal

    from handouts.batch.renderer import RenderProcess

    process = RenderProcess()
    process.close()
    assert process._child.returncode == -signal.SIGKILL


def test_a_run_with_nothing_or_more_to_build_stops_the_render_process_at_once(project):
    """An unchanged rebuild (no job) or a batch (a pool's workers render) does not keep an
    idle child for the length of the run."""
    import signal

    from handouts.batch.executors import execute
    from handouts.batch.renderer import RenderProcess
    from handouts.project.config import load_config

    process = RenderProcess()
    assert list(execute(load_config(project), [], None, 1, renderer=process)) == []
    assert process._child.returncode == -signal.SIGKILL
