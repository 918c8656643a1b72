"""What the site's pages share: links, dates and language names, download lists, the
Jinja2 environment of the theme's ``site/*.html.j2`` (autoescaped, StrictUndefined).

Everything links relatively (`href`, `relative`), so ``dist/`` can be copied to any
static host. The manifest is a cache in a folder anyone may have written to: every link
is built from percent-quoted path segments, and reference HTML read from it is cleaned
again (`reference_html`) before it reaches a reader's browser.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

import jinja2
import nh3
from markupsafe import Markup

from handouts.dist.records import OutputRecord
from handouts.theme import template_cache

#: The index's own words are English; each handout's entry and page are in its `lang`.
SITE_LANG = "en"
THUMB_NAME = "thumb.png"
THUMB_WIDTH = 240  # px; ~30 KB as an 8-bit palette PNG
#: Variants offered to readers and clinics, in this order; press is for print shops only.
READER_VARIANTS = ("handout", "large-print", "booklet")
#: An output's kind (`variants.kinds.piece_kinds`) -> its label key (labels/<lang>.yaml).
VARIANT_LABELS = {
    "handout": "site_handout",
    "large-print": "site_large_print",
    "booklet": "site_booklet",
    "booklet-pages": "site_booklet_pages",
    "press": "site_press",
}


@dataclass(frozen=True)
class Download:
    href: str  # relative to the page that shows it
    label: str
    variant: str
    paper: str
    pages: int
    size: str
    extent: str = ""  # "3 pages"; a booklet: its pages and the sheets to print


def extent(variant: str, pdf_pages: int, labels: dict) -> str:
    """How long a download is, in the reader's words. A booklet's PDF holds one sheet side
    per page, two booklet pages on each: a 6-page PDF is a 12-page booklet on 3 sheets."""
    from handouts.project.i18n import fill

    if variant == "booklet":
        key = "site_booklet_extent_one" if pdf_pages <= 2 else "site_booklet_extent"
        return fill(labels[key], pages=2 * pdf_pages, sheets=(pdf_pages + 1) // 2)
    return fill(labels["site_pages_one" if pdf_pages == 1 else "site_pages"], n=pdf_pages)


def og_locale(lang: str) -> str:
    """``th`` -> ``th_TH``, ``vi-VN`` -> ``vi_VN``, ``fil`` -> ``fil_PH`` (Open Graph's form:
    language_TERRITORY, the territory CLDR finds likeliest when the tag has none)."""
    from babel import Locale, UnknownLocaleError
    from babel.core import get_global

    tag = (lang or "en").replace("-", "_")
    try:
        locale = Locale.parse(tag)
        if not locale.territory:
            locale = Locale.parse(get_global("likely_subtags").get(locale.language, tag))
    except (ValueError, UnknownLocaleError):
        return tag
    return f"{locale.language}_{locale.territory}" if locale.territory else locale.language


def human_size(n: int) -> str:
    """A file size as people read it: ``240 KB``, ``1.3 MB``."""
    return f"{max(n, 1) / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def date_text(value, lang: str = SITE_LANG) -> str:
    """A date as the handout prints it in `lang` (Thai: Buddhist Era year)."""
    if not value:
        return ""
    from handouts.project.i18n import format_date

    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return format_date(day, lang)


def language_name(tag: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return tag
    native, english = locale.get_display_name(locale), locale.get_display_name(SITE_LANG)
    return english if native == english else f"{english} · {native}"


def native_name(tag: str) -> str:
    """The language's name in itself: ``th`` -> ``ไทย``, ``vi`` -> ``Tiếng Việt``."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return tag
    return locale.get_display_name(locale) or tag


@functools.lru_cache(maxsize=4)
def environment(theme) -> jinja2.Environment:
    env = jinja2.Environment(loader=theme.loader("site"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=template_cache())
    env.filters["date"] = date_text
    return env



def href(*paths: str) -> str:
    """A relative URL from posix paths: each segment percent-quoted, so no name can turn
    into a scheme (``javascript:``), a query, a fragment or a parent folder."""
    segments = [seg for path in paths for seg in str(path).split("/") if seg]
    return "/".join(quote(seg, safe="") for seg in segments)


def relative(target: str, from_dir: str) -> str:
    """The URL of `target` (a posix path under dist/) from the folder `from_dir` ('' for
    the site root)."""
    depth = len(PurePosixPath(from_dir).parts) if from_dir else 0
    return "../" * depth + href(target)


#: What a formatted reference may hold on the site: emphasis and web links.
_REFERENCE_TAGS = {"i", "em", "b", "strong", "sup", "sub", "small", "span", "a", "br"}


def reference_html(fragment) -> Markup:
    """A reference's HTML (from the manifest) cleaned to `_REFERENCE_TAGS` and http(s)
    links."""
    text = fragment if isinstance(fragment, str) else ""
    return Markup(nh3.clean(text, tags=_REFERENCE_TAGS, attributes={"a": {"href"}, "*": {"lang"}},
                            url_schemes={"http", "https"}, link_rel="noopener noreferrer"))


def downloads(outputs: list[OutputRecord], from_dir: str, default_paper: str, labels: dict,
              names: dict[str, str]) -> dict:
    """Group an article's outputs: reader variants, print-shop files, per clinic (by the
    name readers know it by, `names`); labelled in the article's language (`labels`)."""
    groups: dict = {"reader": [], "press": [], "clinics": defaultdict(list)}
    order = {name: i for i, name in enumerate((*READER_VARIANTS, "booklet-pages", "press"))}
    for out in sorted(outputs, key=lambda o: (o.clinic or "", order.get(o.kind, 99),
                                              o.paper != default_paper, o.path)):
        key = out.kind
        paper = (out.paper or "").upper() if out.paper == "a4" else (out.paper or "").title()
        clinic = names.get(out.clinic, out.clinic) if out.clinic else ""
        label = labels.get(VARIANT_LABELS.get(key, ""), key)
        if clinic and key in ("press", "booklet-pages"):
            label += f" — {clinic}"
        item = Download(relative(out.path, from_dir), label, key, paper, out.pages,
                        human_size(out.bytes), extent(key, out.pages, labels))
        if key in ("press", "booklet-pages"):  # print shops only, whoever's copy it is
            groups["press"].append(item)
        elif clinic:
            groups["clinics"][clinic].append(item)
        else:
            groups["reader"].append(item)
    groups["clinics"] = dict(sorted(groups["clinics"].items()))
    return groups


def main_output(outputs: list[OutputRecord], default_paper: str) -> OutputRecord | None:
    """The plain handout on the default paper, else the first reader output."""
    plain = [o for o in outputs if not o.clinic and o.kind in READER_VARIANTS]
    plain.sort(key=lambda o: (o.kind != "handout", o.paper != default_paper))
    return plain[0] if plain else None
