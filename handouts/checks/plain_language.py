"""Plain language: long sentences, passive voice, long words, medical jargon (with the
plain alternatives of ``styles/jargon.yaml``), abbreviations used before they are
spelled out, and a reader who is not addressed as "you".

The English heuristics (passive voice, "you", syllables) only run on English articles.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from handouts.checks.registry import Hit, rule
from handouts.checks.text import WORD, syllables


@rule("plain-language/long-sentence", max_words=25)
def long_sentence(ctx, opts):
    """A sentence of more than `max_words` words (default 25). Sentences in a script
    written without spaces (Thai) are not counted."""
    for s in ctx.prose.sentences():
        if s.countable and len(s.words) > opts["max_words"]:
            yield Hit(s.line, f"sentence of {len(s.words)} words (limit {opts['max_words']}): "
                      f"“{_short(s.text)}”", "split it in two, one idea per sentence")


_BE = {"am", "is", "are", "was", "were", "be", "been", "being", "isn't", "aren't", "wasn't",
       "weren't", "get", "gets", "got", "gotten", "getting"}
_ADVERBS = {"not", "never", "also", "often", "usually", "always", "sometimes", "still", "then",
            "being", "generally", "commonly", "rarely", "only", "even", "already", "just"}
_IRREGULAR = set("""arisen awoken beaten become begun bent bet bitten bled blown broken bred
brought built burnt bought caught chosen come cost cut dealt done drawn drunk driven eaten
fallen fed felt fought found fled flown forbidden forgotten forgiven frozen given gone ground
grown hung heard hidden hit held hurt kept known laid led left lent let lain lit lost made
meant met paid put read ridden rung risen run said seen sought sold sent set shaken shed shot
shown shut sung sunk sat slept slid spoken spent spun spread stood stolen stuck stung struck
sworn swept swum swung taken taught torn told thought thrown understood woken worn woven won
wound written""".split())
# Adjectives that look like participles after "be": "I am tired" is not passive.
_ADJECTIVES = {"tired", "scared", "worried", "interested", "married", "concerned", "pleased",
               "excited", "bored", "confused", "used", "supposed", "ashamed", "depressed",
               "stressed", "relaxed", "surprised", "embarrassed", "frightened", "overwhelmed",
               "prepared", "involved", "related", "advanced", "experienced", "limited",
               "detailed", "allowed", "based", "done", "gone", "born", "expected", "upset",
               "ready", "need", "needed"}


def passive(words: tuple[str, ...]) -> str | None:
    """The passive phrase of a sentence ("should not be dismissed"), or None."""
    lower = [w.lower() for w in words]
    for i, w in enumerate(lower):
        if w not in _BE:
            continue
        j = i + 1
        while j < len(lower) and (lower[j] in _ADVERBS or lower[j].endswith("ly")) and j - i <= 3:
            j += 1
        if j >= len(lower):
            continue
        p = lower[j]
        if p in _ADJECTIVES:
            continue
        if p in _IRREGULAR or (p.endswith("ed") and len(p) > 4):
            return " ".join(words[i:j + 1])
    return None


@rule("plain-language/passive-voice", max_share=0.1)
def passive_voice(ctx, opts):
    """More than `max_share` (default 10%) of the sentences in the passive voice."""
    if not ctx.english:
        return
    sentences = ctx.prose.sentences()
    found = [(s, p) for s in sentences if (p := passive(s.words))]
    if sentences and len(found) / len(sentences) > opts["max_share"]:
        examples = "; ".join(f"line {s.line} “{p}”" for s, p in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        yield Hit(found[0][0].line,
                  f"{len(found)} of {len(sentences)} sentences ({len(found) / len(sentences):.0%}) are "
                  f"passive (limit {opts['max_share']:.0%}): {examples}{more}",
                  "say who does what: “you can take” instead of “can be taken”",
                  data={"passive": len(found), "sentences": len(sentences),
                        "lines": [s.line for s, _ in found]})


@rule("plain-language/long-words", min_syllables=4, max_share=0.03)
def long_words(ctx, opts):
    """More than `max_share` (default 3%) of the words have `min_syllables` (default 4)
    syllables or more."""
    if not ctx.english:
        return
    total, seen = 0, {}
    for s in ctx.prose.sentences():
        for w in s.words:
            total += 1
            if not w.isupper() and syllables(w) >= opts["min_syllables"]:
                seen.setdefault(w.lower(), [s.line, 0])[1] += 1
    count = sum(n for _, n in seen.values())
    if total and count / total > opts["max_share"]:
        first = min(line for line, _ in seen.values())
        listed = sorted(seen.items(), key=lambda kv: kv[1][0])[:8]
        words = ", ".join(f"{w} (line {line})" for w, (line, _) in listed)
        yield Hit(first, f"{count} of {total} words ({count / total:.1%}) have "
                  f"{opts['min_syllables']}+ syllables (limit {opts['max_share']:.0%}): {words}"
                  + (" …" if len(seen) > 8 else ""),
                  "use shorter everyday words where they say the same thing")


@functools.lru_cache(maxsize=8)
def jargon_list(path: Path, _mtime: float) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        return {}
    return {str(k).strip().lower(): str(v).strip() for k, v in data.items() if k and v}


def load_jargon(ctx, opts) -> tuple[Path, dict[str, str]]:
    name = opts["word_list"]
    path = Path(name) if Path(name).is_absolute() else ctx.config.root / name
    if not path.is_file():
        path = ctx.config.theme.path(Path(name).name) or path
    if not path.is_file():
        return path, {}
    return path, jargon_list(path, path.stat().st_mtime)


@rule("plain-language/jargon", word_list="styles/jargon.yaml")
def jargon(ctx, opts):
    """A medical word that has a plain alternative in the word list (styles/jargon.yaml)."""
    path, terms = load_jargon(ctx, opts)
    if not terms:
        return
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
                         + r")(?:s|es)?(?![\w-])", re.I)
    for block in ctx.prose.blocks:
        for m in pattern.finditer(block.text):
            term = m.group(1).lower()
            line = block.line + block.text.count("\n", 0, m.start())
            yield Hit(line, f"“{m.group(0)}” is medical jargon",
                      f"say “{terms[term]}” (or explain it the first time); the list is {path.name}")


_ABBR = re.compile(r"(?<![\w-])([A-Z][A-Z0-9&]*[A-Z][A-Z0-9]*)(s?)(?![\w-])")
_ROMAN = re.compile(r"^[IVXLCDM]+$")


@rule("plain-language/abbreviation", known=["OK", "TV", "US", "UK", "USA", "AM", "PM"])
def abbreviation(ctx, opts):
    """An abbreviation used before it is spelled out, e.g. “intrauterine device (IUD)”."""
    known = set(opts["known"])
    first: dict[str, int] = {}
    defined: dict[str, int] = {}
    for block in ctx.prose.blocks:
        text = block.text
        letters = sum(map(str.isalpha, text))
        if letters and sum(map(str.isupper, text)) > 0.6 * letters:
            continue  # a line in capitals ("WHEN TO SEEK CARE") is not full of abbreviations
        for m in _ABBR.finditer(text):
            abbr = m.group(1)
            if abbr in known or _ROMAN.match(abbr) or len(abbr) > 8:
                continue
            line = block.line + text.count("\n", 0, m.start())
            before, after = text[:m.start()].rstrip(), text[m.end():].lstrip()
            if before.endswith("(") and re.search(r"\w", before[:-1][-40:] or "") \
                    or after.startswith("(") and re.match(r"\(\s*[a-z]", after, re.I):
                defined.setdefault(abbr, line)
            first.setdefault(abbr, line)
    for abbr, line in first.items():
        if abbr not in defined:
            yield Hit(line, f"“{abbr}” is never spelled out",
                      f"write it in full the first time, e.g. “words in full ({abbr})”")
        elif defined[abbr] > line:
            yield Hit(line, f"“{abbr}” is used before it is spelled out on line {defined[abbr]}",
                      "spell it out at its first use")


_YOU = re.compile(r"\b(you|your|yours|yourself|yourselves)\b|\byou'", re.I)


@rule("plain-language/you", min_share=0.2)
def you(ctx, opts):
    """The reader is not addressed as “you” (fewer than `min_share`, default 20%, of the
    sentences say you/your)."""
    if not ctx.english:
        return
    sentences = ctx.prose.sentences()
    if not sentences:
        return
    share = sum(1 for s in sentences if _YOU.search(s.text)) / len(sentences)
    if share < opts["min_share"]:
        yield Hit(sentences[0].line, f"the reader is addressed as “you” in {share:.0%} of the "
                  f"sentences (at least {opts['min_share']:.0%} expected)",
                  "talk to the reader: “you may feel…” rather than “patients may feel…”")


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


__all__ = ["passive", "WORD"]
