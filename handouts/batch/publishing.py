"""Publishing one article's set once all its jobs are back: the review warnings, then
its files (and the archive of its previous edition) in place together, its manifest
records; and the download site after the run. Only `handouts.dist` writes."""

from __future__ import annotations

from handouts.project.config import Config
from handouts.errors import Diagnostic, InputError
from handouts.batch.jobs import Crash
from handouts.batch.report import BatchOptions, BatchReport, Failure, Progress, Written
from handouts.dist.records import ArticleRecord, Manifest, PublishedSet


def publish_article_set(config: Config, group: list, digests: dict, manifest: Manifest,
                        options: BatchOptions, report: BatchReport,
                        progress: Progress) -> PublishedSet | None:
    """Put one article's files in place as a set, or record why not. Returns the
    article's records as published (its record and all of its outputs), for the run to
    put in the manifest; None when nothing was published (a failure) or nothing is
    recorded (a proof)."""
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
        review = _review_warnings(config, slug, entry)
        if options.strict and review:
            problems += [Diagnostic(w.path, w.line, w.message, w.hint, "error") for w in review]
        else:
            warnings += review
    if not problems and crash is None:
        files = [(config.output_dir / f.name, f.data) for r in group for f in r.files]
        web = next((r.web_html for r in group if r.web_html), "")
        if web and entry and not proof:  # the body the site shows (handouts.dist.site.web)
            from handouts.dist.site.web import web_file

            files.append(web_file(config.output_dir, slug, entry.content_fingerprint, web))
        try:
            if proof:  # a proof is only put in place: no manifest record, no archive, no site
                from handouts.dist.publish import publish_set

                publish_set(files, within=config.output_dir)
            else:
                record, dropped = _publish_files(config, slug, edition, files, manifest, article, entry)
                _put_thumbnail(config, slug, group)
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
        return None
    if proof:
        written = [Written(config.output_dir / f.name, f.pages, len(f.data), f.note, r.job,
                           r.seconds, len(r.warnings), kind=f.kind) for r in group for f in r.files]
        report.proofs += written
        progress.published(written, warnings)
        return None
    report.notes += notes
    written, outputs = [], []
    for result in group:
        for f in result.files:
            outputs.append(manifests.output_entry(
                path=f.name, slug=slug, kind=f.kind, variant=result.job.variant,
                paper=result.job.paper, clinic=result.job.clinic, pages=f.pages, data=f.data,
                inputs_sha256=digests[result.job], article=record, warnings=result.warnings,
                root=config.root))
            written.append(Written(config.output_dir / f.name, f.pages, len(f.data), f.note,
                                   result.job, result.seconds, len(result.warnings), kind=f.kind))
        report.built.append(result)
    report.outputs += written
    progress.published(written, warnings + notes)
    # The article's outputs now: those this set did not rebuild or remove, and the new ones.
    rebuilt, new = {r.job.key for r in group}, {o.path for o in outputs}
    kept = tuple(o for o in manifest.outputs_of(slug)
                 if o.key not in rebuilt and o.path not in dropped and o.path not in new)
    return PublishedSet(slug, record, kept + tuple(outputs))


def _unique(diagnostics) -> list:
    """Diagnostics without repeats (by their text: some carry unhashable data)."""
    seen: dict[str, object] = {}
    for d in diagnostics:
        seen.setdefault(str(d), d)
    return list(seen.values())


def _review_warnings(config: Config, slug: str, entry: ArticleRecord | None) -> list:
    from handouts.dist.editions import review_warnings

    if entry is None:
        return []
    return list(review_warnings(config, slug, entry))


def _publish_files(config, slug, edition, files, manifest: Manifest, article,
                   entry: ArticleRecord | None) -> tuple[ArticleRecord, frozenset[str]]:
    from handouts.dist.archive import publish_article

    return publish_article(config, slug, edition, files, manifest, article=article,
                           entry=entry or ArticleRecord(edition or 1))


def _put_thumbnail(config: Config, slug: str, group: list) -> None:
    """The download site's thumbnail a worker made of the article's handout, put where the
    site looks for it: the site then reuses it instead of rendering the PDF again. If it
    cannot be written, the site makes its own."""
    png = next((r.thumbnail for r in group if r.thumbnail), b"")
    if not png:
        return
    from handouts.dist.publish import publish_set
    from handouts.dist.site import THUMB_NAME

    try:
        publish_set([(config.output_dir / slug / THUMB_NAME, png)], within=config.output_dir)
    except (InputError, OSError):
        pass


def prepare_publishing(config: Config, options: BatchOptions) -> None:
    """Load ahead what publishing needs after the layout: the site's modules, the
    thumbnail's renderer, the language names and the labels (while a render process lays
    the document out, this process would only wait)."""
    if not options.site:
        return
    from handouts.dist.site import common, pages
    from handouts.project.i18n import label_table

    pages.load_thumbnailer()
    common.language_name(common.SITE_LANG)
    label_table(config.theme)


def publish_site(config: Config, manifest: Manifest, report: BatchReport,
                  progress: Progress) -> None:
    """The download site (index pages, a page and thumbnail per handout, the search index)
    for the manifest."""
    from handouts.dist import site

    try:
        site.publish_site(config.output_dir, config.theme, manifest, config.paper,
                          {cid: clinic.name for cid, clinic in config.clinics.items()},
                          site_url=config.site_url)
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
