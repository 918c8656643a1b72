"""One job, in a worker: load -> cite -> markdown -> template -> render -> finish.

`build_job` turns a `Job` (one article in one variant, paper and clinic) into PDF bytes
and returns them in a `JobResult`; it never writes (the batch's publish stage does) and
never raises: bad input comes back as `result.error`, a bug as `result.crash`, so one
article cannot stop the batch. The default renderer (`handouts.pdf.render`, WeasyPrint)
is imported by the first build that uses it: workers and single builds, never a rebuild
with nothing to do (see `handouts.batch.run`), nor a build whose renderer is another
process (`handouts.batch.renderer`).
"""

from __future__ import annotations


import os
import resource
import socket
import time
import traceback
from dataclasses import replace
from pathlib import Path

from handouts.source import article as load
from handouts.dist import editions
from handouts.markdown.body import convert
from handouts.references.bibliography import format_bibliography
from handouts.project.config import Config
from handouts.errors import Diagnostic, InputError, warning
from handouts.dist.manifest import article_entry
from handouts.batch.jobs import BuiltFile, Crash, Job, JobResult
from handouts.pdf.template import load_labels, render_document
from handouts.variants.kinds import make_variant, piece_suffix


class _Clock:
    def __init__(self):
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now


class _Shared:
    """The work the jobs of one article share (load, review status, checks, citations,
    the Markdown body): each piece done by the first job that needs it, its value or the
    exception it raised kept for the others, so every job fails as it would alone."""

    def __init__(self):
        self._done: dict[str, tuple[bool, object]] = {}

    def once(self, name: str, func):
        if name not in self._done:
            try:
                self._done[name] = (True, func())
            except Exception as exc:  # raised again for each job that needs it
                self._done[name] = (False, exc)
        ok, value = self._done[name]
        if not ok:
            raise value
        return value


def build_job(config: Config, job: Job, renderer=None) -> JobResult:
    """Build one job into bytes; never raises (errors and bugs come back in the result).

    `renderer` lays the HTML document out into a `RenderedPDF` (None: WeasyPrint's
    `render_pdf`; a `RenderProcess`, or for tests of what happens around the render a
    fast one, with the same signature)."""
    return build_jobs(config, [job], renderer)[0]


def build_jobs(config: Config, jobs: list[Job], renderer=None) -> list[JobResult]:
    """Build `jobs` into bytes, a `JobResult` each, in order; never raises. The jobs of one
    article (its variants, papers, clinics) share its load, checks, citations and Markdown
    body: only the layout, render and finishing are done per job."""
    if renderer is None:
        from handouts.pdf.render import render_pdf as renderer
    shared: dict[tuple, _Shared] = {}
    return [_build(config, job, shared.setdefault((job.article, job.history), _Shared()),
                   renderer) for job in jobs]


def _build(config: Config, job: Job, shared: _Shared, renderer) -> JobResult:
    """One job: the article's work from `shared`, then this job's layout and finishing.

    Long because it is the pipeline, stage by stage, in the order a reader checks it."""
    result = JobResult(job)
    start = time.perf_counter()
    clock = _Clock()
    allow_remote = config.allow_remote  # --allow-remote or handouts.toml
    try:
        article = shared.once("load", lambda: load.load_article(job.article, config))
        result.edition = article.edition
        status = shared.once("status", lambda: editions.review_status(article, job.history))
        refused = shared.once("gate", lambda: editions.publish_gate(article, status, job.history))
        if refused is not None and not (job.allow_unreviewed and not status.reviewed):
            raise InputError(refused)
        result.proof = refused is not None
        result.notes.extend(shared.once("notes", lambda: _binding_notes(article, status)))
        # the handout is tagged: every figure needs its text
        shared.once("alt", lambda: _refuse_missing_alt(article))
        clock.lap("load")
        bibliography = shared.once("cite", lambda: format_bibliography(
            article.references, article.cited, config.csl_style, lang=article.lang))
        clock.lap("cite")
        body = shared.once("markdown", lambda: convert(
            article.body, bibliography.numbers, allow_remote_images=allow_remote,
            labels=load_labels(config.theme, article.lang)))  # callout titles
        clock.lap("markdown")
        result.warnings.extend(shared.once("checks", lambda: _editorial_checks(
            article, config, body.html)))
        _fail_if_strict(job, result)
        clock.lap("checks")
        result.web_html = body.html
        clinic = config.clinic(job.clinic)
        variant = make_variant(job.variant, job.paper, job.bleed_mm, config)
        variant.check_article(article, clinic, job.allow_draft)  # drafts stay out of print

        def render(v):  # the variant may lay out more than once (booklet padding)
            doc = render_document(article, body, bibliography, v, config.theme, clinic,
                                  status=status, proof=result.proof)
            clock.lap("template")
            try:
                pdf = renderer(doc.html, page_css=doc.page_css, base_dir=article.folder,
                               theme=config.theme,
                               stylesheets=[config.theme.path(s) or config.styles_dir / s
                                            for s in v.stylesheets],
                               allow_remote=allow_remote, limits=config.limits,
                               min_image_ppi=v.min_image_ppi)
            except InputError as exc:  # a layout problem (a table cut off): the article's
                raise InputError(*(replace(p, path=p.path or article.path)
                                   for p in exc.problems)) from None
            clock.lap("render")
            return pdf

        variant, pdf = variant.lay_out(render, clinic)
        messages = pdf.messages  # the layout kept is written (and repaired) now
        clock.lap("render")
        result.warnings.extend(warning(article.path, None, f"while rendering: {message}",
                                       "check the image or HTML it names")
                               for message in dict.fromkeys(messages))
        for piece in variant.finish(pdf.data, pdf.pages, article, clinic, result.warnings):
            name = job.output_name(piece_suffix(piece.kind), result.proof)
            result.files.append(BuiltFile(name, piece.data, piece.pages, piece.note, kind=piece.kind))
        if job.thumbnail and not (result.proof or article.draft):  # the site shows no draft
            result.thumbnail = _thumbnail(result.files[0].data)
        clock.lap("finish")
        _fail_if_strict(job, result)
        result.article_entry = article_entry(article, bibliography, status)
    except InputError as exc:
        result.error = exc
        result.files.clear()
    except Exception as exc:  # a bug: reported for this job, the batch goes on
        result.crash = Crash(type(exc).__name__, str(exc), traceback.format_exc())
        result.files.clear()
    result.seconds = time.perf_counter() - start
    result.timings = clock.timings
    result.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    return result


def _thumbnail(pdf: bytes) -> bytes:
    """The download site's thumbnail of `pdf`, made here in the worker (`dist.site`)."""
    import hashlib

    from handouts.dist.site.pages import thumbnail_png

    return thumbnail_png(pdf, hashlib.sha256(pdf).hexdigest()) or b""


def _binding_notes(article, status) -> list[Diagnostic]:
    """Reviewer entries without ``content:`` bound to the text published now (said once:
    the manifest keeps the binding)."""
    if status.draft:
        return []
    return [Diagnostic(article.path, s.reviewer.line,
                       f"{s.reviewer.name}'s review of {s.reviewer.reviewed.isoformat()} has no "
                       f"'content:'; it now stands for this text (content {article.content.short})",
                       f"add 'content: {article.content.short}' under the entry to say so in the "
                       "article itself", "info")
            for s in status.unbound]


def _editorial_checks(article, config: Config, body_html: str) -> list[Diagnostic]:
    """The loader's warnings and the editorial checks' findings (handouts.checks).

    `build` prints the checks' findings; `check` is the gate. A check "error" (an image
    without alt text) is printed as a warning, so --strict fails the article on it; "info"
    findings are printed but never fail --strict.
    """
    from handouts.checks import for_build

    return [replace(f, severity="warning") if f.severity == "error" else f
            for f in for_build(article, config, body_html=body_html)]


def _refuse_missing_alt(article) -> None:
    """An image without alt text fails the article, whatever ``[checks]`` says: every
    variant is tagged for screen readers (PDF/UA), where a figure must have its text."""
    from handouts.checks.images import NO_ALT_HINT, missing_alt

    missing = missing_alt(article)
    if missing:
        raise InputError(*(Diagnostic(article.path, line, f"image '{src}' has no alt text (the "
                                      "handout is tagged for screen readers)", NO_ALT_HINT)
                           for line, src in missing))


def _fail_if_strict(job: Job, result: JobResult) -> None:
    """Under --strict, the warnings so far become the article's errors ("info" stays)."""
    if job.strict and any(w.severity == "warning" for w in result.warnings):
        problems = [replace(w, severity="error") if w.severity == "warning" else w
                    for w in result.warnings]
        result.warnings.clear()
        raise InputError(*problems)


def build_one(config: Config, path: Path, variant: str = "handout", paper: str | None = None,
              clinic: str | None = None) -> JobResult:
    """Build one article's `variant` into bytes (for tests and benchmarks)."""
    slug = path.parent.name
    return build_job(config, Job(path, slug, variant, (paper or config.paper), clinic,
                                 default_paper=config.paper))
