"""Hyphenation patterns read as words need them (handouts/pdf/fixes/hyphenation.py) are
Pyphen's: the same patterns, the same points, for WeasyPrint and for the checks."""

from __future__ import annotations

import pyphen
import pytest

from handouts.pdf.fixes.hyphenation import LazyHyphDict

#: Pyphen's own dictionary class (`install` replaces the module's name for it).
HyphDict = LazyHyphDict.__bases__[0]
WORDS = ("hyphenation", "counterintuitive", "organisation", "placeholder", "Schifffahrt",
         "Kaffeeflasche", "naïve", "straße", "ab", "a", "", "responsibilities",
         "incomprehensibilities", "Rückkehrverpflichtung", "paral·lel", "col·lecció",
         "intel·ligència", "xyzzy")


# The dictionaries the build uses (English, Thai), and Catalan's, which has nonstandard
# hyphenations ("l·l" -> "l-l").
@pytest.mark.parametrize("lang", ["en_US", "en_GB", "th_TH", "ca"])
def test_the_patterns_and_points_are_pyphens(lang):
    path = pyphen.LANGUAGES[lang]
    theirs, ours = HyphDict(path), LazyHyphDict(path)
    words = WORDS + tuple(sorted(theirs.patterns)[::97])  # and words made of patterns
    for word in words:
        assert ours.positions(word) == theirs.positions(word), word
        assert ([p.data for p in ours.positions(word)] ==
                [p.data for p in theirs.positions(word)]), word  # nonstandard hyphenation
    assert ours.maxlen == theirs.maxlen
    for key in list(ours.patterns.lines):  # every pattern, parsed
        ours.patterns.get(key)
    assert dict(ours.patterns) == theirs.patterns
    def data(patterns):  # what a nonstandard hyphenation carries (plain ints carry none)
        return {k: [getattr(v, "data", None) for v in values] for k, (_, values) in patterns.items()}

    assert data(ours.patterns) == data(theirs.patterns)


def test_installed_pyphen_hyphenates_as_before():
    from handouts.pdf.fixes import hyphenation

    hyphenation.install()
    hyphenation.install()  # idempotent
    lazy = pyphen.Pyphen(filename=pyphen.LANGUAGES["ca"], cache=False)
    assert isinstance(lazy.hd, LazyHyphDict)
    plain = pyphen.Pyphen(filename=pyphen.LANGUAGES["ca"], cache=False)
    plain.hd = HyphDict(pyphen.LANGUAGES["ca"])
    for word in ("paral·lel", "intel·ligència", "col·lecció"):
        assert lazy.inserted(word) == plain.inserted(word)
    assert lazy.inserted("paral·lel") == "pa-ral-lel"  # the nonstandard break: l·l -> l-l
