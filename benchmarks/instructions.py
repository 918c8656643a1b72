"""Instructions an article costs in a batch worker, counted by Valgrind:
``python3 benchmarks/instructions.py [--baseline CHECKOUT]``.

On a shared virtual machine, wall and CPU time drift by 20 % within minutes (batch.py's
first line shows how much of a second core the host gives); the number of instructions a
build executes does not: the same engine and articles give the same count to within
0.1 %, whatever else runs. This compares the work an article costs, which the timed
benchmarks then show with the host's noise around it.

A worker-like process (the pipeline imported, WeasyPrint's log silenced, as a pool worker
starts) builds a first fictional ~1,500-word article to fill its caches, then builds
`--articles` more under callgrind's instrumentation (``--instr-atstart=no``, switched on
with ``callgrind_control`` when they start). With ``--baseline``, another checkout's engine
is counted the same way, side by side. Needs ``valgrind`` (Debian: ``apt install
valgrind``); takes about a minute an engine, both at once. Instructions are not time (a
cache miss costs more than an add), so the timed benchmarks stay the judges of the goals.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import batch  # noqa: E402  (benchmarks/batch.py: the same fictional project)
import cold  # noqa: E402  (benchmarks/cold.py: the engine snapshot)


def child(project: Path, count: int) -> None:
    """Build 1 + `count` articles of `project` as a pool worker does, the last `count`
    under callgrind's instrumentation."""
    from handouts.batch import executors
    from handouts.batch.jobs import Job
    from handouts.project.config import load_config

    config = load_config(project)
    articles = sorted((project / "source").glob("*/article.md"))[: count + 1]
    executors._init_worker()
    for i, article in enumerate(articles):
        if i == 1:
            subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True,
                           capture_output=True)
        job = Job(article, article.parent.name, "handout", config.paper, None,
                  default_paper=config.paper)
        result = executors.work(config, [job])[0]
        if not result.ok:
            raise SystemExit(f"{article}: {result.error or result.crash}")


def count(engine: Path, project: Path, articles: int, scratch: Path) -> subprocess.Popen:
    """Start callgrind on `engine` building `project`'s articles (see `child`)."""
    env = {**os.environ, "PYTHONPATH": str(engine), "PYTHONMALLOC": "malloc",
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no",
         f"--callgrind-out-file={scratch / (engine.name + '.callgrind')}",
         sys.executable, str(Path(__file__).resolve()), "--child", str(project),
         "--articles", str(articles)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def collected(process: subprocess.Popen) -> int:
    out, err = process.communicate()
    if process.returncode:
        raise SystemExit(f"benchmarks/instructions.py: valgrind exited {process.returncode}:\n"
                         f"{err[-2000:]}")
    found = re.search(r"Collected : (\d+)", err)
    if not found:
        raise SystemExit("benchmarks/instructions.py: no instruction count in valgrind's output")
    return int(found.group(1))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="benchmarks/instructions.py",
                                description=__doc__.split("\n")[0])
    p.add_argument("--articles", type=int, default=2, help="articles counted (2)")
    p.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                   help="also count another checkout's engine, shown as 'before'")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.articles)
        return 0
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("benchmarks/instructions.py: needs valgrind (apt install valgrind)")
    with tempfile.TemporaryDirectory(prefix="handouts-instructions-") as tmp:
        tmp = Path(tmp)
        project = batch.make_project(tmp / "project", args.articles + 1)
        engines = {"after": cold.snapshot(ROOT, tmp / "after")}
        if args.baseline:
            engines = {"before": cold.snapshot(args.baseline.resolve(), tmp / "before"),
                       **engines}
        running = {name: count(engine, project, args.articles, tmp)
                   for name, engine in engines.items()}
        per_article = {name: collected(proc) / args.articles for name, proc in running.items()}
    for name, value in per_article.items():
        print(f"{name:<6}  {value / 1e6:8.0f} M instructions an article "
              f"(fictional ~1,500 words, handout, in a worker)")
    if "before" in per_article:
        print(f"after / before: {per_article['after'] / per_article['before']:.3f}")
    return 0


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.exit(main())
