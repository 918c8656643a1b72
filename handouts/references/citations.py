"""Cite stage: pandoc's citation syntax in Markdown, found and checked in an article.

Reading references files is `readers` (one reader per format); formatting the cited ones
is `bibliography`; turning citations into superscripts while Markdown converts the body
is `inline`. Here:

- `CITATION_RE`, `NARRATIVE_RE` and `parse_citation_group`: the syntax;
- `scan_citations` (load stage) finds every citation with its line, checks the keys and
  fixes the numbering (order of first use);
- `cite_article`: the load stage's one call (resolve, read, scan).

Pandoc's syntax: ``[@a]``, ``[@a; @b]``, ``[@a, p. 4]``, ``[see @a, p. 3]`` (the prefix
is kept), ``[-@a]`` (author suppressed: the number alone) and the narrative ``@a`` in
running text, which prints the author followed by the number ("Smith et al³"), as
pandoc does with a numeric style. An ``@word`` that is not a key stays text.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from handouts.errors import Diagnostic, InputError, did_you_mean, warning
from handouts.guard import limits as limits_mod
from handouts.guard.textscan import ProseText
from handouts.references.common import limit_hint
from handouts.references.readers import (EMPTY, REFERENCE_FILES, References, load_references,
                                         resolve_bibliography)

# Pandoc citation keys: start with a letter, digit or _, then word chars and :.#$%&-+?<>~/
_KEY = r"[\w][\w:.#$%&\-+?<>~/]*(?<![:.#$%&\-+?<>~/])"
# A bracketed citation group: [@a], [see @a, p. 4; @b]; not a link ``[..](..)``.
_GROUP = r"(?:[^\[\]]*?(?:^|[\s;])|)-?@" + _KEY + r"[^\[\]]*"
# ... not followed by "(" or ":" or "[text]" (a link): "[@a][@b]" is two groups.
_NOT_LINK = r"(?!\(|:|\[(?![^\[\]]*@))"
CITATION_RE = re.compile(r"\[(" + _GROUP + r")\]" + _NOT_LINK)
# Groups side by side ("[@a] [@b]", "[@a][@b]"): one superscript "1,2", never "12".
CITATION_RUN = r"[ \t]*\[(" + _GROUP + r")\]" + _NOT_LINK + r"(?:[ \t]*\[" + _GROUP + r"\]" + _NOT_LINK + ")*"
# A narrative citation: @key in running text, optionally followed by [locator]; not an
# e-mail address or a path (no word character, @, / or . right before it).
# Not inside a link's text ("[see @a](…)", "[see @a][ref]"): looked for on the same line,
# at most 200 characters ahead, so 100,000 "@" on a line stay linear.
NARRATIVE_RE = re.compile(r"(?<![\w@/\\.:+\-=&?#%~`])@(?P<key>" + _KEY + r")(?![^\[\]\n]{0,200}\][(\[])(?:[ ]\[(?P<loc>[^\[\]@]*)\](?![(\[:]))?")
_ITEM_RE = re.compile(r"^(?P<prefix>.*?)(?P<minus>-?)@(?P<key>" + _KEY + r")(?P<rest>.*)$", re.S)
# Locator terms (pandoc's English list, short forms) -> AMA's short labels.
_LOCATOR = re.compile(r"^(?P<term>pp?|pages?|chap|chapters?|ch|sec|sections?|fig|figures?|vol|volumes?|"
                      r"para|paragraphs?|l|ll|lines?|no|tbl|table)\.?\s*(?P<value>[\w\-–,: ]*\w)(?P<suffix>.*)$",
                      re.I | re.S)
_TERMS = {"page": "p", "pages": "pp", "chapter": "chap", "chapters": "chap", "ch": "chap",
          "section": "sec", "sections": "sec", "figure": "fig", "figures": "fig",
          "volume": "vol", "volumes": "vol", "paragraph": "para", "paragraphs": "para",
          "line": "l", "lines": "ll", "table": "tbl"}


@dataclass(frozen=True)
class CitationItem:
    key: str
    locator: str = ""
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False


def parse_citation_group(text: str) -> list[CitationItem]:
    """``"see @a, p. 4; @b"`` -> items (prefix, key, locator, suffix); unparsable parts skipped."""
    items = []
    for part in text.split(";"):
        m = _ITEM_RE.match(part.strip())
        if not m:
            continue
        locator, suffix = split_locator(m.group("rest"))
        items.append(CitationItem(m.group("key"), locator, " ".join(m.group("prefix").split()),
                                  suffix, bool(m.group("minus"))))
    return items


def split_locator(rest: str) -> tuple[str, str]:
    """``", p. 4"`` -> ``("p4", "")``; ``", 12"`` -> ``("12", "")``; ``", fig"`` -> ``("", "fig")``."""
    rest = rest.strip()
    if rest.startswith(","):
        rest = rest[1:].strip()
    elif rest:
        return "", " ".join(rest.split())
    m = _LOCATOR.match(rest)
    if m:
        term = m.group("term").lower()
        term = _TERMS.get(term, term)
        return term + m.group("value").strip(), " ".join(m.group("suffix").strip(" ,").split())
    m = re.match(r"^(\d[\w\-–]*)(.*)$", rest, re.S)  # a bare number: a page, as pandoc reads it
    if m:
        return m.group(1), " ".join(m.group(2).strip(" ,").split())
    return "", " ".join(rest.split())



# ---------------------------------------------------------------------------------------
# Scanning the body (load stage)

def _looks_like_key(word: str) -> bool:
    """``smith2019``, ``who:2020``, ``doe_2019a``: how reference keys usually look."""
    return bool(re.search(r"[a-z]\W?_?(19|20)\d\d[a-z]?$|[:_]", word, re.I))


def scan_citations(path: Path, body: str, body_line: int, references: References, limits=None):
    """Find citations in the source; return (keys in order of first use, errors, warnings).

    Linear in the body: the lines of matches come from one table; the "did you mean" hint
    is given to the first `did_you_mean` unknown keys only (it compares with every key).
    """
    order: list[str] = []
    seen: set[str] = set()
    problems, warnings = [], []
    prose = ProseText(body, body_line)  # a citation group may wrap onto the next line
    max_citations = limits_mod.get(limits, "citations")
    max_hints = limits_mod.get(limits, "did_you_mean")
    keys = references.lines
    sorted_keys = sorted(keys)
    hints = 0
    unknown_seen: set[str] = set()

    def unknown(key: str, where: int, narrative: bool) -> None:
        nonlocal hints
        if narrative:
            if not _looks_like_key(key):
                return
            close = difflib.get_close_matches(key, sorted_keys, n=1, cutoff=0.75) \
                if hints < max_hints and sorted_keys else []
            hints += 1
            if close or (references.path is not None and key not in unknown_seen):
                unknown_seen.add(key)
                hint = (f"did you mean '@{close[0]}'?" if close else
                        f"add it to {references.path.name} if it is a citation")
                warnings.append(warning(path, prose.line(where), f"'@{key}' is not a reference key; "
                                        "it is printed as text", hint))
            return
        if references.path is None:
            hint = f"add a references file ({' or '.join(REFERENCE_FILES)}) beside the article, " \
                   "or name one with 'bibliography:'"
        else:
            hint = ""
            if hints < max_hints:
                hints += 1
                hint = did_you_mean(key, sorted_keys)
            hint = hint or f"add it to {references.file_of(key).name if references.path else 'the references'}"
        problems.append(Diagnostic(path, prose.line(where), f"unknown citation key '@{key}'", hint))

    found = _find_citations(prose.text, max_citations)
    if len(found) <= max_citations:
        for where, key, narrative in sorted(found):  # in the order they appear: the numbering
            if key not in keys:
                unknown(key, where, narrative)
            elif key not in seen:
                seen.add(key)
                order.append(key)
    else:
        problems.append(Diagnostic(path, body_line, f"more than {max_citations:,} citations "
                                   "(citations)", limit_hint("citations")))
    if references.path is not None:
        warnings += _uncited(references, seen)
    # Entries are checked when cited: a whole Zotero library may hold entries never printed.
    cited_problems = _check_cited(references, order)
    return tuple(order), problems + cited_problems, warnings


def _find_citations(text: str, max_citations: int) -> list[tuple[int, str, bool]]:
    """(offset, key, narrative) of the bracketed groups' keys and the narrative citations
    outside them; stops once there are more than `max_citations`."""
    found: list[tuple[int, str, bool]] = []
    covered = []  # spans of bracketed groups: narrative citations are outside them
    for match in CITATION_RE.finditer(text):
        covered.append((match.start(), match.end()))
        for item in parse_citation_group(match.group(1)):
            where = match.start(1) + max(match.group(1).find("@" + item.key), 0)
            found.append((where, item.key, False))
        if len(found) > max_citations:
            break
    span_starts = [s for s, _ in covered]
    for match in NARRATIVE_RE.finditer(text):
        if len(found) > max_citations:
            break
        i = bisect.bisect_right(span_starts, match.start()) - 1
        if i >= 0 and covered[i][0] <= match.start() < covered[i][1]:
            continue
        if match.start() > 0 and text[match.start() - 1] == "[":  # a link text: [@x](…)
            continue
        found.append((match.start(), match.group("key"), True))
    return found


def _uncited(references: References, seen: set[str]) -> list[Diagnostic]:
    """Warnings for the references never cited: the first 20, then how many more."""
    warnings = []
    uncited = [key for key in references.lines if key not in seen]
    for key in uncited[:20]:
        warnings.append(warning(references.file_of(key), references.lines[key],
                                f"reference '{key}' is never cited", f"cite it with [@{key}] or remove it"))
    if len(uncited) > 20:
        warnings.append(warning(references.path, None, f"{len(uncited) - 20:,} more references are "
                                "never cited", "remove them, or ignore this for a shared library"))
    return warnings


def _check_cited(references: References, order: list[str]) -> list[Diagnostic]:
    """An error for each cited BibTeX entry whose LaTeX cannot be decoded."""
    problems = []
    for key in order:
        if key in references.latex:
            try:
                references.csl(key)
            except Exception as exc:  # noqa: BLE001 (pylatexenc on hostile input)
                problems.append(Diagnostic(references.file_of(key), references.lines.get(key),
                                           f"entry '{key}': cannot read its LaTeX: {exc}",
                                           "export the file again from Zotero"))
    return problems


# ---------------------------------------------------------------------------------------
# The load stage's one call

def cite_article(path: Path, bibliography, key: str, body: str, body_line: int, limits=None):
    """Find, read and check an article's references and citations.

    `bibliography` is ``(value, line)`` of the front matter's ``bibliography:`` (or of the
    older ``references:``), or None. Returns (references, cited keys, errors, warnings);
    a broken references file is its own error, not one per citation.
    """
    value, line = bibliography if bibliography is not None else (None, None)
    paths, problems = resolve_bibliography(path, value, line, key)
    if problems:
        return EMPTY, (), problems, []
    try:
        references = load_references(paths, limits)
    except InputError as exc:
        return EMPTY, (), list(exc.problems), []
    cited, cite_problems, cite_warnings = scan_citations(path, body, body_line, references, limits)
    return references, cited, cite_problems, cite_warnings
