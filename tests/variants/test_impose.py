"""Saddle-stitch page order, a pure function, checked against hand-made folding dummies."""

from __future__ import annotations

import pytest

from handouts.variants.impose import booklet_order, padded_sequence


def sides(n):
    return [(s.sheet, s.face, s.left, s.right) for s in booklet_order(n)]


def test_four_pages_one_sheet():
    assert sides(4) == [(1, "front", 4, 1), (1, "back", 2, 3)]


def test_eight_pages_two_sheets():
    assert sides(8) == [(1, "front", 8, 1), (1, "back", 2, 7),
                        (2, "front", 6, 3), (2, "back", 4, 5)]


def test_twelve_and_sixteen_pages():
    assert sides(12)[:2] == [(1, "front", 12, 1), (1, "back", 2, 11)]
    assert sides(12)[-2:] == [(3, "front", 8, 5), (3, "back", 6, 7)]
    assert sides(16)[-1] == (4, "back", 8, 9)


@pytest.mark.parametrize("n, expected", [
    (5, [1, 2, 3, 4, None, None, None, 5]),
    (6, [1, 2, 3, 4, 5, None, None, 6]),
    (7, [1, 2, 3, 4, 5, 6, None, 7]),
    (9, [1, 2, 3, 4, 5, 6, 7, 8, None, None, None, 9]),
    (1, [1, None, None, None]),
])
def test_padding_goes_before_the_back_cover(n, expected):
    assert padded_sequence(n) == expected


def test_padded_five_pages():
    assert sides(5) == [(1, "front", 5, 1), (1, "back", 2, None),
                        (2, "front", None, 3), (2, "back", 4, None)]


@pytest.mark.parametrize("n", range(1, 41))
def test_every_page_printed_once_and_folds_in_reading_order(n):
    """Stack the sheets, fold them: reading the folded booklet gives 1..n with blanks."""
    order = booklet_order(n)
    printed = [p for s in order for p in (s.left, s.right) if p is not None]
    assert sorted(printed) == list(range(1, n + 1))
    # Fold the stack (sheet 1 outside) and leaf through it: going in, each sheet shows
    # its front's right half then its back's left half; coming out, its back's right
    # half then its front's left half.
    fronts = [s for s in order if s.face == "front"]
    backs = [s for s in order if s.face == "back"]
    reading = []
    for front, back in zip(fronts, backs):
        reading += [front.right, back.left]
    for front, back in reversed(list(zip(fronts, backs))):
        reading += [back.right, front.left]
    assert reading == padded_sequence(n)
    if n > 1:
        assert reading[-1] == n  # the back cover stays last


def test_zero_pages_is_refused():
    with pytest.raises(ValueError):
        booklet_order(0)
