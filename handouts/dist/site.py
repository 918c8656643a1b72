"""The download site: ``dist/manifest.json`` -> ``dist/index.html``, one page per handout
(``dist/<slug>/index.html``) and a thumbnail of each handout's first page.

Pure with respect to the output folder: `site_files` returns (path, bytes) pairs and the
publish stage writes them. Everything links relatively, so ``dist/`` can be copied to any
static host. Templates are the theme's ``site/*.html.j2`` (Jinja2, autoescaped).

The index's own words are English (`SITE_LANG`); each handout's entry on it, and its own
page, speak the article's language: ``lang``, the fixed words (the theme's
``labels/<lang>.yaml``, ``site_*`` keys), dates (as in the PDF: Thai in the Buddhist Era)
and ``og:locale``. ``og:image`` is an absolute URL only when ``site_url`` (handouts.toml)
says where the site is published; a relative one is not valid Open Graph, so without it
there is none.

The manifest is a cache in a folder anyone may have written to: every link is built from
percent-quoted path segments (`href`), and reference HTML read from it is cleaned again
(`reference_html`) before it reaches a reader's browser.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import jinja2
import nh3
from markupsafe import Markup

from handouts.dist.archive import read_edition
from handouts.dist.records import ArchiveEntry, ArticleRecord, Manifest, OutputRecord
from handouts.variants.kinds import output_kind

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


def _extent(variant: str, pdf_pages: int, labels: dict) -> str:
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


def _date(value, lang: str = SITE_LANG) -> str:
    """A date as the handout prints it in `lang` (Thai: Buddhist Era year)."""
    if not value:
        return ""
    from handouts.project.i18n import format_date

    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return format_date(day, lang)


def _language_name(tag: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return tag
    native, english = locale.get_display_name(locale), locale.get_display_name(SITE_LANG)
    return english if native == english else f"{english} · {native}"


def _native_name(tag: str) -> str:
    """The language's name in itself: ``th`` -> ``ไทย``, ``vi`` -> ``Tiếng Việt``."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return tag
    return locale.get_display_name(locale) or tag


@functools.lru_cache(maxsize=4)
def _environment(theme) -> jinja2.Environment:
    env = jinja2.Environment(loader=theme.loader("site"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["date"] = _date
    return env


def _json_ld(article: ArticleRecord, slug: str) -> Markup:
    """schema.org MedicalWebPage; ``<`` escaped so no value can close the script."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article.title,
        "description": article.summary,
        "inLanguage": article.lang,
        "dateModified": article.updated,
        "lastReviewed": article.reviewed,
        "reviewedBy": [{"@type": "Person", "name": r.name, "honorificSuffix": r.credential,
                        "knowsAbout": r.specialty} for r in article.reviewers if r.covers],
        "author": [{"@type": "Person", "name": name} for name in article.authors],
        "publisher": {"@type": "Organization", "name": article.publisher},
        "keywords": ", ".join(article.keywords),
        "audience": {"@type": "PeopleAudience", "audienceType": "Patient"},
    }
    text = json.dumps({k: v for k, v in data.items() if v not in (None, "", [])},
                      ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def href(*paths: str) -> str:
    """A relative URL from posix paths: each segment percent-quoted, so no name can turn
    into a scheme (``javascript:``), a query, a fragment or a parent folder."""
    segments = [seg for path in paths for seg in str(path).split("/") if seg]
    return "/".join(quote(seg, safe="") for seg in segments)


def _relative(target: str, from_dir: str) -> str:
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


def _downloads(outputs: list[OutputRecord], from_dir: str, default_paper: str, labels: dict,
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
        item = Download(_relative(out.path, from_dir), label, key, paper, out.pages,
                        human_size(out.bytes), _extent(key, out.pages, labels))
        if key in ("press", "booklet-pages"):  # print shops only, whoever's copy it is
            groups["press"].append(item)
        elif clinic:
            groups["clinics"][clinic].append(item)
        else:
            groups["reader"].append(item)
    groups["clinics"] = dict(sorted(groups["clinics"].items()))
    return groups


def _file_kind(path: str, slug: str, default_paper: str) -> tuple[str, str, str | None]:
    """(kind, paper, clinic) of an archived file its edition did not record, from its
    name (a name no variant makes is shown as it is)."""
    parts = path.split("/")
    clinic = parts[1] if len(parts) == 3 and parts[0] == "clinics" else None
    kind, paper = output_kind(path, slug) or (PurePosixPath(parts[-1]).stem, None)
    return kind, paper or default_paper, clinic


def _earlier_editions(output_dir: Path, slug: str, archived: tuple[ArchiveEntry, ...], from_dir: str,
                      default_paper: str, names: dict, labels: dict) -> list[dict]:
    """The archived editions, newest first: who reviewed each, its content fingerprint, and
    each of its PDFs named by what it is ("Large print · A4 — Riverside Clinic")."""
    out = []
    for e in sorted(archived, key=lambda e: -e.edition):
        info = read_edition(Path(output_dir) / e.path, slug)
        known = {o.path: (o.kind, o.paper or "", o.clinic) for o in info.outputs} if info else {}
        files = []
        for f in e.files:
            if not f.endswith(".pdf") or f.startswith("source/"):
                continue
            key, paper, clinic = known.get(f) or _file_kind(f, slug, default_paper)
            label = labels.get(VARIANT_LABELS.get(key, ""), key) + (
                f" · {paper.upper() if paper == 'a4' else paper.title()}" if paper else "")
            if clinic:
                label += f" — {names.get(clinic, clinic)}"
            files.append({"href": _relative(f"{e.path}/{f}", from_dir), "label": label,
                          "name": f})
        article = info.article if info else None
        out.append({"edition": e.edition, "files": files,
                    "reviewers": [r for r in article.reviewers if r.covers] if article else [],
                    "content": (article.content or article.content_fingerprint[:12]) if article else ""})
    return out


def _thumbnail(pdf_path: Path, sha256: str = "", previous: Path | None = None) -> bytes | None:
    """Page 1 of `pdf_path` as a small palette PNG (`thumbnail_png`).

    The PNG records the PDF's sha256; when `previous` was made from the same PDF (by an
    earlier run, or by the worker that built it), its bytes are reused instead of
    rendering again.
    """
    if sha256 and previous is not None and previous.is_file():
        from PIL import Image

        try:
            with Image.open(previous) as old:
                if old.info.get("source-sha256") == sha256:
                    return previous.read_bytes()
        except OSError:
            pass
    try:
        data = pdf_path.read_bytes()
    except OSError:
        return None
    return thumbnail_png(data, sha256)


def thumbnail_png(pdf: bytes, sha256: str) -> bytes | None:
    """Page 1 of the PDF `pdf` as a small palette PNG that records `sha256` (the PDF's),
    or None for a broken PDF: pypdfium2 renders, Pillow encodes."""
    import pypdfium2
    from PIL.PngImagePlugin import PngInfo

    try:
        document = pypdfium2.PdfDocument(pdf)
    except Exception:  # pypdfium2 raises PdfiumError for a broken file
        return None
    try:
        page = document[0]
        scale = THUMB_WIDTH / page.get_width()
        image = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()
    out = io.BytesIO()
    info = PngInfo()
    info.add_text("source-sha256", sha256)
    image.quantize(colors=64, dither=0).save(out, format="PNG", optimize=True, pnginfo=info)
    return out.getvalue()


def _main_output(outputs: list[OutputRecord], default_paper: str) -> OutputRecord | None:
    """The plain handout on the default paper, else the first reader output."""
    plain = [o for o in outputs if not o.clinic and o.kind in READER_VARIANTS]
    plain.sort(key=lambda o: (o.kind != "handout", o.paper != default_paper))
    return plain[0] if plain else None


def site_files(output_dir: Path, theme, manifest: Manifest,
               default_paper: str = "a4", clinic_names: dict[str, str] | None = None,
               site_url: str = "") -> list[tuple[Path, bytes]]:
    """Every file of the site for `manifest`: the index, per-handout pages, thumbnails.

    `clinic_names` maps clinic ids to the names readers know them by; `site_url` is where
    the site is published (``site_url`` in handouts.toml), or "" when unknown."""
    from urllib.parse import quote

    from handouts.project.i18n import label_table
    from handouts.project.i18n import labels_for

    table = label_table(theme)
    names = clinic_names or {}
    env = _environment(theme)
    by_slug: dict[str, list[OutputRecord]] = defaultdict(list)
    for out in manifest.outputs:
        by_slug[out.slug].append(out)
    css = theme.path("site/site.css").read_bytes()
    files: list[tuple[Path, bytes]] = [(output_dir / "site.css", css)]
    entries = []
    # A draft is not medically reviewed: it is never offered to patients (its PDF, stamped
    # DRAFT, stays in dist/ for the editors).
    articles = {slug: article for slug, article in manifest.articles.items() if not article.draft}
    for slug, article in sorted(articles.items(), key=lambda kv: kv[1].title.casefold()):
        outputs = by_slug.get(slug, [])
        main = _main_output(outputs, default_paper)
        thumb = None
        if main is not None:
            png = _thumbnail(output_dir / main.path, main.sha256 or "",
                             output_dir / slug / THUMB_NAME)
            if png:
                files.append((output_dir / slug / THUMB_NAME, png))
                thumb = href(slug, THUMB_NAME)
        labels = labels_for(table, article.lang)
        editions = _earlier_editions(output_dir, slug, manifest.archive.get(slug, ()), slug,
                                     default_paper, names, labels)
        entry = dict(slug=slug, article=article, main=main, thumb=thumb, page=href(slug, "index.html"),
                     language=_language_name(article.lang), t=labels,
                     native_language=_native_name(article.lang),
                     main_extent=_extent(main.kind, main.pages, labels) if main else "",
                     editions=editions)
        entries.append(entry)
        og_image = (site_url.rstrip("/") + "/" + quote(f"{slug}/{THUMB_NAME}")) if thumb and site_url else ""
        page = env.get_template("article.html.j2").render(
            **entry, root="../", downloads=_downloads(outputs, slug, default_paper, labels, names),
            json_ld=_json_ld(article, slug), og_locale=og_locale(article.lang), og_image=og_image,
            references=[(r.number, reference_html(r.html)) for r in article.references],
            thumb_href=THUMB_NAME if thumb else None)
        files.append((output_dir / slug / "index.html", page.encode()))
    languages: dict[str, list] = defaultdict(list)
    topics: dict[str, list] = defaultdict(list)
    for entry in entries:
        languages[entry["language"]].append(entry)
        for keyword in entry["article"].keywords:
            topics[keyword.casefold()].append(entry)
    for entry in entries:
        entry["downloads"] = _downloads(by_slug.get(entry["slug"], []), "", default_paper, entry["t"],
                                        names)
    publishers = sorted({e["article"].publisher for e in entries} - {""})
    index = env.get_template("index.html.j2").render(
        entries=entries, languages=dict(sorted(languages.items())),
        topics=dict(sorted(topics.items())), publisher=", ".join(publishers), root="")
    files.append((output_dir / "index.html", index.encode()))
    return files
