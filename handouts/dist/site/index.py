"""The index pages: every handout a reader may download, grouped and paginated.

An article and its translations make one group, shown as the original's card with a
link to each translation by its language's own name. Groups are listed by the
original's language (English name order), then title; `PAGE_SIZE` groups a page, so a
site of thousands of handouts is ``index.html``, ``index-2.html`` … with the same
navigation on each, and a language's link leads to the page where its section starts.

The index's own words are English (`SITE_LANG`); each entry speaks its article's
language. With JavaScript the first page also searches (`handouts.dist.site.search`):
the plain list stays for readers without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from handouts.dist.site.common import SITE_LANG, downloads, environment, language_name, native_name

#: Groups (an article with its translations) on one index page.
PAGE_SIZE = 100


@dataclass(frozen=True)
class Group:
    """An original and its translations as the index shows them."""

    lead: dict  # the original's entry (or a translation whose original is not offered)
    translations: tuple[dict, ...]
    downloads: dict  # the lead's download groups, linked from the site root


def page_name(number: int) -> str:
    """``index.html`` for page 1, ``index-<n>.html`` after it."""
    return "index.html" if number == 1 else f"index-{number}.html"


def groups(found: dict[str, dict], default_paper: str) -> list[Group]:
    """The index's groups in listing order (language of the original, then title)."""
    out = []
    for slug, entry in found.items():
        if entry["original"] != slug:
            continue
        translations = tuple(found[s] for s in entry["family"] if s != slug)
        out.append(Group(entry, translations, downloads(entry["outputs"], "", default_paper, entry["t"],
                                                        entry["names"])))
    out.sort(key=lambda g: (g.lead["language"].casefold(), g.lead["article"].title.casefold(),
                            g.lead["slug"]))
    return out


def index_pages(theme, found: dict[str, dict], default_paper: str, *, search: bool,
                canonical: str = "") -> list[tuple[str, bytes]]:
    """(file name, bytes) of every index page. `search`: the site has a search index;
    `canonical`: the site's address (``site_url``), for the first page's canonical link."""
    listed = groups(found, default_paper)
    pages = [listed[i:i + PAGE_SIZE] for i in range(0, len(listed), PAGE_SIZE)] or [[]]
    languages = _languages(pages)
    search_languages = sorted(((lang, _filter_label(lang)) for lang in languages),
                              key=lambda x: x[1].casefold())
    publishers = sorted({e["article"].publisher for e in found.values()} - {""})
    env = environment(theme)
    out = []
    for number, chunk in enumerate(pages, 1):
        sections: dict[str, list[Group]] = {}
        for group in chunk:
            sections.setdefault(group.lead["article"].lang, []).append(group)
        html = env.get_template("index.html.j2").render(
            sections=[(languages[lang], items) for lang, items in sections.items()],
            languages=sorted(languages.items(), key=lambda kv: kv[1]["name"].casefold()),
            page_names={n: page_name(n) for n in range(1, len(pages) + 1)}, number=number,
            total=len(found), publisher=", ".join(publishers), root="", search=search and number == 1,
            search_languages=search_languages, lang=SITE_LANG,
            canonical=(canonical.rstrip("/") + "/" + ("" if number == 1 else page_name(number)))
            if canonical else "")
        out.append((page_name(number), html.encode()))
    return out


def _languages(pages: list[list[Group]]) -> dict[str, dict]:
    """Each language's name, how many handouts are in it, and where the list shows the
    first of them: its section (``lang-xx`` on the page where it starts) or, for a
    language only translations are in, the card of the first such translation."""
    languages: dict[str, dict] = {}
    for number, chunk in enumerate(pages, 1):
        for group in chunk:
            lang = group.lead["article"].lang
            if lang not in languages or languages[lang]["section"] is None:
                languages[lang] = {"name": group.lead["language"], "id": _section_id(lang),
                                   "section": number, "page": number, "anchor": _section_id(lang),
                                   "count": languages.get(lang, {}).get("count", 0)}
    for number, chunk in enumerate(pages, 1):
        for group in chunk:
            for entry in (group.lead, *group.translations):
                lang = entry["article"].lang
                languages.setdefault(lang, {"name": entry["language"], "id": _section_id(lang),
                                            "section": None, "page": number,
                                            "anchor": group.lead["slug"], "count": 0})["count"] += 1
    return languages


def _section_id(lang: str) -> str:
    return "lang-" + "".join(c if c.isalnum() or c == "-" else "_" for c in lang.lower())


def _filter_label(lang: str) -> str:
    """``Tiếng Việt · Vietnamese``: the language's own name first (the reader's), then
    the index's (English)."""
    native, english = native_name(lang), language_name(lang).split(" · ")[0]
    return native if native == english else f"{native} · {english}"
