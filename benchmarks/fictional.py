"""A deterministic, clearly fictional ~1,500-word article for the benchmark.

`write_article(folder)` writes ``article.md`` and ``references.yaml`` into `folder`.
The text is assembled from a fixed vocabulary with a seeded random generator, so every
run produces the same bytes; nothing in it is medical advice and every reference is an
obvious placeholder ("Example A", "Journal of Placeholder Studies").
"""

from __future__ import annotations

import random
import re
from pathlib import Path

SLUG = "benchmark-fictional-article"
TARGET_WORDS = 1500

_SUBJECTS = ["The fictional clinic", "A placeholder nurse", "The example patient",
             "Each imaginary reader", "The sample family", "A made-up pharmacist",
             "The invented care team", "Every pretend visitor"]
_VERBS = ["keeps", "reviews", "writes down", "talks about", "plans", "checks",
          "shares", "remembers", "describes", "organises"]
_OBJECTS = ["a simple daily routine", "the questions for the next visit", "a short walk",
            "a glass of water with each meal", "the names of the placeholder tablets",
            "a calm evening hour", "the list of example symptoms", "a weekly check-in call",
            "the fictional appointment card", "a notebook of small goals"]
_TAILS = ["before the week ends", "with a trusted friend", "in plain words",
          "at the same time each day", "without any hurry", "when it feels right",
          "as the sample leaflet suggests", "after the imaginary review"]

_SECTIONS = [
    ("Understanding the example condition", ["What the placeholder term means",
                                              "Who the sample applies to"]),
    ("Everyday steps that may help", ["Building a fictional routine",
                                      "Sleep, food and movement"]),
    ("Talking with the invented care team", ["Questions to bring along",
                                             "Keeping track between visits"]),
    ("When to look for more help", ["Signs described in the sample",
                                    "Finding placeholder support groups"]),
]

#: (key, given, family, title, year, volume, issue, pages)
REFERENCES = [
    ("example2019", "A", "Example", "A placeholder study of imaginary routines", 2019, 3, 1, "1-9"),
    ("sample2020", "B", "Sample", "Fictional outcomes in an invented cohort", 2020, 4, 2, "10-18"),
    ("dummy2021", "C", "Dummy", "Notes on made-up questionnaires", 2021, 5, 3, "19-27"),
    ("mock2022", "D", "Mock", "An example review of pretend interventions", 2022, 6, 4, "28-36"),
    ("stub2023", "E", "Stub", "Placeholder guidance for benchmark articles", 2023, 7, 1, "37-45"),
]

_CITATIONS = ["[@example2019]", "[@sample2020; @dummy2021]", "[@mock2022, p. 30]",
              "[@stub2023]", "[@example2019; @stub2023]"]


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
            f"{rng.choice(_TAILS)}, and {rng.choice(_SUBJECTS).lower()} "
            f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)}.")


def _paragraph(rng: random.Random, sentences: int = 4) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))


def article_markdown(seed: int = 20261125) -> str:
    """The Markdown body (without front matter)."""
    rng = random.Random(seed)
    cites = iter(_CITATIONS)
    parts = ["This article is fictional. It exists only to measure how fast handouts are "
             "built, and none of it is medical advice. " + _paragraph(rng, 3)]
    for index, (title, subsections) in enumerate(_SECTIONS):
        parts.append(f"## {title}")
        parts.append(_paragraph(rng, 3) + " " + next(cites, ""))
        for sub_index, sub in enumerate(subsections):
            parts.append(f"### {sub}")
            parts.append(_paragraph(rng, 3))
            if index == 1 and sub_index == 0:
                parts.append("\n".join(f"- {rng.choice(_OBJECTS).capitalize()} "
                                       f"{rng.choice(_TAILS)}." for _ in range(5)))
            if index == 2 and sub_index == 1:
                rows = [f"| Week {w} | {rng.choice(_OBJECTS)} | {rng.choice(_TAILS)} |"
                        for w in range(1, 6)]
                parts.append("| Week | Example goal | When |\n|---|---|---|\n" + "\n".join(rows))
            parts.append(_paragraph(rng, 2))
    parts.append(next(cites, "") + " " + _paragraph(rng, 2))
    # Pad with extra paragraphs in the last section until the target length is reached.
    while _words("\n\n".join(parts)) < TARGET_WORDS:
        parts.append(_paragraph(rng, 3))
    return "\n\n".join(p.strip() for p in parts) + "\n"


FRONT_MATTER = """\
---
title: A Fictional Article for Benchmarks
subtitle: Placeholder Text, Not Medical Advice
lang: en
summary: A generated article used only to time the handout build.
keywords: [benchmark, placeholder]
authors:
  - name: Example Author
reviewers:
  - name: Example Reviewer
    credential: MD
    specialty: Placeholder Medicine
    reviewed: 2026-01-01
updated: 2026-01-01
edition: 1
publisher: Example Publisher
disclaimer: This fictional article does not provide medical advice, diagnosis or treatment.
---

"""


def references_yaml() -> str:
    lines = ["# Clearly fictional CSL-YAML references for the benchmark article."]
    for key, given, family, title, year, volume, issue, pages in REFERENCES:
        lines += [f"- id: {key}",
                  "  type: article-journal",
                  f"  author: [{{family: {family}, given: {given}}}]",
                  f"  title: {title}",
                  "  container-title: Journal of Placeholder Studies",
                  f"  issued: {year}",
                  f"  volume: {volume}",
                  f"  issue: {issue}",
                  f"  page: {pages}"]
    return "\n".join(lines) + "\n"


def write_article(folder: Path) -> Path:
    """Write the article and its references into `folder`; return the article.md path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "references.yaml").write_text(references_yaml(), encoding="utf-8")
    path = folder / "article.md"
    path.write_text(FRONT_MATTER + article_markdown(), encoding="utf-8")
    return path


def word_count(path: Path) -> int:
    """Words of an article.md body (front matter excluded)."""
    text = path.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
    return _words(body)
