"""The batch: many outputs in one run, read top to bottom in `run`.

    plan      targets -> articles -> jobs (article x variant x paper x clinic)   jobs.py
    sets      + every output the manifest lists for those articles: an edition is a
              whole set, so all of an article's published files are rebuilt together
    fresh?    each job's inputs hash against the manifest: unchanged jobs stop here
    build     the other jobs -> executor (in-process, a process pool, or Dask)   executors.py
              -> `JobResult`s holding PDF bytes; workers never write; content no
              sign-off covers is refused there (or, --allow-unreviewed, a proof)
    publish   per article, once all its jobs are back and all succeeded: the set
              (archive of the previous edition, PDFs, sources) is moved into place
              together; its records replace the article's in the `Manifest` value
                                                                           publishing.py
    record    manifest.json once, then the download site                          manifest.py

`run` reads as these stages; where jobs run (this process, a pool, Dask) is
`executors.py`, and what the run reports is `report.py`.

One broken or crashing article never stops the batch: its failure is recorded with its
file and line, and every other article is still built and published. An unchanged
rebuild imports neither WeasyPrint nor pypdf, citeproc or Markdown: only `executors.work`
(in a worker, or in-process for a single job) imports `handouts.batch.build`.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from handouts.batch import jobs as planning
from handouts.project.config import Config
from handouts.errors import Diagnostic, InputError
from handouts.batch.executors import execute
from handouts.batch.jobs import Job
from handouts.source.discover import resolve_targets
from handouts.batch.publishing import prepare_publishing, publish_article_set, publish_site
from handouts.batch.report import BatchOptions, BatchReport, Failure, Progress
from handouts.dist.records import Manifest, OutputRecord

if TYPE_CHECKING:  # an annotation only: the pool's module is imported when a pool starts
    import concurrent.futures as cf


# ---------------------------------------------------------------------------------------
# The run, top to bottom


def run(config: Config, targets: list[str] | tuple[str, ...] = (),
        options: BatchOptions = BatchOptions(), *, executor: cf.Executor | None = None,
        progress: Progress | None = None, builder=None, renderer=None) -> BatchReport:
    """Build `targets` (slugs or paths; none: every article) as `options` say.

    `executor`: any `concurrent.futures.Executor` (e.g. Dask's
    ``Client(address).get_executor()``); by default a process pool of `options.jobs`
    workers, or this process when there is only one job to build; the jobs of an article
    go to one worker together (`executors.tasks`). `builder`: what turns a job into a
    `JobResult` of bytes (None: `handouts.batch.build.build_jobs`, which does an article's
    own work once for all its jobs; a picklable function of (config, job) for another
    executor). `renderer`: a `batch.renderer.RenderProcess` the caller started early, in
    which a run with a single job to build lays it out (the caller closes it); the run
    loads what publishing needs while it waits (`prepare_publishing`). Raises
    `InputError` only for
    problems of the whole run (an unknown target or clinic, a locked output folder); an
    article's problems are in `report.failed`.
    """
    from handouts.batch import fingerprint as inputs
    from handouts.dist import manifest as manifests
    from handouts.dist import publish

    started = time.perf_counter()
    progress = progress or Progress()
    report = BatchReport()
    planned = _plan(config, targets, options, report, progress)
    with publish.output_lock(config.output_dir):
        publish.clean_stale(config.output_dir, locked=True)
        inputs.clear_cache()  # hashes are reused within this run only
        manifest = _read_manifest(config, report, progress)
        planned = _sets(config, planned, manifest, options, report, progress)
        todo = _fresh(config, planned, manifest, options, report, progress)
        digests = dict(todo)
        if renderer is not None:
            renderer.while_waiting = functools.partial(prepare_publishing, config, options)
        try:
            for group in _built_sets(config, todo, options, report, progress,
                                     executor=executor, builder=builder, renderer=renderer):
                published = publish_article_set(config, group, digests, manifest, options,
                                                report, progress)
                if published is not None:
                    manifest = manifest.with_set(published)
        finally:
            # record (also after Ctrl-C: what was published is in the manifest)
            if report.built:
                from handouts.dist.translations import bind_translations

                manifest = manifests.write_manifest(config.output_dir, bind_translations(manifest))
        if report.built and options.site:
            publish_site(config, manifest, report, progress)
    report.seconds = time.perf_counter() - started
    progress.finish(report)
    return report


def _refused(refused: dict, report: BatchReport, progress: Progress) -> None:
    for path, error in refused.items():
        report.failed.append(Failure(path, error.problems))
        progress.failed(report.failed[-1], [])


def _plan(config: Config, targets, options: BatchOptions, report: BatchReport,
          progress: Progress) -> list[Job]:
    """plan: targets -> articles -> jobs; the drafts ``--clinic all`` leaves out are said."""
    articles = resolve_targets(config, list(targets))
    clinics = _clinics(config, options.clinics)
    planned, refused, drafts = planning.plan(
        config, articles, variants=tuple(options.variants), paper=options.paper,
        clinics=clinics, bleed_mm=options.bleed_mm, allow_draft=options.allow_draft,
        strict=options.strict, served_only="all" in (options.clinics or ()))
    _refused(refused, report, progress)
    if drafts:
        note = Diagnostic(None, None, f"--clinic all: {len(drafts)} draft(s) left out ("
                          + ", ".join(p.parent.name for p in drafts) + ")",
                          "a draft goes to a clinic once 'draft: true' is removed after the "
                          "medical review, or with --allow-draft as a proof", severity="info")
        report.warnings.append(note)
        progress.published([], [note])
    _check_collisions(config, planned)
    return planned


def _read_manifest(config: Config, report: BatchReport, progress: Progress) -> Manifest:
    """The manifest as read; why it had to be rebuilt from dist/ is a warning."""
    from handouts.dist import manifest as manifests

    unreadable: list[Diagnostic] = []
    manifest = manifests.read_manifest(config.output_dir, limits=config.limits, warnings=unreadable)
    if unreadable:
        report.warnings += unreadable
        progress.published([], unreadable)
    return manifest


def _sets(config: Config, planned: list[Job], manifest: Manifest, options: BatchOptions,
          report: BatchReport, progress: Progress) -> list[Job]:
    """sets: what the articles published before joins the plan (`whole_sets`)."""
    planned, refused = whole_sets(config, planned, manifest, options)
    _refused(refused, report, progress)
    _check_collisions(config, planned)
    return planned


def _fresh(config: Config, planned: list[Job], manifest: Manifest, options: BatchOptions,
           report: BatchReport, progress: Progress) -> list[tuple[Job, str]]:
    """fresh?: the jobs to build, with their inputs hash; an unchanged job stops here and
    its recorded warnings, still true, are said again."""
    from handouts.batch import fingerprint as inputs
    from handouts.dist import manifest as manifests

    recorded = defaultdict(list)
    for entry in manifest.outputs:
        recorded[entry.key].append(entry)
    todo: list[tuple[Job, str]] = []
    replay: dict[str, None] = {}  # recorded warnings of unchanged outputs, in order
    for job in planned:
        digest = inputs.inputs_sha256(config, job)
        entries = recorded.get(job.key, [])
        warned = options.strict and any(e.warnings for e in entries)  # fail it again
        if not options.force and not warned and _unchanged(config, entries, digest):
            report.unchanged.append(job)
            replay.update(dict.fromkeys(w for e in entries for w in e.warnings))
        else:
            todo.append((job, digest))
    progress.start(len(todo), len(report.unchanged))
    if replay:
        found: dict = {}  # each file named looked for once
        again = [manifests.restored(text, config.root, found) for text in replay]
        report.warnings += again
        progress.published([], again)
    return todo


def _built_sets(config: Config, todo: list[tuple[Job, str]], options: BatchOptions,
                report: BatchReport, progress: Progress, *, executor, builder, renderer):
    """build: each article's results (in plan order) as soon as all its jobs are back."""
    order = {job: i for i, (job, _) in enumerate(todo)}
    waiting = defaultdict(int)
    for job, _ in todo:
        waiting[job.article] += 1
    done = defaultdict(list)
    for result in execute(config, [job for job, _ in todo], executor, options.jobs, builder,
                          renderer=renderer):
        progress.job_done(result)
        if result.peak_rss_kib:
            report.peak_rss_kib[result.worker] = max(
                result.peak_rss_kib, report.peak_rss_kib.get(result.worker, 0))
        done[result.job.article].append(result)
        waiting[result.job.article] -= 1
        if waiting[result.job.article] == 0:
            yield sorted(done.pop(result.job.article), key=lambda r: order[r.job])


def _check_collisions(config: Config, planned: list[Job]) -> None:
    from handouts.dist import publish

    collisions = publish.check_collisions(
        (config.output_dir / name, job.label) for job in planned for name in _expected_names(job))
    if collisions:
        raise InputError(*collisions)


def whole_sets(config: Config, planned: list[Job], manifest: Manifest,
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
    from handouts.variants.kinds import VARIANTS

    groups: dict[Path, list[Job]] = defaultdict(list)
    for job in planned:
        groups[job.article].append(job)
    published = defaultdict(list)  # each article's outputs, in one pass over the manifest
    for out in manifest.outputs:
        published[out.slug].append(out)
    jobs: list[Job] = []
    refused: dict[Path, InputError] = {}
    for article, group in groups.items():
        first, keys, extra = group[0], {j.key for j in group}, []
        for out in published.get(first.slug, ()):
            key = out.key
            if key in keys or out.variant not in VARIANTS or out.paper not in PAPERS:
                continue
            clinic = out.clinic
            if clinic is not None and clinic not in config.clinics:
                refused[article] = InputError(Diagnostic(
                    config.output_dir / out.path, None,
                    f"a copy for clinic '{clinic}' was published, and handouts.toml has no "
                    "such clinic any more: its copy would keep the old edition",
                    f"restore [clinics.{clinic}] in handouts.toml, or delete this file to "
                    "withdraw the clinic's copy"))
                break
            keys.add(key)
            extra.append(replace(first, variant=out.variant, paper=out.paper, clinic=clinic))
        else:
            try:
                past = history(config, first.slug, manifest)
            except InputError as exc:  # its archive folder leads outside dist/
                refused[article] = exc
                continue
            jobs += [replace(j, history=past, allow_unreviewed=options.allow_unreviewed,
                             thumbnail=options.site and _site_shows(config, j))
                     for j in group + extra]
    return jobs, refused


def _site_shows(config: Config, job: Job) -> bool:
    """The job makes the file the download site shows an article by (the plain handout on
    the project's paper): its worker also makes the site's thumbnail of it."""
    return job.clinic is None and job.variant == "handout" and job.paper == config.paper


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


def _unchanged(config: Config, entries: list[OutputRecord], digest: str) -> bool:
    """The manifest records the job's files with this inputs hash, and they are there,
    byte for byte (size and sha256)."""
    if not entries:
        return False
    from handouts.dist.manifest import output_intact

    return all(entry.inputs_sha256 == digest and output_intact(config.output_dir, entry)
               for entry in entries)
