"""Template stage: reviewed HTML golden file, autoescaping, labels.

Regenerate the golden file after a deliberate template change with
``UPDATE_GOLDEN=1 python3 -m pytest tests/pdf/test_template.py`` and review its diff.
"""

from __future__ import annotations

import os
from dataclasses import replace

from handouts.source.article import load_article
from handouts.markdown.body import convert
from handouts.references.bibliography import format_bibliography
from handouts.project.config import load_config
from handouts.pdf.template import render_document
from handouts.dist.editions import review_status
from handouts.variants.kinds import Variant

from pdfcheck import FICTIONAL, FIXTURES

GOLDEN = FIXTURES / "golden" / f"{FICTIONAL}.html"


def _html(project, slug=FICTIONAL, clinic=None, **changes) -> str:
    config = load_config(project)
    article = load_article(project / "source" / slug / "article.md", config)
    article = replace(article, **changes)
    bib = format_bibliography(article.references, article.cited, config.csl_style, lang=article.lang)
    body = convert(article.body, bib.numbers)
    doc = render_document(article, body, bib, Variant(), config.theme, config.clinic(clinic),
                          status=review_status(article))
    return doc.html + "\n<!-- page.css -->\n" + doc.page_css


def _check_golden(path, html: str) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8")


def test_html_matches_reviewed_golden_file():
    _check_golden(GOLDEN, _html(FIXTURES / "project"))


def test_cobranded_vietnamese_html_matches_reviewed_golden_file():
    """Labels, dates, clinic block, footer line, QR code and hyphenation for a 'vi'
    article printed for a clinic (tests/fixtures/i18n)."""
    _check_golden(FIXTURES / "golden" / "vi-rest-guide-lotus.html",
                  _html(FIXTURES / "i18n", "vi-rest-guide", "lotus"))


def test_front_matter_text_is_escaped():
    html = _html(FIXTURES / "project", title='<script>alert("x")</script>',
                 short_title='</style><b>x', disclaimer="A & B <i>")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "</style><b>" not in html and '"\\3c /style>\\3c b>x"' in html
    assert "A &amp; B &lt;i&gt;" in html
