"""The handout pages: one entry per published article (its facts, downloads, thumbnail,
earlier editions, translations) and ``dist/<slug>/index.html`` rendered from it.

An entry speaks the article's language: ``lang``, the fixed words (the theme's
``labels/<lang>.yaml``, ``site_*`` keys), dates (as in the PDF: Thai in the Buddhist Era)
and ``og:locale``. The page shows the web version of the handout (`web.web_body`) with
the same review credit and content fingerprint as the PDF, and links every translation
of the article by its language's own name, with ``<link rel=alternate hreflang>``.
``og:image``, the canonical address and the hreflang addresses are absolute when
``site_url`` (handouts.toml) says where the site is published; a relative ``og:image``
is not valid Open Graph, so without it there is none.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from markupsafe import Markup

from handouts.dist.records import ArchiveEntry, ArticleRecord, Manifest
from handouts.dist.site.common import (THUMB_NAME, THUMB_WIDTH, VARIANT_LABELS, downloads, environment,
                                       extent, href, language_name, main_output, native_name, og_locale,
                                       reference_html, relative)
from handouts.dist.site.web import web_body

PAGE = "index.html"


def page_url(slug: str, site_url: str) -> str:
    """The absolute address of `slug`'s page (its folder), or "" without `site_url`."""
    return f"{site_url.rstrip('/')}/{quote(slug, safe='')}/" if site_url else ""


def _json_ld(article: ArticleRecord, url: str, original_url: str) -> Markup:
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
        "url": url or None,
        "translationOfWork": {"@id": original_url} if original_url and original_url != url else None,
    }
    text = json.dumps({k: v for k, v in data.items() if v not in (None, "", [])},
                      ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _file_kind(path: str, slug: str, default_paper: str) -> tuple[str, str, str | None]:
    """(kind, paper, clinic) of an archived file its edition did not record, from its
    name (a name no variant makes is shown as it is)."""
    from handouts.variants.kinds import output_kind

    parts = path.split("/")
    clinic = parts[1] if len(parts) == 3 and parts[0] == "clinics" else None
    kind, paper = output_kind(path, slug) or (PurePosixPath(parts[-1]).stem, None)
    return kind, paper or default_paper, clinic


def _earlier_editions(output_dir: Path, slug: str, archived: tuple[ArchiveEntry, ...], from_dir: str,
                      default_paper: str, names: dict, labels: dict) -> list[dict]:
    """The archived editions, newest first: who reviewed each, its content fingerprint, and
    each of its PDFs named by what it is ("Large print · A4 — Riverside Clinic")."""
    from handouts.dist.archive import read_edition

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
            files.append({"href": relative(f"{e.path}/{f}", from_dir), "label": label,
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


def load_thumbnailer() -> None:
    """Import what `thumbnail_png` uses (PDFium is loaded with pypdfium2: ~40 ms)."""
    import pypdfium2  # noqa: F401
    from PIL import PngImagePlugin  # noqa: F401


def thumbnail_png(pdf: bytes, sha256: str) -> bytes | None:
    """Page 1 of the PDF `pdf` as a small palette PNG that records `sha256` (the PDF's),
    or None for a broken PDF: pypdfium2 renders, Pillow reduces it to 64 colours (the fast
    octree: ~1 ms, against ~8 for median cut, and a smaller file) and encodes it."""
    import pypdfium2
    from PIL import Image
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
    image.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        out, format="PNG", pnginfo=info)
    return out.getvalue()


def entries(output_dir: Path, theme, manifest: Manifest, default_paper: str, names: dict,
            site_url: str) -> dict[str, dict]:
    """One entry per article offered to readers, by slug, in title order. A draft is not
    medically reviewed: it is never offered (its PDF, stamped DRAFT, stays in dist/ for the
    editors)."""
    from handouts.dist.translations import families
    from handouts.project.i18n import label_table, labels_for

    table = label_table(theme)
    by_slug: dict[str, list] = defaultdict(list)
    for out in manifest.outputs:
        by_slug[out.slug].append(out)
    articles = {slug: article for slug, article in manifest.articles.items() if not article.draft}
    found: dict[str, dict] = {}
    for slug, article in sorted(articles.items(), key=lambda kv: (kv[1].title.casefold(), kv[0])):
        outputs = by_slug.get(slug, [])
        main = main_output(outputs, default_paper)
        png = None
        if main is not None:
            png = _thumbnail(Path(output_dir) / main.path, main.sha256 or "",
                             Path(output_dir) / slug / THUMB_NAME)
        labels = labels_for(table, article.lang)
        found[slug] = dict(
            slug=slug, article=article, outputs=outputs, main=main, thumb_png=png,
            thumb=href(slug, THUMB_NAME) if png else None, page=href(slug, PAGE),
            url=page_url(slug, site_url), language=language_name(article.lang),
            native_language=native_name(article.lang), t=labels,
            main_extent=extent(main.kind, main.pages, labels) if main else "",
            editions=_earlier_editions(output_dir, slug, manifest.archive.get(slug, ()), slug,
                                       default_paper, names, labels), names=names)
    for original, members in families(articles).items():
        for slug in members:
            found[slug]["original"] = original
            found[slug]["family"] = members
    return found


def handout_page(output_dir: Path, theme, entry: dict, found: dict[str, dict],
                 default_paper: str, site_url: str, stamp: str = "") -> bytes:
    """``dist/<slug>/index.html``: the web version of the handout with its downloads.
    `stamp`: what the page records of its inputs (`handouts.dist.site.stamp`)."""
    slug, article = entry["slug"], entry["article"]
    family = [found[s] for s in entry["family"]]
    others = [dict(lang=e["article"].lang, name=e["native_language"], title=e["article"].title,
                   href=relative(f"{e['slug']}/{PAGE}", slug))
              for e in family if e is not entry]
    alternates = [(e["article"].lang, e["url"] or relative(f"{e['slug']}/{PAGE}", slug))
                  for e in family] if others else []
    original = found[entry["original"]]
    og_image = (page_url(slug, site_url) + THUMB_NAME) if entry["thumb"] and site_url else ""
    return environment(theme).get_template("article.html.j2").render(
        **entry, root="../", downloads=downloads(entry["outputs"], slug, default_paper, entry["t"],
                                                 entry["names"]),
        json_ld=_json_ld(article, entry["url"], original["url"]), og_locale=og_locale(article.lang),
        og_image=og_image, canonical=entry["url"], translations=others, alternates=alternates,
        x_default=(original["url"] or relative(f"{original['slug']}/{PAGE}", slug)) if others else "",
        body=web_body(output_dir, slug, article),
        references=[(r.number, reference_html(r.html)) for r in article.references],
        thumb_href=THUMB_NAME if entry["thumb"] else None, stamp=stamp).encode()
