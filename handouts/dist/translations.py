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

from dataclasses import dataclass, replace

from handouts.dist.records import ArticleRecord, Manifest, TranslationSource
from handouts.source.translations import originals


def binding(entry: ArticleRecord, old: ArticleRecord | None,
            articles: dict[str, ArticleRecord]) -> TranslationSource | None:
    """The ``translates`` record for a translation's new record `entry` (`old`: its
    record before, `articles`: the manifest's); None for an original, or while the
    original has no published record."""
    if not entry.translation_of:
        return None
    kept = old.translates if old else None
    if kept is not None and kept.slug == entry.translation_of \
            and kept.bound_to == entry.content_fingerprint:
        return kept
    original = articles.get(entry.translation_of)
    if original is None or original.draft:
        return None
    return TranslationSource(entry.translation_of, original.edition, original.content_fingerprint,
                             original.content, entry.content_fingerprint)


def bind_translations(manifest: Manifest) -> Manifest:
    """`manifest` with every translation still without a ``translates`` record given one
    (its original was published after it, or in the same run)."""
    bound = {slug: replace(a, translates=binding(a, None, manifest.articles))
             for slug, a in manifest.articles.items() if a.translation_of and a.translates is None}
    return replace(manifest, articles={**manifest.articles, **bound}) if bound else manifest


@dataclass(frozen=True)
class Stale:
    """A translation made from an older text of its original than the one published."""

    slug: str
    source: str
    message: str  # "vi/dengue translates en/dengue edition 2; edition 3 is out since 2025-11-02"


def stale_translations(manifest: Manifest) -> list[Stale]:
    """The published translations that are behind their original, by slug."""
    out = []
    for slug, entry in sorted(manifest.articles.items()):
        made = entry.translates
        original = manifest.articles.get(entry.translation_of or "")
        if made is None or original is None or original.draft:
            continue
        who = f"{entry.lang}/{slug} translates {original.lang}/{made.slug}"
        if original.edition > made.edition:
            since = original.updated or original.reviewed
            out.append(Stale(slug, made.slug, f"{who} edition {made.edition}; edition "
                             f"{original.edition} is out" + (f" since {since}" if since else "")))
        elif made.content_fingerprint and original.content_fingerprint \
                and made.content_fingerprint != original.content_fingerprint:
            out.append(Stale(slug, made.slug, f"{who} content {made.content}; its published "
                             f"content is now {original.content}"))
    return out


def families(articles: dict[str, ArticleRecord]) -> dict[str, list[str]]:
    """Slugs grouped by their original: {original: [original, translations…]}; a
    translation whose original is not in `articles` heads a family of its own."""
    sources = {slug: a.translation_of for slug, a in articles.items() if a.translation_of in articles}
    family = originals(sources)
    out: dict[str, list[str]] = {}
    for slug in sorted(articles):
        out.setdefault(family.get(slug, slug), []).append(slug)
    for original, members in out.items():
        members.sort(key=lambda s: (s != original, s))
    return out
