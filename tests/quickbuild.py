"""A builder for site tests and the site benchmark: the real article stages, a blank PDF.

`quick_build(config, job)` is a `builder` for `handouts.batch.run.run`: it loads the
article, checks its review, formats its references and converts its body exactly as
`handouts.batch.build.build_job` does (so the manifest entry and the web version are the
real ones), and returns a one-page blank PDF (pypdf) instead of rendering with
WeasyPrint. The site, the search index, editions and translations see what a real build
records; only the PDF's pages are empty.
"""

from __future__ import annotations

import io
import time

from handouts.batch.jobs import BuiltFile, Crash, JobResult
from handouts.errors import InputError


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def quick_build(config, job) -> JobResult:
    """A `JobResult` as `build_job` makes it, with a blank one-page PDF."""
    import traceback

    from handouts.dist import editions
    from handouts.dist.manifest import article_entry
    from handouts.markdown.body import convert
    from handouts.pdf.template import load_labels
    from handouts.references.bibliography import format_bibliography
    from handouts.source.article import load_article

    result = JobResult(job)
    start = time.perf_counter()
    try:
        article = load_article(job.article, config)
        result.edition = article.edition
        status = editions.review_status(article, job.history)
        refused = editions.publish_gate(article, status, job.history)
        if refused is not None:
            raise InputError(refused)
        bibliography = format_bibliography(article.references, article.cited, config.csl_style,
                                           lang=article.lang)
        body = convert(article.body, bibliography.numbers, labels=load_labels(config.theme, article.lang))
        result.web_html = body.html
        result.files.append(BuiltFile(job.output_name(), blank_pdf(), 1, kind=job.variant))
        result.article_entry = article_entry(article, bibliography, status)
    except InputError as exc:
        result.error = exc
    except Exception as exc:  # a bug: reported as build_job reports it
        result.crash = Crash(type(exc).__name__, str(exc), traceback.format_exc())
    result.seconds = time.perf_counter() - start
    return result


#: The fixture articles that become translations of the fictional English one.
TRANSLATIONS = {"vi-rest-guide": "Example Health Press là nhà xuất bản hư cấu, chỉ dùng để kiểm thử.",
                "th-rest-guide": "Example Health Press เป็นสำนักพิมพ์สมมติที่ใช้สำหรับการทดสอบเท่านั้น"}


def translated_project(parent):
    """The fictional project with the Vietnamese and Thai fixture articles declared as its
    English article's translations (``translation_of: fictional-rest-guide``)."""
    import shutil

    from conftest import copy_project
    from pdfcheck import FICTIONAL, FIXTURES

    root = copy_project(parent)
    for slug, disclaimer in TRANSLATIONS.items():
        shutil.copytree(FIXTURES / "i18n" / "source" / slug, root / "source" / slug)
        article = root / "source" / slug / "article.md"
        text = article.read_text(encoding="utf-8")
        lang = text.split("\nlang: ", 1)[1].split("\n", 1)[0]
        article.write_text(text.replace(f"\nlang: {lang}\n", f"\nlang: {lang}\ntranslation_of: {FICTIONAL}\n"
                                        f"disclaimer: {disclaimer}\n", 1), encoding="utf-8")
    return root


def build(root, targets=(), **options):
    """`handouts.batch.run.run` of the project at `root` with `quick_build` (one process);
    the report."""
    from handouts.batch.report import BatchOptions
    from handouts.batch.run import run
    from handouts.project.config import load_config

    return run(load_config(root), list(targets), BatchOptions(jobs=1, **options), builder=quick_build)


def sign_new_edition(root, slug: str, old: str, new: str, reviewed: str = "2026-11-02") -> None:
    """The editor's workflow for a change: `old` text becomes `new`, the reviewer signs the
    new content (``content:``) on `reviewed`, and the edition goes up by one."""
    import re
    from pathlib import Path

    from handouts.project.config import load_config
    from handouts.source.article import load_article

    article_md = Path(root) / "source" / slug / "article.md"
    text = article_md.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    article_md.write_text(text, encoding="utf-8")
    signed = load_article(article_md, load_config(Path(root))).content.short
    text = re.sub(r"(\nreviewers:\n)", rf"\1  - name: Fictional Second Reviewer\n    credential: MD\n"
                  rf"    specialty: Imaginary Medicine\n    reviewed: {reviewed}\n    content: {signed}\n",
                  text, count=1)
    text = re.sub(r"\nedition: (\d+)\n", lambda m: f"\nedition: {int(m.group(1)) + 1}\n", text, count=1)
    text = re.sub(r"\nupdated: [0-9-]+\n", f"\nupdated: {reviewed}\n", text, count=1)
    article_md.write_text(text, encoding="utf-8")
