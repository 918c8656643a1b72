"""Template stage: Article + body + bibliography -> HTML document (Jinja2, autoescaped).

Templates, CSS and label translations live in ``styles/``; StrictUndefined makes a
misspelt variable a build error instead of a silently empty line.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from .article import Article
from .body import Body
from .citations import Bibliography
from .config import label_table
from .variants import Variant

def css_string(value) -> Markup:
    """A quoted CSS string; ``<`` is escaped so a ``</style>`` cannot close the sheet."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.replace("\n", "\\a ").replace("<", "\\3c ")
    return Markup(f'"{text}"')


@functools.lru_cache(maxsize=8)
def _environment(styles_dir: Path) -> jinja2.Environment:
    # HTML templates autoescape; the CSS template quotes every value with `cssstring`.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(styles_dir),
                             autoescape=lambda name: not (name or "").endswith(".css.j2"),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["cssstring"] = css_string
    return env


@functools.lru_cache(maxsize=8)
def load_labels(styles_dir: Path, lang: str) -> dict:
    """The label set for `lang` (``vi-VN`` falls back to ``vi``, then to ``en``)."""
    table = label_table(styles_dir)
    base = table["en"]
    for tag in (lang.split("-")[0], lang):
        base = {**base, **table.get(tag, {})}
    return base


def format_date(day: dt.date | None, labels: dict) -> str:
    if day is None:
        return ""
    return labels["date"].format(month=labels["months"][day.month - 1], day=day.day, year=day.year)


@dataclass(frozen=True)
class Document:
    """What the renderer needs: the HTML and the generated page CSS."""

    html: str
    page_css: str


def render_document(article: Article, body: Body, bibliography: Bibliography, variant: Variant,
                    styles_dir: Path, clinic=None) -> Document:
    """Fill the variant's template and the page-furniture stylesheet."""
    labels = load_labels(styles_dir, article.lang)
    env = _environment(styles_dir)
    context = dict(
        article=article,
        body=Markup(body.html),  # sanitized by the body stage
        outline=body.outline,
        entries=[(e.number, Markup(e.html)) for e in bibliography.entries],
        labels=labels,
        date=lambda d: format_date(d, labels),
        variant=variant,
        clinic=clinic,
    )
    return Document(env.get_template(variant.template).render(**context),
                    env.get_template("page.css.j2").render(**context))
