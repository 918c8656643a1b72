"""``sitemap.xml`` and ``robots.txt``, made only when ``site_url`` (handouts.toml) says
where the site is published: a sitemap lists absolute addresses.

The sitemap lists the index pages and every handout page (``lastmod``: the article's
``updated`` date), each handout with its translations as ``xhtml:link rel=alternate
hreflang`` (itself included, and ``x-default`` for the original), as search engines
read them. ``robots.txt`` allows everything and names the sitemap.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from handouts.dist.site.pages import page_url

NAMESPACES = ('xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
              'xmlns:xhtml="http://www.w3.org/1999/xhtml"')


def sitemap_files(found: dict[str, dict], index_names: list[str], site_url: str) -> list[tuple[str, bytes]]:
    """[("sitemap.xml", …), ("robots.txt", …)], or [] without `site_url`."""
    if not site_url:
        return []
    base = site_url.rstrip("/") + "/"
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<urlset {NAMESPACES}>"]
    for name in index_names:
        lines.append(f"<url><loc>{_text(base if name == 'index.html' else base + name)}</loc></url>")
    for slug, entry in sorted(found.items()):
        lines.append(f"<url><loc>{_text(page_url(slug, site_url))}</loc>")
        if entry["article"].updated:
            lines.append(f"  <lastmod>{_text(entry['article'].updated)}</lastmod>")
        family = entry["family"]
        if len(family) > 1:
            for member in family:
                lines.append(f'  <xhtml:link rel="alternate" hreflang={quoteattr(found[member]["article"].lang)} '
                             f"href={quoteattr(page_url(member, site_url))}/>")
            lines.append(f'  <xhtml:link rel="alternate" hreflang="x-default" '
                         f"href={quoteattr(page_url(entry['original'], site_url))}/>")
        lines.append("</url>")
    lines.append("</urlset>")
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n"
    return [("sitemap.xml", ("\n".join(lines) + "\n").encode()), ("robots.txt", robots.encode())]


def _text(value: str) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
