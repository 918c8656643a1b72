"""Batch figures, side by side in one run: ``python3 benchmarks/batch.py``.

Generates N (default 100) fictional ~1,500-word articles (benchmarks/fictional.py) in a
temporary project and times, each as a whole fresh process (what a user waits for):

- pandoc -> WeasyPrint, one `pandoc --citeproc` and one `weasyprint` process per article
  (on a subset, default 20 articles: the figure is per article), half of them just before
  our two-worker batch and half just after it;
- our batch build with 2 workers (process pool), and with 1 worker once before and once
  after it (the mean is the figure), the download site left out (it is the same serial
  step for both): a machine whose speed drifts during the run moves both sides of each
  ratio alike;
- an unchanged rebuild (nothing to do): `handouts build` as a user runs it (median of 5),
  against Python's own start-up, and the run alone in a process that reports what it imported;
- a rebuild after one article changed;
- peak resident memory of each worker (ru_maxrss, reported by the workers);
- the same N articles through a two-worker Dask LocalCluster (cluster start-up shown
  apart);
- the cold single build of the sample article against pandoc -> WeasyPrint (a fresh
  ``dist/`` each time, as benchmarks/cold.py times it);
- with ``--suite``, the test suite as the README runs it.

First comes the issue's table: each measure, its goal, and whether this run met it; the
load average before and after is on its first line. Times are wall-clock; "CPU" figures
(user + system, all processes) change less with the load of a shared machine. The engine
runs from a snapshot with its bytecode compiled, as an installed package does.

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
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True
import cold  # noqa: E402
import fictional  # noqa: E402

PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
#: The goals (issue 21's table).
GOALS = {"cold_ratio": 1.0, "speedup_vs_pandoc": 6.0, "scaling": 1.8, "worker_mib": 150.0,
         "unchanged_beyond_startup_s": 0.5, "suite_s": 180.0}


# ---------------------------------------------------------------------------------------
# The child: one batch run in a fresh process (batch_child.py), figures as JSON on stdout


def run_child(root: Path, jobs: int = 1, force: bool = False, dask: bool = False,
              site: bool = False) -> dict:
    cmd = [PY, str(HERE / "batch_child.py"), str(root), str(jobs)]
    cmd += [flag for flag, on in (("force", force), ("dask", dask), ("site", site)) if on]
    start, cpu0 = time.perf_counter(), cold.cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["failed"]:
        raise SystemExit(f"benchmark: {figures['failed']} job(s) failed in {' '.join(cmd[2:])}; "
                         f"the first: {figures['first_failure']}")
    figures["wall_s"], figures["cpu_s"] = wall, cold.cpu() - cpu0
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


def unchanged_command(project: Path) -> float:
    """Median wall seconds of ``handouts build`` with nothing to do, as a user runs it
    (the engine's command line, its report and replayed warnings captured)."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([PY, str(Path(ENV["PYTHONPATH"]) / "build_pdf.py"), "--root", str(project)],
                       check=True, env=ENV, capture_output=True)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


#: A pure-Python loop: what two processes of it do against one shows how far this host
#: runs two CPU-bound processes side by side (2.0: fully; a VM whose two virtual CPUs share
#: a physical core, or a busy host, gives less).
_SPIN = "x = 0\nfor i in range(4_000_000): x += i * i"


def host_parallelism() -> float:
    """Throughput of two spinning processes against one (best of 3 each): the bound on
    what any program's second worker can add on this host right now."""
    def timed(count: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([PY, "-c", _SPIN]) for _ in range(count)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    one = min(timed(1) for _ in range(3))
    two = min(timed(2) for _ in range(3))
    return 2 * one / two


def python_startup() -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], check=True, env=ENV)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def cold_sample(folder: Path, repeat: int) -> dict:
    """The cold single build of the sample (fresh process, fresh dist/) and pandoc ->
    WeasyPrint, taking turns: medians of wall and CPU seconds."""
    article = cold.make_project(folder / "sample", "sample")
    engine = Path(ENV["PYTHONPATH"])
    ours, theirs = [], []
    for i in range(repeat):  # alternate, so a busy machine slows both alike
        ours.append(cold.ours(engine, folder / "sample"))
        theirs.append(cold.pandoc(article, folder / f"sample-pandoc-{i}"))
    return {"ours_s": statistics.median(r[0] for r in ours),
            "ours_cpu_s": statistics.median(r[1] for r in ours),
            "pandoc_s": statistics.median(r[0] for r in theirs),
            "pandoc_cpu_s": statistics.median(r[1] for r in theirs)}


def suite() -> dict:
    """The test suite as the README runs it: wall and CPU seconds, and its last line."""
    start, cpu0 = time.perf_counter(), cold.cpu()
    done = subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines() or [""]
    return {"wall_s": time.perf_counter() - start, "cpu_s": cold.cpu() - cpu0, "summary": lines[-1],
            "failed": [line for line in lines if line.startswith(("FAILED ", "ERROR "))]}


# ---------------------------------------------------------------------------------------


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="benchmarks/batch.py", description=__doc__.split("\n")[0])
    p.add_argument("--articles", type=int, default=100, help="articles to generate (100)")
    p.add_argument("--pandoc-articles", type=int, default=20,
                   help="articles timed through pandoc -> WeasyPrint (20; per-article figure)")
    p.add_argument("--repeat", type=int, default=3, help="cold sample builds, median (3)")
    p.add_argument("--no-dask", action="store_true", help="skip the LocalCluster run")
    p.add_argument("--suite", action="store_true", help="also time the test suite (minutes)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    n = args.articles
    with tempfile.TemporaryDirectory(prefix="handouts-engine-") as engine:
        # A snapshot of the engine: the inputs hash covers handouts' own source, so edits
        # to the working tree during the run must not turn "unchanged" into "rebuilt".
        ENV["PYTHONPATH"] = str(cold.snapshot(ROOT, Path(engine)))
        return _measure(args, n)


def _measure(args, n: int) -> int:
    fig: dict = {"articles": n, "cores": os.cpu_count(), "python": platform.python_version(),
                 "load_before": os.getloadavg(), "host_parallel": [host_parallelism()]}
    print("host_parallel:", fig["host_parallel"], file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="handouts-batch-bench-") as tmp:
        project = make_project(Path(tmp) / "project", n)
        articles = sorted((project / "source").glob("*/article.md"))
        words = statistics.mean(fictional.word_count(a) for a in articles[:10])
        fig["words_per_article"] = round(words)
        print("words_per_article:", fig["words_per_article"], file=sys.stderr, flush=True)

        out = Path(tmp) / "pandoc"
        out.mkdir()
        subset = articles[: args.pandoc_articles]
        half = (len(subset) + 1) // 2
        # Everything the two-worker batch is compared with is timed on both sides of it:
        # one-worker batch, half the pandoc articles, [two workers], the other half, the
        # one-worker batch again. A machine whose speed drifts during the run then moves
        # both sides of each ratio alike.
        ones = [run_child(project, jobs=1, force=True)]
        print("one_worker (before):", ones[0], file=sys.stderr, flush=True)
        pandoc = [cold.pandoc(a, out / a.parent.name) for a in subset[:half]]
        fig["two_workers"] = run_child(project, jobs=2, force=True)
        print("two_workers:", fig["two_workers"], file=sys.stderr, flush=True)
        pandoc += [cold.pandoc(a, out / a.parent.name) for a in subset[half:]]
        ones.append(run_child(project, jobs=1, force=True))
        print("one_worker (after):", ones[1], file=sys.stderr, flush=True)
        fig["one_worker"] = {**ones[0], **{key: statistics.mean(one[key] for one in ones)
                                           for key in ("wall_s", "cpu_s", "in_process_s")}}
        fig["one_worker_before_after_s"] = [one["wall_s"] for one in ones]
        fig["pandoc_per_article_s"] = statistics.mean(wall for wall, _ in pandoc)
        fig["pandoc_per_article_cpu_s"] = statistics.mean(cpu for _, cpu in pandoc)
        fig["pandoc_before_after_s"] = [statistics.mean(w for w, _ in pandoc[:half]),
                                        statistics.mean(w for w, _ in pandoc[half:] or pandoc)]
        print("pandoc_per_article_s:", fig["pandoc_per_article_s"], "before / after 2 workers:",
              fig["pandoc_before_after_s"], file=sys.stderr, flush=True)
        fig["pandoc_articles_timed"] = len(subset)
        fig["unchanged"] = run_child(project, jobs=2)
        print("unchanged:", fig["unchanged"], file=sys.stderr, flush=True)
        fig["unchanged_command_s"] = unchanged_command(project)
        print("unchanged_command_s:", fig["unchanged_command_s"], file=sys.stderr, flush=True)
        fig["python_startup_s"] = python_startup()
        print("python_startup_s:", fig["python_startup_s"], file=sys.stderr, flush=True)
        changed = articles[n // 2]
        edit_as_the_editor_does(project, changed)
        fig["one_changed"] = run_child(project, jobs=2, site=True)
        print("one_changed:", fig["one_changed"], file=sys.stderr, flush=True)
        if not args.no_dask:
            fig["dask_two_workers"] = run_child(project, jobs=2, force=True, dask=True)
            print("dask_two_workers:", fig["dask_two_workers"], file=sys.stderr, flush=True)
        fig["cold_sample"] = cold_sample(Path(tmp), args.repeat)
        print("cold_sample:", fig["cold_sample"], file=sys.stderr, flush=True)
    if args.suite:
        fig["suite"] = suite()
        print("suite:", fig["suite"], file=sys.stderr, flush=True)
    fig["host_parallel"].append(host_parallelism())
    fig["load_after"] = os.getloadavg()
    print("load_after:", fig["load_after"], file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(fig, indent=2))
    else:
        print(goals(fig))
        print()
        print(table(fig))
    return 0


def goals(f: dict) -> str:
    """The issue's table: each measure, this run's figure, its goal, and whether it was met."""
    n, c, g = f["articles"], f["cold_sample"], GOALS
    pandoc_total = f["pandoc_per_article_s"] * n
    one, two = f["one_worker"]["wall_s"], f["two_workers"]["wall_s"]
    peak = max(f["two_workers"]["workers_peak_mib"].values(), default=0.0)
    beyond = f["unchanged_command_s"] - f["python_startup_s"]
    cold_ratio = c["ours_s"] / c["pandoc_s"]
    rows = [
        ("cold build of the sample, whole process, vs pandoc -> WeasyPrint",
         f"{cold_ratio:.2f}x ({c['ours_s']:.2f} s vs {c['pandoc_s']:.2f} s; CPU "
         f"{c['ours_cpu_s'] / c['pandoc_cpu_s']:.2f}x)", f"<= {g['cold_ratio']:.1f}x",
         cold_ratio <= g["cold_ratio"]),
        (f"{n} articles, 2 workers, vs pandoc once per article",
         f"{pandoc_total / two:.1f}x faster ({two:.1f} s vs {pandoc_total:.0f} s)",
         f">= {g['speedup_vs_pandoc']:.0f}x", pandoc_total / two >= g["speedup_vs_pandoc"]),
        ("2 workers vs 1", f"{one / two:.2f}x ({two:.1f} s vs {one:.1f} s)",
         f">= {g['scaling']:.1f}x", one / two >= g["scaling"]),
        ("peak memory per worker", f"{peak:.0f} MiB", f"<= {g['worker_mib']:.0f} MiB",
         0 < peak <= g["worker_mib"]),
        ("unchanged rebuild beyond start-up (handouts build)", f"{beyond:.2f} s",
         f"< {g['unchanged_beyond_startup_s']:.1f} s", beyond < g["unchanged_beyond_startup_s"]),
    ]
    if "suite" in f:
        s = f["suite"]
        rows.append(("test suite (README's command)", f"{s['wall_s'] / 60:.1f} min "
                     f"({s['summary']})", f"<= {g['suite_s'] / 60:.0f} min",
                     s["wall_s"] <= g["suite_s"]))
    else:
        rows.append(("test suite (README's command)", "not run (--suite)",
                     f"<= {g['suite_s'] / 60:.0f} min", None))
    w0, w1, w2 = (max(len(r[i]) for r in rows) for i in range(3))
    lines = [f"issue 21's goals: {n} articles, {f['cores']} cores, load "
             f"{f['load_before'][0]:.1f} before / {f['load_after'][0]:.1f} after; two spinning "
             f"processes do {f['host_parallel'][0]:.2f}x / {f['host_parallel'][1]:.2f}x the work "
             "of one (before / after): the host's bound on any second worker"]
    lines += [f"  {a:<{w0}}  {b:<{w1}}  {c:<{w2}}  {'' if ok is None else 'met' if ok else 'MISSED'}"
              for a, b, c, ok in rows]
    return "\n".join(lines)


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
         f"(timed on {f['pandoc_articles_timed']}: {f['pandoc_before_after_s'][0]:.2f} s "
         f"before our 2 workers, {f['pandoc_before_after_s'][1]:.2f} s after)"),
        ("ours, 1 worker (--jobs 1 --force)", f"{one:.1f} s",
         f"{one / n:.3f} s/article (mean of {f['one_worker_before_after_s'][0]:.1f} s before "
         f"our 2 workers and {f['one_worker_before_after_s'][1]:.1f} s after); "
         f"{pandoc_total / one:.1f}x faster than pandoc; "
         f"CPU {f['one_worker']['cpu_s'] / n:.3f} s/article (pandoc "
         f"{f['pandoc_per_article_cpu_s']:.2f})"),
        ("ours, 2 workers (--jobs 2 --force)", f"{two:.1f} s",
         f"{one / two:.2f}x over 1 worker (goal 1.8x); {pandoc_total / two:.1f}x faster "
         f"than pandoc (goal 6x); CPU {f['two_workers']['cpu_s'] / n:.3f} s/article"),
        ("unchanged rebuild (handouts build)", f"{f['unchanged_command_s']:.2f} s",
         f"Python start-up alone {f['python_startup_s']:.2f} s -> "
         f"{f['unchanged_command_s'] - f['python_startup_s']:.2f} s beyond it "
         f"(median of 5); the run alone (batch.run) {f['unchanged']['wall_s']:.2f} s, heavy "
         f"modules imported: {f['unchanged']['heavy_modules'] or 'none'}"),
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
    c = f["cold_sample"]
    rows.append(("cold single build of the sample (whole process)", f"{c['ours_s']:.2f} s",
                 f"pandoc -> WeasyPrint {c['pandoc_s']:.2f} s: {c['ours_s'] / c['pandoc_s']:.2f}x "
                 f"(goal <= 1.0x); CPU {c['ours_cpu_s']:.2f} s vs {c['pandoc_cpu_s']:.2f} s"))
    w0 = max(len(r[0]) for r in rows[1:])
    w1 = max(len(r[1]) for r in rows[1:])
    lines = [rows[0][0]]
    lines += [f"  {a:<{w0}}  {b:>{w1}}  {c}" for a, b, c in rows[1:]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
