"""Batch figures, side by side in one run: ``python3 benchmarks/batch.py``.

Generates N (default 100) fictional ~1,500-word articles (benchmarks/fictional.py) in a
temporary project and times, each as a whole fresh process (what a user waits for):

- pandoc -> WeasyPrint, one `pandoc --citeproc` and one `weasyprint` process per article
  (on a subset, default 20 articles: the figure is per article);
- our batch build with 1 worker, and with 2 workers (process pool), the download site
  left out (it is the same serial step for both);
- an unchanged rebuild (nothing to do), and Python's own start-up for comparison;
- a rebuild after one article changed;
- peak resident memory of each worker (ru_maxrss, reported by the workers);
- the same N articles through a two-worker Dask LocalCluster (cluster start-up shown
  apart);
- the cold single build of the sample article against pandoc -> WeasyPrint.

Nothing is written outside the temporary folder. ``--json`` prints the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = "recovering-mentally-from-a-miscarriage"
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True
import fictional  # noqa: E402

PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


# ---------------------------------------------------------------------------------------
# The child: one batch run in a fresh process, figures as JSON on stdout


def child(root: Path, jobs: int, force: bool, dask: bool, site: bool) -> None:
    started = time.perf_counter()
    from handouts.batch import run as batch
    from handouts.project.config import load_config

    config = load_config(root)
    options = batch.BatchOptions(force=force, jobs=jobs, site=site)
    extra = {}
    if dask:
        from distributed import Client, LocalCluster

        t = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=50)
        client = Client(cluster)
        extra["cluster_start_s"] = time.perf_counter() - t
        t = time.perf_counter()
        report = batch.run(config, [], options, executor=client.get_executor())
        extra["run_s"] = time.perf_counter() - t
        client.close()
        cluster.close()
    else:
        report = batch.run(config, [], options)
    import resource

    print(json.dumps({
        "in_process_s": time.perf_counter() - started, "built": len(report.built),
        "unchanged": len(report.unchanged), "failed": report.failed_jobs,
        "workers_peak_mib": {w: kib / 1024 for w, kib in report.peak_rss_kib.items()},
        "client_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "heavy_modules": [m for m in ("weasyprint", "pypdf", "citeproc", "markdown")
                          if m in sys.modules], **extra}))


def run_child(root: Path, jobs: int = 1, force: bool = False, dask: bool = False,
              site: bool = False) -> dict:
    cmd = [PY, str(Path(__file__).resolve()), "--child", str(root), "--jobs", str(jobs)]
    cmd += ["--force"] if force else []
    cmd += ["--dask"] if dask else []
    cmd += ["--site"] if site else []
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall_s"] = wall
    return figures


# ---------------------------------------------------------------------------------------
# Inputs


def edit_as_the_editor_does(project: Path, article_md: Path) -> None:
    """Change a sentence, then what the editor's workflow adds once the reviewer signs:
    the sign-off bound to the new text (``content:``) and the next edition."""
    from handouts.project.config import load_config
    from handouts.source.article import load_article

    text = article_md.read_text(encoding="utf-8").replace("This article is fictional.",
                                                          "This article is still fictional.")
    article_md.write_text(text, encoding="utf-8")
    signed = load_article(article_md, load_config(project)).content.short
    text = text.replace("    reviewed: 2026-01-01\n",
                        f"    reviewed: 2026-01-01\n    content: {signed}\n", 1)
    article_md.write_text(text.replace("\nedition: 1\n", "\nedition: 2\n", 1), encoding="utf-8")


def make_project(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "handouts.toml", folder / "handouts.toml")
    shutil.copytree(ROOT / "styles", folder / "styles")
    shutil.copytree(ROOT / "source" / SAMPLE, folder / "sample" / "source" / SAMPLE)
    shutil.copy(ROOT / "handouts.toml", folder / "sample" / "handouts.toml")
    shutil.copytree(ROOT / "styles", folder / "sample" / "styles")
    for i in range(1, count + 1):
        article = folder / "source" / f"fictional-article-{i:03d}"
        article.mkdir(parents=True)
        (article / "references.yaml").write_text(fictional.references_yaml(), encoding="utf-8")
        front = fictional.FRONT_MATTER.replace(
            "title: A Fictional Article for Benchmarks",
            f"title: A Fictional Article for Benchmarks, No. {i}")
        (article / "article.md").write_text(front + fictional.article_markdown(seed=i),
                                            encoding="utf-8")
    return folder


def pandoc_weasyprint(article_md: Path, out: Path) -> float:
    """pandoc (with citeproc) to standalone HTML, then the weasyprint command."""
    html, pdf = out.with_suffix(".html"), out.with_suffix(".pdf")
    start = time.perf_counter()
    refs = article_md.parent / "references.yaml"
    cmd = ["pandoc", str(article_md), "-s", "-o", str(html)]
    if refs.exists():
        cmd[2:2] = ["--citeproc", "--bibliography", str(refs)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=article_md.parent)
    subprocess.run([PY, "-m", "weasyprint", str(html), str(pdf)], check=True,
                   capture_output=True, cwd=article_md.parent, env=ENV)
    return time.perf_counter() - start


def python_startup() -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], check=True, env=ENV)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def cold_sample(sample: Path, repeat: int) -> tuple[float, float]:
    ours, theirs = [], []
    md = sample / "source" / SAMPLE / "article.md"
    for i in range(repeat):  # alternate, so a busy machine slows both alike
        start = time.perf_counter()
        build_pdf = Path(ENV["PYTHONPATH"]) / "build_pdf.py"  # the engine snapshot's
        subprocess.run([PY, str(build_pdf), "--root", str(sample), "--force", "-q"],
                       check=True, env=ENV, stderr=subprocess.DEVNULL)
        ours.append(time.perf_counter() - start)
        theirs.append(pandoc_weasyprint(md, sample / f"pandoc-{i}"))
    return statistics.median(ours), statistics.median(theirs)


# ---------------------------------------------------------------------------------------


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="benchmarks/batch.py", description=__doc__.split("\n")[0])
    p.add_argument("--articles", type=int, default=100, help="articles to generate (100)")
    p.add_argument("--pandoc-articles", type=int, default=20,
                   help="articles timed through pandoc -> WeasyPrint (20; per-article figure)")
    p.add_argument("--repeat", type=int, default=3, help="cold sample builds, median (3)")
    p.add_argument("--no-dask", action="store_true", help="skip the LocalCluster run")
    p.add_argument("--json", action="store_true")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--dask", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--site", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.jobs, args.force, args.dask, args.site)
        return 0

    n = args.articles
    with tempfile.TemporaryDirectory(prefix="handouts-engine-") as engine:
        # A snapshot of the engine: the inputs hash covers handouts' own source, so edits
        # to the working tree during the run must not turn "unchanged" into "rebuilt".
        shutil.copytree(ROOT / "handouts", Path(engine) / "handouts",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "build_pdf.py", Path(engine) / "build_pdf.py")
        ENV["PYTHONPATH"] = engine
        return _measure(args, n)


def _measure(args, n: int) -> int:
    fig: dict = {"articles": n, "cores": os.cpu_count(), "python": platform.python_version(),
                 "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="handouts-batch-bench-") as tmp:
        project = make_project(Path(tmp) / "project", n)
        articles = sorted((project / "source").glob("*/article.md"))
        words = statistics.mean(fictional.word_count(a) for a in articles[:10])
        fig["words_per_article"] = round(words)
        print("words_per_article:", fig["words_per_article"], file=sys.stderr, flush=True)

        out = Path(tmp) / "pandoc"
        out.mkdir()
        subset = articles[: args.pandoc_articles]
        pandoc = [pandoc_weasyprint(a, out / a.parent.name) for a in subset]
        fig["pandoc_per_article_s"] = statistics.mean(pandoc)
        print("pandoc_per_article_s:", fig["pandoc_per_article_s"], file=sys.stderr, flush=True)
        fig["pandoc_articles_timed"] = len(subset)
        print("pandoc_articles_timed:", fig["pandoc_articles_timed"], file=sys.stderr, flush=True)

        fig["one_worker"] = run_child(project, jobs=1, force=True)
        print("one_worker:", fig["one_worker"], file=sys.stderr, flush=True)
        fig["two_workers"] = run_child(project, jobs=2, force=True)
        print("two_workers:", fig["two_workers"], file=sys.stderr, flush=True)
        fig["unchanged"] = run_child(project, jobs=2)
        print("unchanged:", fig["unchanged"], file=sys.stderr, flush=True)
        fig["python_startup_s"] = python_startup()
        print("python_startup_s:", fig["python_startup_s"], file=sys.stderr, flush=True)
        changed = articles[n // 2]
        edit_as_the_editor_does(project, changed)
        fig["one_changed"] = run_child(project, jobs=2, site=True)
        print("one_changed:", fig["one_changed"], file=sys.stderr, flush=True)
        if not args.no_dask:
            fig["dask_two_workers"] = run_child(project, jobs=2, force=True, dask=True)
            print("dask_two_workers:", fig["dask_two_workers"], file=sys.stderr, flush=True)
        fig["cold_sample_ours_s"], fig["cold_sample_pandoc_s"] = cold_sample(
            project / "sample", args.repeat)
    fig["load_after"] = os.getloadavg()
    print("load_after:", fig["load_after"], file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(fig, indent=2))
    else:
        print(table(fig))
    return 0


def table(f: dict) -> str:
    n = f["articles"]
    pandoc_total = f["pandoc_per_article_s"] * n
    one, two = f["one_worker"]["wall_s"], f["two_workers"]["wall_s"]
    peaks = list(f["two_workers"]["workers_peak_mib"].values())
    rows = [
        (f"{n} fictional articles (~{f['words_per_article']} words), {f['cores']} cores, "
         f"load {f['load_before'][0]:.1f} before / {f['load_after'][0]:.1f} after", "", ""),
        ("pandoc -> WeasyPrint, a process each per article",
         f"{pandoc_total:.1f} s", f"{f['pandoc_per_article_s']:.2f} s/article "
         f"(timed on {f['pandoc_articles_timed']})"),
        ("ours, 1 worker (--jobs 1 --force)", f"{one:.1f} s",
         f"{one / n:.3f} s/article; {pandoc_total / one:.1f}x faster than pandoc"),
        ("ours, 2 workers (--jobs 2 --force)", f"{two:.1f} s",
         f"{one / two:.2f}x over 1 worker (goal 1.8x); {pandoc_total / two:.1f}x faster "
         "than pandoc (goal 6x)"),
        ("unchanged rebuild (nothing to do)", f"{f['unchanged']['wall_s']:.2f} s",
         f"Python start-up alone {f['python_startup_s']:.2f} s -> "
         f"{f['unchanged']['wall_s'] - f['python_startup_s']:.2f} s beyond it; heavy modules "
         f"imported: {f['unchanged']['heavy_modules'] or 'none'}"),
        ("rebuild after one article changed", f"{f['one_changed']['wall_s']:.2f} s",
         f"{f['one_changed']['built']} built, {f['one_changed']['unchanged']} unchanged "
         "(download site refreshed too)"),
        ("peak memory per worker (2 workers)", f"{max(peaks):.0f} MiB" if peaks else "-",
         f"goal <= 150 MiB; each: {', '.join(f'{p:.0f}' for p in sorted(peaks))} MiB; "
         f"client {f['two_workers']['client_peak_mib']:.0f} MiB"),
    ]
    if "dask_two_workers" in f:
        d = f["dask_two_workers"]
        rows.append(("same through a 2-worker Dask LocalCluster", f"{d['run_s']:.1f} s",
                     f"+ {d['cluster_start_s']:.1f} s cluster start-up; "
                     f"{one / d['run_s']:.2f}x over 1 local worker"))
    ours, theirs = f["cold_sample_ours_s"], f["cold_sample_pandoc_s"]
    rows.append(("cold single build of the sample (whole process)", f"{ours:.2f} s",
                 f"pandoc -> WeasyPrint {theirs:.2f} s: {ours / theirs:.2f}x (goal <= 1.0x)"))
    w0 = max(len(r[0]) for r in rows[1:])
    w1 = max(len(r[1]) for r in rows[1:])
    lines = [rows[0][0]]
    lines += [f"  {a:<{w0}}  {b:>{w1}}  {c}" for a, b, c in rows[1:]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
