"""What a worker does once per article and once per PDF: an article's jobs go to one
worker together and share its load, checks, citations and Markdown body; the download
site's thumbnail of a handout is made by the worker that built it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pdfcheck import FICTIONAL, REPO


def _jobs(config, md: Path, variants) -> list:
    from handouts.batch.jobs import Job

    return [Job(md, md.parent.name, v, config.paper, default_paper=config.paper) for v in variants]


def test_tasks_keep_an_articles_jobs_together_and_split_only_to_feed_idle_workers():
    from handouts.batch.executors import tasks
    from handouts.batch.jobs import Job

    a, b = Path("source/a/article.md"), Path("source/b/article.md")
    jobs_a = [Job(a, "a", v) for v in ("handout", "booklet", "press")]
    jobs_b = [Job(b, "b", v) for v in ("handout", "large-print")]
    mixed = [jobs_a[0], jobs_b[0], jobs_a[1], jobs_b[1], jobs_a[2]]
    assert tasks(mixed, 1) == [jobs_a, jobs_b]  # in the order the articles come
    assert tasks(mixed, 2) == [jobs_a, jobs_b]
    assert tasks(mixed, 3) == [jobs_a[:2], jobs_a[2:], jobs_b]  # the biggest group halved
    assert sorted(map(len, tasks(mixed, 8))) == [1] * 5  # never below one job a task
    assert tasks(jobs_a, 2) == [jobs_a[:2], jobs_a[2:]]  # one article, two workers


def test_an_articles_jobs_load_it_once_and_build_what_each_would_alone(project, monkeypatch):
    import handouts.source.article as loader
    from handouts.batch.build import build_job, build_jobs
    from handouts.project.config import load_config

    config = load_config(project)
    md = project / "source" / FICTIONAL / "article.md"
    loads = []
    real = loader.load_article
    monkeypatch.setattr(loader, "load_article", lambda path, *a, **k: loads.append(path) or
                        real(path, *a, **k))
    together = build_jobs(config, _jobs(config, md, ("handout", "large-print")))
    assert loads == [md]
    assert [r.ok for r in together] == [True, True]
    assert together[0].warnings == together[1].warnings  # the article's, said by each job
    alone = build_job(config, _jobs(config, md, ("large-print",))[0])
    assert [f.data for f in alone.files] == [f.data for f in together[1].files]


def test_an_article_that_fails_to_load_fails_each_of_its_jobs_alike(project):
    from handouts.batch.build import build_jobs
    from handouts.project.config import load_config

    md = project / "source" / FICTIONAL / "article.md"
    md.write_text(md.read_text().replace("updated: 2024-03-02", "updated: 2024-02-30"))
    config = load_config(project)
    results = build_jobs(config, _jobs(config, md, ("handout", "booklet")))
    assert all(r.error is not None and not r.files for r in results)
    assert [str(p) for p in results[0].error.problems] == [str(p) for p in results[1].error.problems]
    assert f"{md}:15: error:" in str(results[0].error.problems[0])


def test_workers_build_an_articles_jobs_together_and_make_its_thumbnail(project, tmp_path):
    """Two articles, two variants each, two workers: each article's jobs come back from
    one worker, the handout's thumbnail is in place for the site (recording the PDF it
    shows), and the parent process never loads the PDF renderer or the rasterizer. The
    build runs from a folder holding a `handouts` package of its own: no process of the
    build imports it."""
    second = project / "source" / "second-fictional-guide"
    shutil.copytree(project / "source" / FICTIONAL, second)
    here = tmp_path / "somewhere"
    for name in ("handouts", "weasyprint"):
        (here / name).mkdir(parents=True)
        (here / name / "__init__.py").write_text("raise SystemExit('imported from the folder')\n")
    probe = """if __name__ == "__main__":  # the workers import this file again
        import json, sys
        from pathlib import Path
        from handouts.batch import run as batch
        from handouts.project.config import load_config

        report = batch.run(load_config(Path(sys.argv[1])), [],
                           batch.BatchOptions(variants=("handout", "booklet"), jobs=2))
        workers = {}
        for result in report.built:
            workers.setdefault(result.job.slug, set()).add(result.worker)
        print(json.dumps({"failed": report.failed_jobs,
                          "workers": {slug: len(w) for slug, w in workers.items()},
                          "heavy": [m for m in ("weasyprint", "pypdfium2") if m in sys.modules]}))
        """
    script = tmp_path / "probe" / "probe.py"  # run as a file: the current folder is not on its path
    script.parent.mkdir()
    script.write_text(probe, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(project)], capture_output=True,
                          text=True, cwd=here, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures == {"failed": 0, "heavy": [],
                       "workers": {FICTIONAL: 1, "second-fictional-guide": 1}}, figures
    from PIL import Image

    for slug in (FICTIONAL, "second-fictional-guide"):
        pdf = (project / "dist" / f"{slug}.pdf").read_bytes()
        with Image.open(project / "dist" / slug / "thumb.png") as thumb:
            assert thumb.info["source-sha256"] == hashlib.sha256(pdf).hexdigest()
            assert thumb.width == 240
        assert 'src="thumb.png"' in (project / "dist" / slug / "index.html").read_text()
