"""The batch: many outputs in one run, read top to bottom in `run`.

    plan      targets -> articles -> jobs (article x variant x paper x clinic)   jobs.py
    sets      + every output the manifest lists for those articles: an edition is a
              whole set, so all of an article's published files are rebuilt together
    fresh?    each job's inputs hash against the manifest: unchanged jobs stop here
    build     the other jobs -> executor (in-process, a process pool, or Dask)   build.py
              -> `JobResult`s holding PDF bytes; workers never write; content no
              sign-off covers is refused there (or, --allow-unreviewed, a proof)
    publish   per article, once all its jobs are back and all succeeded: the set
              (archive of the previous edition, PDFs, sources) is moved into place
              together                                                            editions.py
    record    manifest.json once, then the download site                          manifest.py

One broken or crashing article never stops the batch: its failure is recorded with its
file and line, and every other article is still built and published. An unchanged
rebuild imports neither WeasyPrint nor pypdf, citeproc or Markdown: only `work` (in a
worker, or in-process for a single job) imports `handouts.batch.build`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from handouts.batch import jobs as planning
from handouts.project.config import Config
from handouts.errors import Diagnostic, ExitStatus, InputError
from handouts.batch.jobs import Crash, Job, JobResult


@dataclass(frozen=True)
class BatchOptions:
    """What to build. `clinics`: clinic ids, None for no clinic, or "all"."""

    variants: tuple[str, ...] = ("handout",)
    paper: str | None = None  # None: the project's paper
    clinics: tuple[str | None, ...] = (None,)
    bleed_mm: float | None = None
    strict: bool = False  # warnings (and review warnings) fail the article
    allow_draft: bool = False
    allow_unreviewed: bool = False  # unreviewed content: stamped proofs under dist/proof/
    force: bool = False  # rebuild even when the inputs did not change
    jobs: int | None = None  # worker processes; None: the number of cores
    site: bool = True  # refresh the download site after a build that wrote something


@dataclass(frozen=True)
class Written:
    """A file the publish stage put in place."""

    path: Path
    pages: int
    size: int
    note: str
    job: Job
    seconds: float  # the job's build time (shared by a booklet's two files)
    warnings: int = 0


@dataclass
class Failure:
    """An article (or one of its jobs) that was not published, and why."""

    path: Path  # the article.md (or the file the problem is about)
    problems: tuple[Diagnostic, ...] = ()
    jobs: tuple[Job, ...] = ()
    crash: object | None = None  # a build.Crash: a bug, exit 3

    @property
    def error(self) -> InputError | None:
        return InputError(*self.problems) if self.problems else None


@dataclass
class BatchReport:
    """What a run did; `exit_status` is what the command line returns."""

    built: list = field(default_factory=list)  # JobResult of every published job
    unchanged: list[Job] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    outputs: list[Written] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)  # said once (a sign-off bound)
    proofs: list[Written] = field(default_factory=list)  # dist/proof/: never published
    seconds: float = 0.0
    peak_rss_kib: dict[str, int] = field(default_factory=dict)  # per worker

    @property
    def failed_jobs(self) -> int:
        return sum(max(1, len(f.jobs)) for f in self.failed)

    @property
    def exit_status(self) -> ExitStatus:
        if any(f.crash is not None for f in self.failed):
            return ExitStatus.CRASH
        return ExitStatus.INPUT_ERROR if self.failed else ExitStatus.SUCCESS

    def summary(self) -> str:
        """``41 built, 359 unchanged, 2 failed in 6.1 s`` (counted in outputs sets: jobs)."""
        parts = [f"{len(self.built)} built", f"{len(self.unchanged)} unchanged"]
        if self.proofs:
            parts.append(f"{len(self.proofs)} proof file{'s' if len(self.proofs) != 1 else ''} "
                         "in proof/ (not published)")
        if self.failed:
            parts.append(f"{self.failed_jobs} failed")
        return f"{', '.join(parts)} in {self.seconds:.1f} s"


class Progress:
    """What `run` tells its caller as it goes. Subclass and override what you need."""

    def start(self, to_build: int, unchanged: int) -> None:
        """Planning is done: `to_build` jobs go to the executor."""

    def job_done(self, result) -> None:
        """One job came back from the executor (a `build.JobResult`)."""

    def published(self, written: list[Written], warnings: list[Diagnostic]) -> None:
        """An article's set is in place."""

    def failed(self, failure: Failure, warnings: list[Diagnostic]) -> None:
        """An article was not published."""

    def finish(self, report: BatchReport) -> None:
        """The run is over."""


# ---------------------------------------------------------------------------------------
# The run, top to bottom


def run(config: Config, targets: list[str] | tuple[str, ...] = (),
        options: BatchOptions = BatchOptions(), *, executor: cf.Executor | None = None,
        progress: Progress | None = None) -> BatchReport:
    """Build `targets` (slugs or paths; none: every article) as `options` say.

    `executor`: any `concurrent.futures.Executor` (e.g. Dask's
    ``Client(address).get_executor()``); by default a process pool of `options.jobs`
    workers, or this process when there is only one job to build. Raises `InputError`
    only for problems of the whole run (an unknown target or clinic, a locked output
    folder); an article's problems are in `report.failed`.
    """
    from handouts.batch import fingerprint as inputs
    from handouts.dist import manifest as manifests
    from handouts.dist import publish

    started = time.perf_counter()
    progress = progress or Progress()
    report = BatchReport()

    # plan
    articles = planning.resolve_targets(config, list(targets))
    clinics = _clinics(config, options.clinics)
    planned, refused, drafts = planning.plan(
        config, articles, variants=tuple(options.variants), paper=options.paper,
        clinics=clinics, bleed_mm=options.bleed_mm, allow_draft=options.allow_draft,
        strict=options.strict, served_only="all" in (options.clinics or ()))
    for path, error in refused.items():
        report.failed.append(Failure(path, error.problems))
        progress.failed(report.failed[-1], [])
    if drafts:
        note = Diagnostic(None, None, f"--clinic all: {len(drafts)} draft(s) left out ("
                          + ", ".join(p.parent.name for p in drafts) + ")",
                          "a draft goes to a clinic once 'draft: true' is removed after the "
                          "medical review, or with --allow-draft as a proof", severity="info")
        report.warnings.append(note)
        progress.published([], [note])
    _check_collisions(config, planned)

    with publish.output_lock(config.output_dir):
        publish.clean_stale(config.output_dir, locked=True)
        inputs.clear_cache()  # hashes are reused within this run only
        unreadable: list[Diagnostic] = []
        manifest = manifests.read_manifest(config.output_dir, limits=config.limits,
                                           warnings=unreadable)
        if unreadable:
            report.warnings += unreadable
            progress.published([], unreadable)

        # sets: what the articles published before joins the plan
        planned, refused = whole_sets(config, planned, manifest, options)
        for path, error in refused.items():
            report.failed.append(Failure(path, error.problems))
            progress.failed(report.failed[-1], [])
        _check_collisions(config, planned)

        # fresh?
        recorded = defaultdict(list)
        for entry in manifest.get("outputs", []):
            recorded[(entry.get("slug"), entry.get("variant"), entry.get("paper"),
                      entry.get("clinic"))].append(entry)
        todo: list[tuple[Job, str]] = []
        replay: dict[str, None] = {}  # recorded warnings of unchanged outputs, in order
        for job in planned:
            digest = inputs.inputs_sha256(config, job)
            entries = recorded.get(job.key, [])
            warned = options.strict and any(e.get("warnings") for e in entries)  # fail it again
            if not options.force and not warned and _unchanged(config, entries, digest):
                report.unchanged.append(job)
                replay.update(dict.fromkeys(w for e in entries for w in e.get("warnings") or ()))
            else:
                todo.append((job, digest))
        progress.start(len(todo), len(report.unchanged))
        if replay:  # an unchanged output's warnings are still true: say them again
            again = [manifests.restored(text, config.root) for text in replay]
            report.warnings += again
            progress.published([], again)

        # build, and publish each article as soon as all its jobs are back
        digests = {job: digest for job, digest in todo}
        order = {job: i for i, (job, _) in enumerate(todo)}
        waiting = defaultdict(int)
        for job, _ in todo:
            waiting[job.article] += 1
        done = defaultdict(list)
        try:
            for result in _execute(config, [job for job, _ in todo], executor, options.jobs):
                progress.job_done(result)
                if result.peak_rss_kib:
                    report.peak_rss_kib[result.worker] = max(
                        result.peak_rss_kib, report.peak_rss_kib.get(result.worker, 0))
                done[result.job.article].append(result)
                waiting[result.job.article] -= 1
                if waiting[result.job.article] == 0:
                    group = sorted(done.pop(result.job.article), key=lambda r: order[r.job])
                    _publish_article(config, group, digests, manifest, options, report, progress)
        finally:
            # record (also after Ctrl-C: what was published is in the manifest)
            if report.built:
                manifests.write_manifest(config.output_dir, manifest)
        if report.built and options.site:
            _publish_site(config, manifest, report, progress)
    report.seconds = time.perf_counter() - started
    progress.finish(report)
    return report


def _check_collisions(config: Config, planned: list[Job]) -> None:
    from handouts.dist import publish

    collisions = publish.check_collisions(
        (config.output_dir / name, job.label) for job in planned for name in _expected_names(job))
    if collisions:
        raise InputError(*collisions)


def whole_sets(config: Config, planned: list[Job], manifest: dict,
               options: BatchOptions) -> tuple[list[Job], dict[Path, InputError]]:
    """The plan completed to whole sets: for each planned article, a job for every output
    the manifest lists for it (variant, paper, clinic) that the command did not name, so
    all of its published files always hold the same edition and content. Each job
    carries the article's publication history (`editions.history`). An article with a
    published clinic copy whose clinic profile is gone is refused (the copy would keep an
    older edition, or vanish)."""
    from dataclasses import replace

    from handouts.project.config import PAPERS
    from handouts.dist.editions import history
    from handouts.dist.manifest import outputs_of
    from handouts.variants.kinds import VARIANTS

    groups: dict[Path, list[Job]] = defaultdict(list)
    for job in planned:
        groups[job.article].append(job)
    jobs: list[Job] = []
    refused: dict[Path, InputError] = {}
    for article, group in groups.items():
        first, keys, extra = group[0], {j.key for j in group}, []
        for out in outputs_of(manifest, first.slug):
            key = (first.slug, out.get("variant"), out.get("paper"), out.get("clinic"))
            if key in keys or key[1] not in VARIANTS or key[2] not in PAPERS:
                continue
            clinic = key[3]
            if clinic is not None and clinic not in config.clinics:
                refused[article] = InputError(Diagnostic(
                    config.output_dir / out["path"], None,
                    f"a copy for clinic '{clinic}' was published, and handouts.toml has no "
                    "such clinic any more: its copy would keep the old edition",
                    f"restore [clinics.{clinic}] in handouts.toml, or delete this file to "
                    "withdraw the clinic's copy"))
                break
            keys.add(key)
            extra.append(replace(first, variant=key[1], paper=key[2], clinic=clinic))
        else:
            past = history(config, first.slug, manifest)
            jobs += [replace(j, history=past, allow_unreviewed=options.allow_unreviewed)
                     for j in group + extra]
    return jobs, refused


def _clinics(config: Config, wanted) -> tuple[str | None, ...]:
    """Clinic ids to build for; "all" is every profile of handouts.toml."""
    out: list[str | None] = []
    for clinic in wanted or (None,):
        if clinic == "all":
            if not config.clinics:
                raise InputError.at(config.root / "handouts.toml", None,
                                    "--clinic all: no clinic profiles",
                                    "add [clinics.<id>] tables with name, address and phone")
            out += sorted(config.clinics)
        else:
            config.clinic(clinic)  # an unknown clinic fails before any work
            out.append(clinic)
    return tuple(dict.fromkeys(out))


def _expected_names(job: Job) -> list[str]:
    """The files a job will write (for the collision check before building): the
    variant knows its pieces' suffixes (no renderer import)."""
    from handouts.variants.kinds import make_variant

    return [job.output_name(suffix)
            for suffix in make_variant(job.variant, job.paper, job.bleed_mm).piece_suffixes]


def _unchanged(config: Config, entries: list[dict], digest: str) -> bool:
    """The manifest records the job's files with this inputs hash, and they are there,
    byte for byte (size and sha256)."""
    if not entries:
        return False
    from handouts.dist.manifest import output_intact

    return all(entry.get("inputs_sha256") == digest and output_intact(config.output_dir, entry)
               for entry in entries)


# ---------------------------------------------------------------------------------------
# Build: executors


def work(config: Config, job: Job):
    """Build one job (runs in a worker process, on a Dask worker, or in-process)."""
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


def _execute(config: Config, todo: list[Job], executor, workers: int | None):
    """Yield a `JobResult` per job, in the order they finish."""
    if not todo:
        return
    if executor is not None:
        yield from _from_executor(config, todo, executor)
        return
    workers = min(workers or planning.default_workers(), len(todo))
    if workers <= 1:
        for job in todo:  # one job, or --jobs 1: no pool to start
            yield work(config, job)
        return
    yield from _from_pool(config, todo, workers)


def _from_executor(config: Config, todo: list[Job], executor):
    futures = {executor.submit(work, config, job): job for job in todo}
    try:
        for future in cf.as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # the executor lost the job (a dead worker, …)
                yield _lost(futures[future], exc)
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


def _pool(workers: int) -> cf.ProcessPoolExecutor:
    # forkserver: workers start from a clean interpreter that has imported the
    # pipeline once (no fork of a parent holding threads or a progress bar).
    context = multiprocessing.get_context("forkserver")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                  initializer=_init_worker)


def _from_pool(config: Config, todo: list[Job], workers: int):
    """A process pool; a worker that dies (segfault, out of memory) breaks the pool:
    the jobs it took down are retried once in a fresh pool, then one at a time, so the
    job that kills its worker is the only one reported."""
    queue, alone = list(todo), False
    while queue:
        broken: list[Job] = []
        batch, rest = (queue[:1], queue[1:]) if alone else (queue, [])
        pool = _pool(1 if alone else workers)
        try:
            futures = {pool.submit(work, config, job): job for job in batch}
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
# Publish


def _publish_article(config: Config, group: list, digests: dict, manifest: dict,
                     options: BatchOptions, report: BatchReport, progress: Progress) -> None:
    """Put one article's files in place as a set, or record why not."""
    from handouts.dist import manifest as manifests

    article = group[0].job.article
    slug = group[0].job.slug
    jobs = tuple(r.job for r in group)
    warnings = _unique(w for r in group for w in r.warnings)  # each variant repeats them
    problems = _unique(p for r in group if r.error for p in r.error.problems)
    crash = next((r.crash for r in group if r.crash is not None), None)
    entry = next((r.article_entry for r in group if r.article_entry is not None), None)
    edition = next((r.edition for r in group if r.edition is not None), None)
    notes = _unique(n for r in group for n in r.notes)
    proof = any(r.proof for r in group)
    if not problems and crash is None:
        review = _review_warnings(config, slug, entry, manifest)
        if options.strict and review:
            problems += [Diagnostic(w.path, w.line, w.message, w.hint, "error") for w in review]
        else:
            warnings += review
    if not problems and crash is None:
        files = [(config.output_dir / f.name, f.data) for r in group for f in r.files]
        try:
            if proof:  # a proof is only put in place: no manifest record, no archive, no site
                from handouts.dist.publish import publish_set

                publish_set(files, within=config.output_dir)
            else:
                _publish_files(config, slug, edition, files, manifest, article, entry)
        except InputError as exc:
            problems += exc.problems
        except OSError as exc:
            problems.append(Diagnostic(exc.filename or config.output_dir, None,
                                       f"cannot write: {exc.strerror or exc}",
                                       "check that the output folder is writable and has "
                                       "space, or use --out"))
    report.warnings += warnings
    if problems or crash is not None:
        failure = Failure(article, tuple(problems), jobs, crash)
        report.failed.append(failure)
        progress.failed(failure, warnings)
        return
    if proof:
        written = [Written(config.output_dir / f.name, f.pages, len(f.data), f.note, r.job,
                           r.seconds, len(r.warnings)) for r in group for f in r.files]
        report.proofs += written
        progress.published(written, warnings)
        return
    report.notes += notes
    written = []
    for result in group:
        manifest["outputs"] = [o for o in manifest.get("outputs", [])
                               if (o.get("slug"), o.get("variant"), o.get("paper"),
                                   o.get("clinic")) != result.job.key]
        for f in result.files:
            manifest["outputs"].append(manifests.output_entry(
                path=f.name, slug=slug, variant=result.job.variant, paper=result.job.paper,
                clinic=result.job.clinic, pages=f.pages, data=f.data,
                inputs_sha256=digests[result.job], article_entry=entry or {},
                warnings=result.warnings, root=config.root))
            written.append(Written(config.output_dir / f.name, f.pages, len(f.data), f.note,
                                   result.job, result.seconds, len(result.warnings)))
        report.built.append(result)
    manifest["outputs"].sort(key=lambda o: o.get("path", ""))
    report.outputs += written
    progress.published(written, warnings + notes)


def _unique(diagnostics) -> list:
    """Diagnostics without repeats (by their text: some carry unhashable data)."""
    seen: dict[str, object] = {}
    for d in diagnostics:
        seen.setdefault(str(d), d)
    return list(seen.values())


def _review_warnings(config: Config, slug: str, entry: dict | None, manifest: dict) -> list:
    from handouts.dist.editions import review_warnings

    if entry is None:
        return []
    return list(review_warnings(config, slug, entry, manifest))


def _publish_files(config, slug, edition, files, manifest, article, entry) -> None:
    from handouts.dist.archive import publish_article

    publish_article(config, slug, edition, files, manifest, article=article, entry=entry or {})


def _publish_site(config: Config, manifest: dict, report: BatchReport,
                  progress: Progress) -> None:
    """The download site (index.html, a page and thumbnail per handout) for the manifest."""
    from handouts.dist.publish import publish_set
    from handouts.dist.site import site_files

    try:
        publish_set(site_files(config.output_dir, config.theme, manifest, config.paper,
                               {cid: clinic.name for cid, clinic in config.clinics.items()},
                               site_url=config.site_url),
                    within=config.output_dir)
    except InputError as exc:
        report.failed.append(Failure(config.output_dir / "index.html", exc.problems))
    except OSError as exc:
        report.failed.append(Failure(config.output_dir / "index.html", (Diagnostic(
            exc.filename or config.output_dir, None, f"cannot write the site: {exc.strerror or exc}",
            "check that the output folder is writable"),)))
    except Exception as exc:  # a bug in the site: the PDFs are published all the same
        import traceback

        report.failed.append(Failure(config.output_dir / "index.html", crash=Crash(
            type(exc).__name__, str(exc), traceback.format_exc())))
    else:
        return
    progress.failed(report.failed[-1], [])
