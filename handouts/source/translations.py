"""Which article translates which: ``translation_of: <slug>`` checked across the project.

An article's front matter may name the article it translates (its folder name). Across
``source/`` the declarations must make families, each one original and its translations:
the named article exists (a wrong name gets a "did you mean"), no chain leads back to
where it started, and a family holds each language once (so the original's language is
taken too). Every problem is reported at the ``translation_of:`` line of the article that
makes it, and refuses that article only.

Planning and ``handouts check`` call `translation_problems` once per run; it peeks at the
front matter without parsing the YAML (the load stage validates the value itself), and
remembers its answer while no ``article.md`` changed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from handouts.errors import Diagnostic, did_you_mean
from handouts.source.discover import find_articles, front_matter_head

_KEY = r"^{key}[ \t]*:[ \t]*['\"]?([^'\"#\s]+)"
_TRANSLATION = re.compile(_KEY.format(key="translation_of"), re.M)
_LANG = re.compile(_KEY.format(key="lang"), re.M)


@dataclass(frozen=True)
class Declared:
    """What an article's front matter says about its language and its original."""

    slug: str
    path: Path
    lang: str
    source: str  # the slug it translates, "" for an original
    line: int | None  # the line of 'translation_of:' in article.md


def declared(article: Path, roots=None) -> Declared:
    """The `Declared` facts of one article.md (an unreadable one: an English original)."""
    head = front_matter_head(article, roots) or ""
    lang = _LANG.search(head)
    source = _TRANSLATION.search(head)
    return Declared(article.parent.name, article, lang.group(1) if lang else "en",
                    source.group(1) if source else "",
                    head.count("\n", 0, source.start()) + 1 if source else None)


def originals(sources: dict[str, str]) -> dict[str, str]:
    """The original of each translation's family: the end of its chain of `sources` (slug ->
    the slug it translates), or where a loop comes back. A slug that translates nothing is
    its own original (``originals(...).get(slug, slug)``). Each slug is walked once."""
    out: dict[str, str] = {}
    for start in sources:
        walk, on_walk, slug = [], set(), start
        while slug not in out and slug not in on_walk and sources.get(slug):
            walk.append(slug)
            on_walk.add(slug)
            slug = sources[slug]
        end = out.get(slug, walk[-1] if slug in on_walk else slug)
        for step in walk:
            out[step] = end
    return out


_CACHE: dict = {}


def translation_problems(config) -> dict[str, list[Diagnostic]]:
    """The articles of the project (by slug) whose ``translation_of`` is wrong, with why."""
    articles = find_articles(config.source_dir)
    key = (str(config.source_dir), tuple((str(p), _stamp(p)) for p in articles))
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _problems([declared(p, [config.root, config.source_dir]) for p in articles])
    return _CACHE[key]


def _stamp(path: Path) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size)


def _problems(found: list[Declared]) -> dict[str, list[Diagnostic]]:
    by_slug = {d.slug: d for d in found}
    out: dict[str, list[Diagnostic]] = {}

    def report(d: Declared, message: str, hint: str) -> None:
        out.setdefault(d.slug, []).append(Diagnostic(d.path, d.line, message, hint))

    loops = _loops(by_slug)
    for d in found:
        if not d.source:
            continue
        if d.source == d.slug:
            report(d, "'translation_of' names this article itself",
                   "name the article this one translates, or remove the line from an original")
        elif d.source not in by_slug:
            report(d, f"'translation_of': no article '{d.source}' in source/",
                   did_you_mean(d.source, by_slug) or
                   "write the folder name of the article this one translates")
        elif (loop := loops.get(d.slug)) is not None:
            report(d, "'translation_of' makes a loop: " + " → ".join(loop),
                   "one of them is the original: remove its 'translation_of' line")
    sources = {d.slug: d.source for d in found if d.source and d.slug not in out}
    family = originals(sources)
    families: dict[tuple[str, str], list[Declared]] = {}
    for d in found:
        if d.slug not in out:
            families.setdefault((family.get(d.slug, d.slug), d.lang.lower()), []).append(d)
    for (original, lang), members in families.items():
        first = next((m for m in members if not m.source), members[0])
        for d in members:
            if d is first or not d.source:
                continue
            report(d, f"'{original}' already has a translation in '{d.lang}': '{first.slug}'"
                   if first.source else f"'{d.slug}' and its original '{original}' are both "
                   f"in '{d.lang}'",
                   "each language once per article: set this article's 'lang', or make it "
                   "translate another article")
    return out


#: Articles of a loop named in its message (a longer loop ends in "…").
SHOWN_IN_LOOP = 10


def _loops(by_slug: dict[str, Declared]) -> dict[str, list[str]]:
    """The articles on a loop of ``translation_of``, each with the loop from it back to it
    (at most `SHOWN_IN_LOOP` names, then "…"). Each article is walked once."""
    done: set[str] = set()
    loops: dict[str, list[str]] = {}
    for start in by_slug:
        walk, at, slug = [], {}, start
        while slug in by_slug and slug not in done and slug not in at:
            at[slug] = len(walk)
            walk.append(slug)
            slug = by_slug[slug].source
        if slug in at:  # the walk came back into itself
            cycle = walk[at[slug]:]
            size = len(cycle)
            for i, member in enumerate(cycle):
                shown = [cycle[(i + k) % size] for k in range(min(size, SHOWN_IN_LOOP))]
                loops[member] = [*shown, "…" if size > SHOWN_IN_LOOP else member]
        done.update(walk)
    return loops
