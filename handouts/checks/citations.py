"""Citations: unknown keys, references never cited, incomplete references (no year,
title, or DOI/URL), placeholders standing in for a reference, and old sources.

The references file's lines come from the load stage (`References.lines`); the fields are
read from the parsed entries (citeproc's reference objects, whatever the file format).
"""

from __future__ import annotations

import re

from handouts.references.citations import scan_citations
from handouts.checks.registry import Hit, rule


def _entries(references) -> dict[str, dict]:
    """key -> {field (lower case): plain text or Date} of the article's CSL-JSON items."""
    out = {}
    for key in references.items:
        try:
            item = references.csl(key)
        except Exception:  # an entry the reader could not decode: the loader reports it
            item = references.items[key]
        out[str(key)] = {str(k).lower(): v for k, v in item.items()}
    return out


def _year(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, (int, str)):
        m = re.match(r"\s*(\d{4})", str(value))
        return int(m.group(1)) if m else None
    year = getattr(value, "year", None)
    if year is None and isinstance(value, dict):
        parts = value.get("date-parts") or [[None]]
        year = parts[0][0] if parts and parts[0] else None
        if year is None and (value.get("raw") or value.get("literal")):
            return _year(str(value.get("raw") or value.get("literal")))
    try:
        return int(year) if year is not None else None
    except (TypeError, ValueError):
        return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return " ".join(_text(v) for v in value.values())
    return str(value)


def _where(ctx, key):
    refs = ctx.article.references
    path = refs.file_of(key) if hasattr(refs, "file_of") else refs.path
    return path, refs.lines.get(key)


@rule("citations/unknown-key", severity="error")
def unknown_key(ctx, opts):
    """A citation ``[@key]`` whose key is not in the references file."""
    a = ctx.article
    _, problems, _ = scan_citations(a.path, a.body, a.body_line, a.references)
    for p in problems:
        yield Hit(p.line, p.message, p.hint)


@rule("citations/uncited")
def uncited(ctx, opts):
    """A reference that is never cited in the text."""
    a = ctx.article
    _, _, warnings = scan_citations(a.path, a.body, a.body_line, a.references)
    for w in warnings:
        yield Hit(w.line, w.message, w.hint, path=w.path)


@rule("citations/incomplete")
def incomplete(ctx, opts):
    """A reference without a year, a title, or a DOI or URL (readers cannot find it)."""
    for key, f in _entries(ctx.article.references).items():
        settings = ctx.cache.get("settings")
        patterns = settings.of("citations/placeholder").options["patterns"] if settings else ()
        if _is_placeholder(f, patterns):
            continue  # the placeholder rule says more
        missing = []
        if _year(f.get("issued")) is None:
            missing.append("year ('issued')")
        if not _text(f.get("title")).strip():
            missing.append("title")
        if not (_text(f.get("doi")).strip() or _text(f.get("url")).strip()
                or _text(f.get("pmid")).strip()):
            missing.append("DOI or URL")
        if missing:
            path, line = _where(ctx, key)
            yield Hit(line, f"reference '{key}' has no {', no '.join(missing)}",
                      "complete the entry so readers can find the source", path=path)


def _is_placeholder(fields: dict, patterns) -> bool:
    text = " ".join(_text(fields.get(k)) for k in ("title", "author", "note"))
    return any(re.search(p, text, re.I) for p in patterns)


@rule("citations/placeholder", patterns=["not included in the supplied text", r"\bTODO\b",
                                         r"\bTBD\b", r"\bplaceholder\b", r"\bXXX+\b",
                                         r"\blorem ipsum\b"])
def placeholder(ctx, opts):
    """A reference that only holds the place of a real one (“Not included in the supplied
    text”, TODO, TBD, placeholder)."""
    for key, f in _entries(ctx.article.references).items():
        if _is_placeholder(f, opts["patterns"]):
            path, line = _where(ctx, key)
            yield Hit(line, f"reference '{key}' is a placeholder: “{_text(f.get('title'))[:60]}”",
                      "replace it with the real source (authors, title, year, DOI or URL)", path=path)


@rule("citations/old-source", max_age_years=10)
def old_source(ctx, opts):
    """A cited source published more than `max_age_years` (default 10) years ago."""
    entries = _entries(ctx.article.references)
    for key in ctx.article.cited:
        year = _year(entries.get(key, {}).get("issued"))
        if year is not None and ctx.today.year - year > opts["max_age_years"]:
            path, line = _where(ctx, key)
            yield Hit(line, f"reference '{key}' is from {year}, {ctx.today.year - year} years ago "
                      f"(limit {opts['max_age_years']})",
                      "check that newer evidence does not change the advice; cite it if it exists",
                      path=path)
