"""Where the batch's jobs run: this process, a process pool, or a Dask cluster.

`execute` yields one `JobResult` per job, in the order they finish: with no executor a
process pool of `workers` (this process when there is one job), else any
`concurrent.futures.Executor`. `from_url` turns ``--executor`` (``dask://HOST:PORT``) into
such an executor for the length of a ``with`` block: the address and
``HANDOUTS_DASK_TIMEOUT`` are checked before connecting, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import gc
import os

from handouts.batch import jobs as planning
from handouts.batch.jobs import Crash, Job, JobResult
from handouts.errors import InputError
from handouts.guard import limits as limits_mod
from handouts.project.config import Config


@contextlib.contextmanager
def from_url(url: str | None, limits=None):
    """``--executor URL`` -> the executor to give `run` while the block runs (None: the
    default pool); a Dask client is closed when the block ends."""
    if not url or url in ("process", "local"):
        yield None
        return
    executor, close = dask_executor(url, os.environ.get("HANDOUTS_DASK_TIMEOUT"),
                                    limits_mod.get(limits, "dask_message_bytes"))
    try:
        yield executor
    finally:
        close()


def work(config: Config, jobs: list[Job], builder=None, renderer=None) -> list[JobResult]:
    """Build `jobs` (one task of `tasks`) with `builder`, job by job; by default with
    `build_jobs` (imported here), which does each article's own work once for all its
    jobs — in a worker process, on a Dask worker, or in-process (`renderer`: where it
    lays documents out, when not here)."""
    global _tasks_built
    if builder is not None:
        return [builder(config, job) for job in jobs]
    from handouts.batch.build import build_jobs

    if renderer is not None:
        return build_jobs(config, jobs, renderer)
    _init_worker()

    if _tasks_built:  # a laid-out document is a web of reference cycles: the last task's
        gc.collect()  # are freed now, so a worker's memory stays flat from article to article
        if _tasks_built == 1:  # what the first build left is the caches it filled (fonts,
            gc.freeze()  # stylesheets, hyphenation): kept for good, never walked again
    _tasks_built += 1
    return build_jobs(config, jobs)


def tasks(todo: list[Job], workers: int) -> list[list[Job]]:
    """The jobs grouped into what one worker builds at a time: all the jobs of an article
    together (its load, checks, citations and Markdown body are then done once), in the
    order of `todo`. When there are fewer articles than `workers`, the biggest groups are
    halved until every worker has a task or every task is one job."""
    groups: dict = {}
    for job in todo:
        groups.setdefault(job.article, []).append(job)
    out = list(groups.values())
    while len(out) < workers:
        big = max(range(len(out)), key=lambda i: len(out[i]))
        if len(out[big]) < 2:
            break
        task = out.pop(big)
        out[big:big] = [task[:(len(task) + 1) // 2], task[(len(task) + 1) // 2:]]
    return out


_frozen = False  # `_init_worker` has frozen the imports
_tasks_built = 0  # by `work` in this process
#: Allocations between two collections of the youngest generation in a worker (Python: 700).
GC_YOUNG = 10_000


def _init_worker() -> None:
    """Each pool worker imports WeasyPrint and the pipeline once, before its first job;
    WeasyPrint's log goes nowhere (the render stage collects its warnings).

    The first time, what the imports made goes to the garbage collector's permanent
    generation (`gc.freeze`): modules live as long as the process, and the collections
    the builds trigger then no longer walk them. Only once per process; `work` freezes
    once more what the first build left after its garbage was collected (the caches it
    filled), so no job's garbage is ever frozen. A build allocates a great many
    short-lived objects (layout boxes): the youngest generation is collected every
    `GC_YOUNG` allocations instead of Python's 700, so far fewer survivors are promoted
    and walked again (together ~0.1 s less per build)."""
    import importlib
    import logging

    global _frozen
    importlib.import_module("handouts.batch.build")  # the pipeline, once
    importlib.import_module("handouts.pdf.render")  # WeasyPrint
    if not _frozen:
        gc.freeze()
        gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
        _frozen = True

    logger = logging.getLogger("weasyprint")
    logger.handlers[:] = [logging.NullHandler()]
    logger.propagate = False


def execute(config: Config, todo: list[Job], executor, workers: int | None, builder=None, *,
            renderer=None):
    """Yield a `JobResult` per job, an article's together, in the order they finish.
    `renderer`: where a single job built in this process is laid out (a `RenderProcess`);
    stopped here at once when the run will not use it (more jobs, or none)."""
    apart = renderer if builder is None and executor is None and len(todo) == 1 else None
    if renderer is not None and apart is None:
        renderer.close()
    if not todo:
        return
    workers = workers or planning.default_workers()
    if executor is not None:
        yield from _from_executor(config, tasks(todo, workers), executor, builder)
        return
    workers = min(workers, len(todo))
    if workers > 1:
        yield from _from_pool(config, todo, workers, builder)
        return
    for task in tasks(todo, 1):  # one job, or --jobs 1: no pool to start
        yield from work(config, task, builder, apart)


def _from_executor(config: Config, todo: list[list[Job]], executor, builder=None):
    import concurrent.futures as cf

    futures = {executor.submit(work, config, task, builder): task for task in todo}
    try:
        for future in cf.as_completed(futures):
            try:
                yield from future.result()
            except Exception as exc:  # the executor lost the task (a dead worker, …)
                yield from (_lost(job, exc) for job in futures[future])
    finally:
        for future in futures:
            future.cancel()


# ---------------------------------------------------------------------------------------
# Dask: the address and timeout checked before connecting; every wait bounded

#: ``HANDOUTS_DASK_TIMEOUT``'s default: connecting, the handshake, and closing.
DASK_TIMEOUT = "10s"
DASK_SCHEMES = {"dask": "tcp", "tcp": "tcp", "tls": "tls"}


def dask_address(url: str) -> str:
    """``dask://HOST:PORT`` (or ``tcp://``, ``tls://``) -> the scheduler address Dask takes,
    checked: a host, a port from 1 to 65535 (8786, Dask's, when left out)."""
    from urllib.parse import urlsplit

    shown = url if len(url) <= 80 else url[:60] + "…"
    fix = "use dask://HOST:PORT, the address `dask scheduler` prints (e.g. dask://127.0.0.1:8786)"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in DASK_SCHEMES or not rest:
        raise InputError.at(None, None, f"--executor {shown}: not understood", fix)
    try:
        parts = urlsplit(f"{DASK_SCHEMES[scheme.lower()]}://{rest}")
        port = parts.port
    except ValueError as exc:
        reason = "the port must be a number from 1 to 65535" if "port" in str(exc).lower() \
            else "an IPv6 address needs its closing ']'" if "IPv6" in str(exc) else str(exc)
        raise InputError.at(None, None, f"--executor {shown}: {reason}", fix) from None
    if not parts.hostname or parts.path.strip("/") or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise InputError.at(None, None, f"--executor {shown}: not HOST:PORT", fix)
    if port == 0:
        raise InputError.at(None, None, f"--executor {shown}: the port must be a number from 1 "
                            "to 65535", fix)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port or 8786}"


def dask_timeout(text: str | None) -> float:
    """``HANDOUTS_DASK_TIMEOUT`` (``10s``, ``1.5 minutes``, ``30``: seconds) -> seconds."""
    from dask.utils import parse_timedelta

    value = DASK_TIMEOUT if text is None or not text.strip() else text.strip()
    try:
        seconds = float(parse_timedelta(value, default="seconds"))
    except (KeyError, ValueError, TypeError, AttributeError):
        seconds = -1.0
    if not 0 < seconds <= 86_400:
        raise InputError.at(None, None, f"HANDOUTS_DASK_TIMEOUT={value[:40]!r} is not a duration "
                            "above 0 s and up to a day", "set it to e.g. 10s, 90s or 2 minutes")
    return seconds


def dask_executor(url: str, timeout_text: str | None, max_frame_bytes: int):
    """(executor, close) for the Dask scheduler at `url`, or `InputError`.

    distributed's own timeout does not cover the handshake (a port that accepts and never
    answers holds ``Client()`` for ever), and it allocates whatever frame size a peer
    announces (2⁶² bytes: MemoryError): so the connection is made in a thread given
    `timeout` seconds, and frames over `max_frame_bytes` close the connection."""
    import threading

    address = dask_address(url)
    seconds = dask_timeout(timeout_text)
    fix = "start it with `dask scheduler` and workers with `dask worker HOST:PORT`"
    try:
        from distributed import Client
    except ImportError:
        raise InputError.at(None, None, "--executor dask://…: the distributed package is not "
                            "installed", "pip install 'handouts[dask]'") from None
    _bound_dask_frames(max_frame_bytes)
    box: dict = {}

    def connect():
        try:
            box["client"] = Client(address, timeout=seconds, set_as_default=False)
        except BaseException as exc:  # reported by the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=connect, name="handouts-dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 1)
    if thread.is_alive():
        raise InputError.at(None, None, f"the Dask scheduler at {address} did not answer within "
                            f"{seconds:g} s (HANDOUTS_DASK_TIMEOUT)", fix)
    if "error" in box:
        exc = box["error"]
        reason = str(exc).split("\n")[0][:200] or type(exc).__name__
        raise InputError.at(None, None, f"cannot reach the Dask scheduler at {address}: {reason}", fix)
    client = box["client"]

    def close():
        try:
            client.close(timeout=seconds)
        except Exception:  # noqa: BLE001 (a scheduler gone silent: nothing left to close)
            pass

    return client.get_executor(), close


_FRAMES_BOUNDED: list[int] = []


def _bound_dask_frames(max_bytes: int) -> None:
    """Make distributed's TCP reader refuse a frame over `max_bytes` before allocating it."""
    from distributed.comm import tcp
    from distributed.comm.core import CommClosedError

    _FRAMES_BOUNDED[:] = [max_bytes]
    if getattr(tcp.read_bytes_rw, "_handouts_bounded", False):
        return
    unbounded = tcp.read_bytes_rw

    async def read_bytes_rw(stream, n: int):
        if n > _FRAMES_BOUNDED[0]:
            raise CommClosedError(f"the peer announced a message of {n:,} bytes, over the limit "
                                  f"of {_FRAMES_BOUNDED[0]:,} (dask_message_bytes)")
        return await unbounded(stream, n)

    read_bytes_rw._handouts_bounded = True
    tcp.read_bytes_rw = read_bytes_rw


def _pool(workers: int):
    """A process pool of `workers` (concurrent.futures and multiprocessing are imported
    here: a run with nothing to build starts none)."""
    import concurrent.futures as cf
    import multiprocessing

    # forkserver: workers start from a clean interpreter that has imported the
    # pipeline once (no fork of a parent holding threads or a progress bar). Nothing is
    # preloaded into the fork server: Python 3.11's runs with the current folder first on
    # its path, so it could import a `handouts` (or anything) found there; each worker
    # imports with the parent's path (`_init_worker`).
    context = multiprocessing.get_context("forkserver")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                  initializer=_init_worker)


def _from_pool(config: Config, todo: list[Job], workers: int, builder=None):
    """A process pool; a worker that dies (segfault, out of memory) breaks the pool:
    the jobs it took down are retried once in a fresh pool, then one at a time, so the
    job that kills its worker is the only one reported."""
    import concurrent.futures as cf

    queue, alone = tasks(todo, workers), False
    while queue:
        broken: list[Job] = []
        batch, rest = (queue[:1], queue[1:]) if alone else (queue, [])
        pool = _pool(1 if alone else workers)
        try:
            futures = {pool.submit(work, config, task, builder): task for task in batch}
            for future in cf.as_completed(futures):
                try:
                    yield from future.result()
                except cf.process.BrokenProcessPool:
                    broken += futures[future]
                except Exception as exc:
                    yield from (_lost(job, exc) for job in futures[future])
        finally:  # Ctrl-C, or the caller stopped: drop the queued jobs, do not wait for them
            pool.shutdown(wait=True, cancel_futures=True)
        if alone:
            for job in broken:
                yield _lost(job, RuntimeError("the worker process building it died "
                                              "(a crash in a native library, or out of memory)"))
            queue = rest
        else:
            queue, alone = [[j] for j in todo if j in broken], bool(broken)


def _lost(job: Job, exc: BaseException):
    return JobResult(job, crash=Crash(type(exc).__name__, str(exc) or repr(exc), ""))
