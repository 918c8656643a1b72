"""Template stage: Article + body + bibliography -> HTML document (Jinja2, autoescaped).

Templates, CSS and label translations come from the theme (handouts/theme/, overridden by
the project's ``styles/`` file by file); StrictUndefined makes a
misspelt variable a build error instead of a silently empty line.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

import jinja2
from markupsafe import Markup

from handouts.project import i18n
from handouts.pdf import qr
from handouts.theme import Theme, template_cache
from handouts.source.article import Article
from handouts.source.dates import document_date
from handouts.markdown.body import Body
from handouts.references.bibliography import Bibliography
from handouts.project.i18n import label_table
from handouts.variants.kinds import Variant
from handouts.markdown.typography import keep_together, url_parts

def css_string(value) -> Markup:
    """A quoted CSS string; ``<`` is escaped so a ``</style>`` cannot close the sheet."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.replace("\n", "\\a ").replace("<", "\\3c ")
    return Markup(f'"{text}"')


@functools.lru_cache(maxsize=8)
def _environment(theme: Theme) -> jinja2.Environment:
    # HTML templates autoescape; the CSS template quotes every value with `cssstring`.
    env = jinja2.Environment(loader=theme.loader(),
                             autoescape=lambda name: not (name or "").endswith(".css.j2"),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True,
                             bytecode_cache=template_cache())
    env.filters["cssstring"] = css_string
    env.filters["smartquotes"] = smart_quotes
    env.filters["tel"] = lambda phone: re.sub(r"(?!^\+)[^0-9]", "", str(phone).strip())
    env.filters["url_parts"] = url_parts
    env.filters["bareurl"] = lambda url: re.sub(r"^https?://(www\.)?", "", str(url)).rstrip("/")
    return env


@functools.lru_cache(maxsize=8)
def load_labels(theme: Theme, lang: str) -> dict:
    """The label set for `lang` (``vi-VN`` falls back to ``vi``, then key by key to ``en``)."""
    return i18n.labels_for(label_table(theme), lang)


def format_date(day: dt.date | None, lang: str = "en") -> str:
    """The date in the article's language (Babel; Thai with the Buddhist Era year)."""
    return i18n.format_date(day, lang)


_OPEN_BEFORE = r"(^|(?<=[\s(\[{\u2014\u2013/-]))"


def smart_quotes(value) -> str:
    """Straight quotes, ``--``, ``---`` and ``...`` in front-matter text -> typographic,
    as the Markdown body gets them (Python-Markdown's smarty); the result is still
    plain text for autoescaping."""
    text = str(value)
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    text = re.sub(_OPEN_BEFORE + '"', "\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(_OPEN_BEFORE + "'(?=\\w)", "\u2018", text)
    return text.replace("'", "\u2019")


@dataclass(frozen=True)
class Document:
    """What the renderer needs: the HTML and the generated page CSS."""

    html: str
    page_css: str


def _qr(article: Article, clinic, labels: dict) -> dict | None:
    """The QR code: the article's online version, else the clinic's website."""
    url = article.source_url or (clinic.website if clinic is not None else "")
    if not url:
        return None
    # The clinic's website needs no label: the clinic's block stands beside it.
    caption = f"{labels['latest_version']}:" if article.source_url else ""
    return dict(url=url, uri=qr.qr_data_uri(url), size_mm=f"{qr.size_for(url):.1f}",
                caption=caption, alt=i18n.fill(labels["qr_code"], url=url))


def _questions(clinic, labels: dict) -> str:
    """The footer's "Questions? Call <clinic> at <phone>", or the clinic's own line."""
    if clinic is None:
        return ""
    if clinic.questions:
        return _unbreakable_phones(clinic.questions)
    if clinic.phone:
        return i18n.fill(labels["questions_call"], clinic=clinic.name,
                         phone=_unbreakable_phones(clinic.phone))
    return ""


def _unbreakable_phones(text: str) -> str:
    """Phone numbers with no-break spaces: the footer is a CSS string, where a span cannot
    keep "+1 555 0100" on one line."""
    from handouts.markdown.typography import PHONE_RE

    return PHONE_RE.sub(lambda m: m.group(0).replace(" ", "\u00a0"), text)


#: The stamp of a proof of unreviewed content (`--allow-unreviewed`): for editors, in English.
PROOF_STAMP = "Changed since medical review — not for patients"


def credited(article: Article, status, proof: bool = False) -> tuple:
    """The reviewers the handout credits: those whose sign-off covers its content
    (`status`, an `editions.ReviewStatus`); none on a draft or a proof."""
    if article.draft or proof:
        return ()
    return status.covering


def render_document(article: Article, body: Body, bibliography: Bibliography, variant: Variant,
                    theme: Theme, clinic=None, *, status, proof: bool = False) -> Document:
    """Fill the variant's template and the page-furniture stylesheet. `status` (an
    `editions.ReviewStatus`) decides the review credit; `proof` stamps every page."""
    labels = load_labels(theme, article.lang)
    env = _environment(theme)
    context = dict(
        article=article,
        body=Markup(body.html),  # sanitized by the body stage
        outline=body.outline,
        entries=[(e.number, Markup(e.html)) for e in bibliography.entries],
        labels=labels,
        # A date stays on one line ("1 / tháng 3, 2027" otherwise) through base.css's
        # `nowrap` class, not no-break spaces: WeasyPrint maps the space glyph to whichever
        # of the two it met first, and every space could then extract as U+00A0.
        # (English dates are wrapped by the body's typography pass, handouts/typography.py.)
        date=(lambda d: format_date(d, article.lang)) if i18n.primary(article.lang) == "en"
        else (lambda d: Markup('<span class="nowrap">%s</span>') % format_date(d, article.lang)),
        plain_date=lambda d: format_date(d, article.lang),
        next_review_due=article.next_review_due,
        document_date=document_date(article),  # PDF dates: updated, else SOURCE_DATE_EPOCH
        variant=variant,
        clinic=clinic,
        clinic_logo_alt=i18n.fill(labels["clinic_logo"], clinic=clinic.name) if clinic else "",
        questions=_questions(clinic, labels),
        qr=_qr(article, clinic, labels),
        hyphenate=i18n.hyphenates(article.lang),
        credits=credited(article, status, proof),
        content=article.content.short if article.content else "",
        proof=PROOF_STAMP if proof else "",
    )
    # No line break inside a phone number, the publisher's, clinic's or reviewer's name, a
    # date or a reference's author initials, wherever the template or citations put them.
    names = (article.publisher or "", clinic.name if clinic else "",
             *(r.name for r in context["credits"]))
    return Document(keep_together(env.get_template(variant.template).render(**context), names),
                    # CSS takes dates as plain text (an older page.css.j2 calls date()).
                    env.get_template("page.css.j2").render(**{**context, "date": context["plain_date"]}))
