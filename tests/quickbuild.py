"""Site, translation and edition helpers for tests and the site benchmark.

`quick_build` is the fast test builder (tests/fakebuild.py: `build_job` itself, every stage
real but WeasyPrint's layout, whose place a small PDF of the document's text takes), so
the manifest entry, the web version, the site and the search index are what a real build
records. `build` runs a project's batch with it; `translated_project` and
`sign_new_edition` set up what the translation tests need.
"""

from __future__ import annotations

from fakebuild import build as quick_build


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
