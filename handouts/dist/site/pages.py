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

import datetime as dt
import io
import json
from collections import defaultdict
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from markupsafe import Markup

from handouts.dist.site.common import (ARTICLE_DEFAULTS, THUMB_NAME, THUMB_WIDTH, downloads, environment,
                                       extent, href, language_name, main_output, native_name, og_locale,
                                       reference_html, relative, variant_key, VARIANT_LABELS)
from handouts.dist.site.web import web_body

PAGE = "index.html"


def page_url(slug: str, site_url: str) -> str:
    """The absolute address of `slug`'s page (its folder), or "" without `site_url`."""
    return f"{site_url.rstrip('/')}/{quote(slug, safe='')}/" if site_url else ""


def _json_ld(article: dict, url: str, original_url: str) -> Markup:
    """schema.org MedicalWebPage; ``<`` escaped so no value can close the script."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article["title"],
        "description": article.get("summary") or "",
        "inLanguage": article["lang"],
        "dateModified": article.get("updated") or None,
        "lastReviewed": article.get("reviewed") or None,
        "reviewedBy": [{"@type": "Person", "name": r["name"],
                        "honorificSuffix": r.get("credential", ""),
                        "knowsAbout": r.get("specialty", "")} for r in article.get("reviewers", [])
                       if r.get("covers", True)],
        "author": [{"@type": "Person", "name": name} for name in article.get("authors", [])],
        "publisher": {"@type": "Organization", "name": article.get("publisher", "")},
        "keywords": ", ".join(article.get("keywords", [])),
        "audience": {"@type": "PeopleAudience", "audienceType": "Patient"},
        "url": url or None,
        "translationOfWork": {"@id": original_url} if original_url and original_url != url else None,
    }
    text = json.dumps({k: v for k, v in data.items() if v not in (None, "", [])},
                      ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))



def _edition_facts(output_dir: Path, folder: str) -> dict:
    """An archived edition's ``edition.json`` ({} when missing or not an object)."""
    try:
        info = json.loads((Path(output_dir) / folder / "edition.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _is_date(value) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _file_kind(path: str, slug: str, default_paper: str) -> dict:
    """What an output file is, from its name (for an archive that did not record it)."""
    from handouts.project.config import PAPERS

    parts = path.split("/")
    clinic = parts[1] if len(parts) == 3 and parts[0] == "clinics" else None
    stem = PurePosixPath(parts[-1]).stem
    rest = stem[len(slug):] if stem.startswith(slug) else stem
    paper = next((p for p in PAPERS if rest.endswith(f"-{p}")), default_paper)
    rest = rest.removesuffix(f"-{paper}") if rest.endswith(f"-{paper}") else rest
    return {"path": path, "variant": rest.lstrip("-") or "handout", "paper": paper, "clinic": clinic}


def _earlier_editions(output_dir: Path, slug: str, archived: list, from_dir: str,
                      default_paper: str, names: dict, labels: dict) -> list[dict]:
    """The archived editions, newest first: who reviewed each, its content fingerprint, and
    each of its PDFs named by what it is ("Large print · A4 — Riverside Clinic")."""
    out = []
    for e in sorted(archived, key=lambda e: -int(e["edition"])):
        info = _edition_facts(output_dir, e["path"])
        known = {o["path"]: o for o in info.get("outputs") or ()
                 if isinstance(o, dict) and isinstance(o.get("path"), str)}
        files = []
        for f in e["files"]:
            if not f.endswith(".pdf") or f.startswith("source/"):
                continue
            kind = known.get(f) or _file_kind(f, slug, default_paper)
            key = variant_key(kind)
            paper = str(kind.get("paper") or "")
            label = labels.get(VARIANT_LABELS.get(key, ""), key) + (
                f" · {paper.upper() if paper == 'a4' else paper.title()}" if paper else "")
            if kind.get("clinic"):
                label += f" — {names.get(kind['clinic'], kind['clinic'])}"
            files.append({"href": relative(f"{e['path']}/{f}", from_dir), "label": label,
                          "name": f})
        reviewers = [{"name": r["name"], "credential": str(r.get("credential") or ""),
                      "reviewed": r.get("reviewed") if _is_date(r.get("reviewed")) else ""}
                     for r in info.get("reviewers") or ()
                     if isinstance(r, dict) and isinstance(r.get("name"), str) and r.get("covers", True)]
        content = info.get("content") or str(info.get("content_fingerprint") or "")[:12]
        out.append({"edition": e["edition"], "files": files, "reviewers": reviewers,
                    "content": content if isinstance(content, str) else ""})
    return out


def _thumbnail(pdf_path: Path, sha256: str = "", previous: Path | None = None) -> bytes | None:
    """Page 1 of `pdf_path` as a small palette PNG (pypdfium2 renders, Pillow encodes).

    The PNG records the PDF's sha256; when `previous` was made from the same PDF, its
    bytes are reused instead of rendering again.
    """
    if sha256 and previous is not None and previous.is_file():
        from PIL import Image

        try:
            with Image.open(previous) as old:
                if old.info.get("source-sha256") == sha256:
                    return previous.read_bytes()
        except OSError:
            pass
    import pypdfium2
    from PIL.PngImagePlugin import PngInfo

    try:
        document = pypdfium2.PdfDocument(str(pdf_path))
    except Exception:  # pypdfium2 raises PdfiumError for a missing or broken file
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



def entries(output_dir: Path, theme, manifest: dict, default_paper: str, names: dict,
            site_url: str) -> dict[str, dict]:
    """One entry per article offered to readers, by slug, in title order. A draft is not
    medically reviewed: it is never offered (its PDF, stamped DRAFT, stays in dist/ for the
    editors)."""
    from handouts.dist.translations import families
    from handouts.project.i18n import label_table, labels_for

    table = label_table(theme)
    by_slug: dict[str, list[dict]] = defaultdict(list)
    for out in manifest.get("outputs", []):
        by_slug[out["slug"]].append({**out, "clinic_name": names.get(out.get("clinic") or "",
                                                                      out.get("clinic_name"))})
    archive = manifest.get("archive", {})
    articles = {slug: {**ARTICLE_DEFAULTS, **article}
                for slug, article in manifest.get("articles", {}).items() if not article.get("draft")}
    found: dict[str, dict] = {}
    for slug, article in sorted(articles.items(), key=lambda kv: (kv[1]["title"].casefold(), kv[0])):
        outputs = by_slug.get(slug, [])
        main = main_output(outputs, default_paper)
        png = None
        if main is not None:
            png = _thumbnail(Path(output_dir) / main["path"], main.get("sha256", ""),
                             Path(output_dir) / slug / THUMB_NAME)
        labels = labels_for(table, article["lang"])
        found[slug] = dict(
            slug=slug, article=article, outputs=outputs, main=main, thumb_png=png,
            thumb=href(slug, THUMB_NAME) if png else None, page=href(slug, PAGE),
            url=page_url(slug, site_url), language=language_name(article["lang"]),
            native_language=native_name(article["lang"]), t=labels,
            main_extent=extent(variant_key(main), int(main.get("pages") or 0), labels) if main else "",
            editions=_earlier_editions(output_dir, slug, archive.get(slug, []), slug, default_paper,
                                       names, labels))
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
    others = [dict(lang=e["article"]["lang"], name=e["native_language"], title=e["article"]["title"],
                   href=relative(f"{e['slug']}/{PAGE}", slug))
              for e in family if e is not entry]
    alternates = [(e["article"]["lang"], e["url"] or relative(f"{e['slug']}/{PAGE}", slug))
                  for e in family] if others else []
    original = found[entry["original"]]
    og_image = (page_url(slug, site_url) + THUMB_NAME) if entry["thumb"] and site_url else ""
    return environment(theme).get_template("article.html.j2").render(
        **entry, root="../", downloads=downloads(entry["outputs"], slug, default_paper, entry["t"]),
        json_ld=_json_ld(article, entry["url"], original["url"]), og_locale=og_locale(article["lang"]),
        og_image=og_image, canonical=entry["url"], translations=others, alternates=alternates,
        x_default=(original["url"] or relative(f"{original['slug']}/{PAGE}", slug)) if others else "",
        body=web_body(output_dir, slug, article),
        references=[(r["number"], reference_html(r["html"])) for r in article.get("references", [])],
        thumb_href=THUMB_NAME if entry["thumb"] else None, stamp=stamp).encode()
