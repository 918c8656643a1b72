"""Structure: one title, heading levels in sequence, sections of a readable length, a
summary, and a "When to seek care" callout in articles about symptoms.

The title comes from the front matter and is the handout's only level-1 heading, so
sections start at ``##``. Callouts are written ``!!! warning "When to seek care"`` or as
a quote starting ``> [!WARNING] When to seek care``; in another language, with its own
words (``!!! warning "Khi nào cần đi khám"``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from handouts.checks.registry import Hit, rule


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
    """A section longer than `max_words` words (default 350) without a subheading. A
    section with text in a script written without spaces (Thai) is not counted."""
    for section in ctx.prose.sections():
        sentences = section.sentences()
        n = sum(len(s.words) for s in sentences)
        if n > opts["max_words"] and all(s.countable for s in sentences):
            yield Hit(section.line, f"section “{section.title}” has {n} words (limit {opts['max_words']})",
                      "split it with subheadings or a list")


@rule("structure/summary")
def summary(ctx, opts):
    """No summary in the front matter (it becomes the PDF's subject and the download page's
    description)."""
    if not (ctx.article.summary or "").strip():
        yield Hit(None, "no summary", "add 'summary: …' (one or two sentences) to the front matter")


#: Callout kinds that are a seek-care box whatever their title says.
SEEK_CARE_KINDS = ("warning", "caution")


@rule("structure/seek-care", tags=["symptoms", "symptom"], title="When to seek care")
def seek_care(ctx, opts):
    """An article tagged as symptoms (keywords) without a “When to seek care” callout: a
    ``warning`` or ``caution`` callout, or any callout titled with the article language's
    wording (``seek_care`` in the labels) or `title`."""
    from handouts.markdown.callouts import kind_of
    from handouts.pdf.template import load_labels

    keywords = {k.lower() for k in ctx.article.keywords}
    if not keywords & {t.lower() for t in opts["tags"]}:
        return
    own = load_labels(ctx.config.theme, ctx.lang)["seek_care"]
    wordings = {w.lower() for w in (own, opts["title"])}
    prose = ctx.prose

    def titled(text: str) -> bool:
        return any(w in text.lower() for w in wordings)

    if any(kind_of(c.kind) in SEEK_CARE_KINDS or titled(c.title or "") or titled(c.text[:80])
           for c in prose.callouts):
        return
    heading = next((h for h in prose.headings if titled(h.text)), None)
    hint = (f'write it as a callout: !!! warning "{own}" (or > [!WARNING] {own}) '
            "with the warning signs as a list")
    if heading:
        yield Hit(heading.line, f"“{heading.text}” is a heading, not a callout (the callout is "
                  "never split across pages and stands out)", hint)
    else:
        yield Hit(None, f"the article is tagged as symptoms but has no “{own}” callout", hint)


# A line that an author meant as a list item, heading or code fence: marker, then text.
_LIST_LIKE = re.compile(r" *(\d{1,9}[.)]|[*+-])[ \t]+(.*)")
_HEADING_LIKE = re.compile(r" *(#{1,6})[ \t]*(.*)")
_FENCE_LIKE = re.compile(r" *(`{3,}|~{3,})")
_WORD = re.compile(r"\w+")


class _PrintedText(HTMLParser):
    """The text of converted HTML: running text (``prose``, without code spans and
    citation superscripts) and the text of code blocks (``code``)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.prose: list[str] = []
        self.code: list[str] = []
        self._open = {"pre": 0, "code": 0, "sup": 0}
        self._sups: list[bool] = []  # per open <sup>: is it a citation's

    def handle_starttag(self, tag, attrs):
        if tag == "sup":
            self._sups.append(("class", "citation") in attrs)
            self._open["sup"] += self._sups[-1]
        elif tag in self._open:
            self._open[tag] += 1

    def handle_endtag(self, tag):
        if tag == "sup":
            if self._sups:
                self._open["sup"] -= self._sups.pop()
        elif self._open.get(tag):
            self._open[tag] -= 1

    def handle_data(self, data):
        if self._open["pre"]:
            self.code.append(data)
        elif not (self._open["code"] or self._open["sup"]):
            self.prose.append(data)


def _printed(ctx) -> tuple[str, str]:
    """(running text, code) of the article as printed: from the build's conversion when
    the context has it, else converted here (citations left as written)."""
    html = ctx.body_html
    if html is None:
        from handouts.markdown.body import convert

        html = convert(ctx.article.body, {}).html
    parser = _PrintedText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.prose).split()), "\n".join(parser.code)


def _printed_literally(marker: str, rest: str, printed: str) -> bool:
    """Whether `marker` followed by the first word of `rest` appears in the printed text:
    the marker was printed as text instead of becoming markup."""
    word = _WORD.search(rest)
    if word is None:
        return False
    # "(?<!\S)marker…" checked after each match of "marker…" rather than at each position
    # of the text: the search can then skip ahead to the marker's first character
    pattern = re.compile(re.escape(marker) + r"\s*\W*" + re.escape(word.group(0)))
    m = pattern.search(printed)
    while m is not None and m.start() and not printed[m.start() - 1].isspace():
        m = pattern.search(printed, m.start() + 1)
    return m is not None


@rule("structure/literal-markup")
def literal_markup(ctx, opts):
    """A line written like a list item, heading or code fence that prints as plain text."""
    printed, code = _printed(ctx)
    lines = ctx.article.body.split("\n")
    fence_end = -1
    for i, line in enumerate(lines):
        number = ctx.article.body_line + i
        if i <= fence_end:
            continue
        if m := _FENCE_LIKE.match(line):
            close = next((j for j in range(i + 1, len(lines))
                          if lines[j].strip().startswith(m.group(1))), len(lines))
            inner = next((t.strip() for t in lines[i + 1:close] if t.strip()), "")
            if inner and inner not in code:
                yield Hit(number, f"“{line.strip()}” looks like the start of a code block, but "
                          "the block prints as running text",
                          "put the fence at the margin with a blank line before it (inside a "
                          "list item, indent the text 4 spaces instead)")
            fence_end = close
            continue
        if m := _LIST_LIKE.match(line):
            if _printed_literally(m.group(1), m.group(2), printed):
                yield Hit(number, f"“{line.strip()[:40]}” looks like a list item but prints as "
                          "plain text", "put a blank line before the list, start a numbered list "
                          "at 1, and indent a nested item under its parent's text")
        elif (m := _HEADING_LIKE.match(line)) and _printed_literally(m.group(1), m.group(2), printed):
            yield Hit(number, f"“{line.strip()[:40]}” looks like a heading but prints as plain "
                      "text", f"start the line at the margin with a space after the marks: "
                      f"{m.group(1)} {m.group(2).strip()}")
