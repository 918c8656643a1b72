"""Structure: one title, heading levels in sequence, sections of a readable length, a
summary, and a "When to seek care" callout in articles about symptoms.

The title comes from the front matter and is the handout's only level-1 heading, so
sections start at ``##``. Callouts are written ``!!! warning "When to seek care"`` or as
a quote starting ``> [!WARNING] When to seek care``.
"""

from __future__ import annotations

from .registry import Hit, rule


@rule("structure/title", severity="error")
def title(ctx, opts):
    """Exactly one title: the front matter's; a ``#`` heading in the body is a second one."""
    if not ctx.article.title:
        yield Hit(None, "the article has no title", "add 'title: …' to the front matter")
    for h in ctx.prose.headings:
        if h.level == 1:
            yield Hit(h.line, f"“# {h.text}” is a second title (the title comes from the front matter)",
                      "make it a section heading: ## " + h.text)


@rule("structure/heading-levels", severity="warning")
def heading_levels(ctx, opts):
    """A heading that skips a level (## then ####), or empty."""
    level = 1  # the title
    for h in ctx.prose.headings:
        if not h.text:
            yield Hit(h.line, "empty heading", "write the heading's text or remove the '#' line")
        if h.level > level + 1:
            yield Hit(h.line, f"heading level {h.level} follows level {level}: a level is skipped",
                      f"use {'#' * (level + 1)} here")
        level = h.level


@rule("structure/section-length", max_words=350)
def section_length(ctx, opts):
    """A section longer than `max_words` words (default 350) without a subheading."""
    for section in ctx.prose.sections():
        n = sum(len(s.words) for s in section.sentences())
        if n > opts["max_words"]:
            yield Hit(section.line, f"section “{section.title}” has {n} words (limit {opts['max_words']})",
                      "split it with subheadings or a list")


@rule("structure/summary")
def summary(ctx, opts):
    """No summary in the front matter (it becomes the PDF's subject and the download page's
    description)."""
    if not (ctx.article.summary or "").strip():
        yield Hit(None, "no summary", "add 'summary: …' (one or two sentences) to the front matter")


@rule("structure/seek-care", tags=["symptoms", "symptom"], title="When to seek care")
def seek_care(ctx, opts):
    """An article tagged as symptoms (keywords) without a “When to seek care” callout."""
    keywords = {k.lower() for k in ctx.article.keywords}
    if not keywords & {t.lower() for t in opts["tags"]}:
        return
    wanted = opts["title"].lower()
    prose = ctx.prose
    if any(wanted in (c.title or "").lower() or wanted in c.text.lower()[: len(wanted) + 40]
           for c in prose.callouts):
        return
    heading = next((h for h in prose.headings if wanted in h.text.lower()), None)
    hint = (f'write it as a callout: !!! warning "{opts["title"]}" (or > [!WARNING] {opts["title"]}) '
            "with the warning signs as a list")
    if heading:
        yield Hit(heading.line, f"“{opts['title']}” is a heading, not a callout (the callout is "
                  "never split across pages and stands out)", hint)
    else:
        yield Hit(None, f"the article is tagged as symptoms but has no “{opts['title']}” callout", hint)
