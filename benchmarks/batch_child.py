"""One batch run in a fresh process, its figures as JSON on stdout: the child that
``benchmarks/batch.py`` times (``batch_child.py PROJECT JOBS [force] [dask] [site]``).

It imports the engine and nothing of the harness (batch.py's own modules and tools cost
~20 ms), so that the wall time of an unchanged rebuild is the tool's.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    started = time.perf_counter()
    root, jobs, flags = Path(argv[0]), int(argv[1]), set(argv[2:])
    from handouts.batch import run as batch
    from handouts.project.config import load_config

    config = load_config(root)
    options = batch.BatchOptions(force="force" in flags, jobs=jobs, site="site" in flags)
    extra = {}
    if "dask" in flags:
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

    # A pool's fork server (and through it the workers) is reaped now, so that their CPU
    # time counts in this process's children, as the parent measures it.
    if (forkserver := sys.modules.get("multiprocessing.forkserver")) is not None:
        forkserver._forkserver._stop()

    print(json.dumps({
        "in_process_s": time.perf_counter() - started, "built": len(report.built),
        "unchanged": len(report.unchanged), "failed": report.failed_jobs,
        "first_failure": next((f"{f.path}: {[str(p) for p in f.problems]} {f.crash}"
                               for f in report.failed), None),
        "workers_peak_mib": {w: kib / 1024 for w, kib in report.peak_rss_kib.items()},
        "client_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "heavy_modules": [m for m in ("weasyprint", "pypdf", "citeproc", "markdown")
                          if m in sys.modules], **extra}))


if __name__ == "__main__":
    main(sys.argv[1:])
