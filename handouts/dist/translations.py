"""Translations in the manifest: which published text of its original a translation was
made from, and which translations are behind their original now.

A translation's manifest entry keeps ``translates``: the original's slug, edition and
content fingerprint as published when the translation's own content was first published
(``bound_to``: that content's fingerprint). It is carried over while the translation's
content stays the same, so a new edition of the original leaves the translation behind
until its text (and so its review) changes. The translation keeps its own review credit
either way: being behind is news for editors (`stale_translations`: ``handouts check``,
the ``handouts serve`` preview), never shown to readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from handouts.source.translations import original_of


def binding(entry: dict, old: dict | None, articles: dict) -> dict | None:
    """The ``translates`` record for a translation's new manifest `entry` (`old`: its
    entry before, `articles`: the manifest's articles); None for an original, or while
    the original has no published entry."""
    source = entry.get("translation_of")
    if not source:
        return None
    kept = (old or {}).get("translates")
    if isinstance(kept, dict) and kept.get("slug") == source \
            and kept.get("bound_to") == entry.get("content_fingerprint"):
        return kept
    original = articles.get(source)
    if not isinstance(original, dict) or original.get("draft") or not original.get("edition"):
        return None
    return {"slug": source, "edition": original["edition"],
            "content_fingerprint": original.get("content_fingerprint"),
            "content": original.get("content"), "bound_to": entry.get("content_fingerprint")}


def bind_translations(manifest: dict) -> None:
    """Give every translation still without a ``translates`` record one (its original
    was published after it, or in the same run)."""
    articles = manifest.get("articles") or {}
    for entry in articles.values():
        if entry.get("translation_of") and not entry.get("translates"):
            entry["translates"] = binding(entry, None, articles)


@dataclass(frozen=True)
class Stale:
    """A translation made from an older text of its original than the one published."""

    slug: str
    source: str
    message: str  # "vi/dengue translates en/dengue edition 2; edition 3 is out since 2025-11-02"


def stale_translations(manifest: dict) -> list[Stale]:
    """The published translations that are behind their original, by slug."""
    articles = manifest.get("articles") or {}
    out = []
    for slug, entry in sorted(articles.items()):
        made = entry.get("translates")
        original = articles.get(entry.get("translation_of") or "")
        if not isinstance(made, dict) or not isinstance(original, dict) or original.get("draft"):
            continue
        who = f"{entry.get('lang') or '?'}/{slug} translates {original.get('lang') or '?'}/{made['slug']}"
        now = original.get("edition")
        if isinstance(now, int) and isinstance(made.get("edition"), int) and now > made["edition"]:
            since = original.get("updated") or original.get("reviewed")
            out.append(Stale(slug, made["slug"], f"{who} edition {made['edition']}; edition {now} "
                             "is out" + (f" since {since}" if since else "")))
        elif made.get("content_fingerprint") and original.get("content_fingerprint") \
                and made["content_fingerprint"] != original["content_fingerprint"]:
            out.append(Stale(slug, made["slug"], f"{who} content {made.get('content')}; its "
                             f"published content is now {original.get('content')}"))
    return out


def families(articles: dict) -> dict[str, list[str]]:
    """Slugs grouped by their original: {original: [original, translations…]}; a
    translation whose original is not in `articles` heads a family of its own."""
    sources = {slug: a.get("translation_of") for slug, a in articles.items()
               if a.get("translation_of") in articles}
    out: dict[str, list[str]] = {}
    for slug in sorted(articles):
        out.setdefault(original_of(slug, sources), []).append(slug)
    for original, members in out.items():
        members.sort(key=lambda s: (s != original, s))
    return out
