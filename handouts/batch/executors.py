"""Where jobs are built: this process (one job, or ``--jobs 1``), a process pool, or any
`concurrent.futures.Executor` the caller gives (Dask's ``client.get_executor()``).

Each yields a `JobResult` per job as they finish; a job the executor lost (a dead worker)
comes back as a `Crash`, so one broken article never stops the batch. A worker builds
with the run's `builder` (default `handouts.batch.build.build_job`, imported in the worker
only) and returns bytes: workers never write.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing

from handouts.batch import jobs as planning
from handouts.project.config import Config
from handouts.batch.jobs import Crash, Job, JobResult


def work(config: Config, job: Job, builder=None):
    """Build one job with `builder` (None: `build_job`, imported here) — in a worker
    process, on a Dask worker, or in-process."""
    if builder is not None:
        return builder(config, job)
    _init_worker()
    from handouts.batch.build import build_job

    return build_job(config, job)


def _init_worker() -> None:
    """Each pool worker imports WeasyPrint and the pipeline once, before its first job;
    WeasyPrint's log goes nowhere (the render stage collects its warnings)."""
    import importlib
    import logging

    importlib.import_module("handouts.batch.build")  # WeasyPrint and the pipeline, once

    logger = logging.getLogger("weasyprint")
    logger.handlers[:] = [logging.NullHandler()]
    logger.propagate = False


def execute(config: Config, todo: list[Job], executor, workers: int | None, builder=None):
    """Yield a `JobResult` per job, in the order they finish."""
    if not todo:
        return
    if executor is not None:
        yield from _from_executor(config, todo, executor, builder)
        return
    workers = min(workers or planning.default_workers(), len(todo))
    if workers <= 1:
        for job in todo:  # one job, or --jobs 1: no pool to start
            yield work(config, job, builder)
        return
    yield from _from_pool(config, todo, workers, builder)


def _pool(workers: int) -> cf.ProcessPoolExecutor:
    # forkserver: workers start from a clean interpreter that has imported the
    # pipeline once (no fork of a parent holding threads or a progress bar).
    context = multiprocessing.get_context("forkserver")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                  initializer=_init_worker)


def _from_pool(config: Config, todo: list[Job], workers: int, builder=None):
    """A process pool; a worker that dies (segfault, out of memory) breaks the pool:
    the jobs it took down are retried once in a fresh pool, then one at a time, so the
    job that kills its worker is the only one reported."""
    queue, alone = list(todo), False
    while queue:
        broken: list[Job] = []
        batch, rest = (queue[:1], queue[1:]) if alone else (queue, [])
        pool = _pool(1 if alone else workers)
        try:
            futures = {pool.submit(work, config, job, builder): job for job in batch}
            for future in cf.as_completed(futures):
                try:
                    yield future.result()
                except cf.process.BrokenProcessPool:
                    broken.append(futures[future])
                except Exception as exc:
                    yield _lost(futures[future], exc)
        finally:  # Ctrl-C, or the caller stopped: drop the queued jobs, do not wait for them
            pool.shutdown(wait=True, cancel_futures=True)
        if alone:
            for job in broken:
                yield _lost(job, RuntimeError("the worker process building it died "
                                              "(a crash in a native library, or out of memory)"))
            queue = rest
        else:
            queue, alone = [j for j in todo if j in broken], bool(broken)


def _lost(job: Job, exc: BaseException):
    return JobResult(job, crash=Crash(type(exc).__name__, str(exc) or repr(exc), ""))


# ---------------------------------------------------------------------------------------
# Any executor: Dask's, or one the caller made


def _from_executor(config: Config, todo: list[Job], executor, builder=None):
    futures = {executor.submit(work, config, job, builder): job for job in todo}
    try:
        for future in cf.as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # the executor lost the job (a dead worker, …)
                yield _lost(futures[future], exc)
    finally:
        for future in futures:
            future.cancel()
