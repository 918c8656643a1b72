"""The kinds of file the variants finish, and reading a kind back from a file's name (for
records written before the manifest kept kinds)."""

from __future__ import annotations

import pytest

from handouts.variants.kinds import VARIANTS, make_variant, output_kind, piece_kinds, piece_suffix


def test_each_variant_names_the_kinds_of_the_files_it_finishes():
    assert piece_kinds() == {"handout": "handout", "booklet": "booklet", "booklet-pages": "booklet",
                             "press": "press", "large-print": "large-print"}
    assert {v: make_variant(v, "a4").piece_suffixes for v in VARIANTS} == {
        "handout": ("",), "booklet": ("-booklet", "-booklet-pages"), "press": ("-press",),
        "large-print": ("-large-print",)}


@pytest.mark.parametrize("folder", ["", "clinics/riverside/"])
@pytest.mark.parametrize("paper", [None, "a4", "letter"])
def test_a_files_kind_and_paper_read_back_from_its_name(folder, paper):
    for kind in piece_kinds():
        name = f"{folder}flu{piece_suffix(kind)}{f'-{paper}' if paper else ''}.pdf"
        assert output_kind(name, "flu") == (kind, paper), name


@pytest.mark.parametrize("name", ["flu-pages.pdf", "flu-handout.pdf", "flu-press-pages.pdf",
                                  "flu-a5.pdf", "other.pdf", "flu-booklet-letter-a4.pdf"])
def test_a_name_no_variant_gives_has_no_kind(name):
    assert output_kind(name, "flu") is None
