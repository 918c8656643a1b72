"""Citations: Pandoc syntax, numbering by first use, references files, AMA formatting."""

from __future__ import annotations


import pytest

from handouts.markdown.body import convert
from handouts.references.bibliography import format_bibliography
from handouts.references.citations import parse_citation_group, scan_citations
from handouts.references.readers import load_references
from handouts.errors import InputError

BIB = """% fictional entries
@article{doe2019,
  author = {Doe, Jane and Roe, Richard},
  title = {An invented trial of {Tea}},
  journal = {Fictional Reports},
  year = {2019}, volume = {3}, pages = {1--9}
}

@book{poe2001,
  author = {Poe, Ann},
  title = {A Made-Up Book},
  publisher = {Nowhere Press},
  year = {2001}
}
"""

CSL_YAML = """- id: doe2019
  type: article-journal
  title: An invented trial of tea
  author: [{family: Doe, given: Jane}, {family: Roe, given: Richard}]
  container-title: Fictional Reports
  issued: 2019
  volume: 3
  page: 1-9
- id: poe2001
  type: book
  title: A Made-Up Book
  author: [{family: Poe, given: Ann}]
  publisher: Nowhere Press
  issued: 2001-05-01
"""


@pytest.mark.parametrize("text, expected", [
    ("@a", [("a", "")]),
    ("@a; @b", [("a", ""), ("b", "")]),
    ("@a, p. 4", [("a", "p4")]),
    ("see @a, pp. 4-6; @b", [("a", "pp4-6"), ("b", "")]),
    ("@doi:10.1/x.y", [("doi:10.1/x.y", "")]),
])
def test_parse_citation_group(text, expected):
    assert [(i.key, i.locator) for i in parse_citation_group(text)] == expected


def test_superscripts_link_to_the_list_and_compress_ranges():
    numbers = {"a": 1, "b": 2, "c": 3, "d": 4}
    html = convert("One [@a]. Range [@c; @a; @b]. Pair [@a; @b]. Page [@d, p. 7].", numbers).html
    assert 'One<sup class="citation"><a href="#ref-1">1</a></sup>.' in html
    assert '<a href="#ref-1">1</a>–<a href="#ref-3">3</a>' in html
    assert '<a href="#ref-1">1</a>,<a href="#ref-2">2</a>' in html
    assert '<a href="#ref-4">4</a>(p7)' in html


def test_links_footnotes_and_emails_are_not_citations():
    html = convert("A [link](https://example.org), mail [me@example.org], note[^n].\n\n[^n]: x", {}).html
    assert 'href="https://example.org"' in html
    assert "[me@example.org]" in html
    assert "citation" not in html


def test_citations_in_code_are_left_alone(tmp_path):
    refs = tmp_path / "references.yaml"
    refs.write_text(CSL_YAML)
    body = "Text [@poe2001].\n\n```\n[@nobody]\n```\n\nAnd `[@nobody]` inline, then [@doe2019]."
    order, problems, warnings = scan_citations(tmp_path / "a.md", body, 1, load_references(refs))
    assert order == ("poe2001", "doe2019") and not problems and not warnings


@pytest.mark.parametrize("name, content", [("references.bib", BIB), ("references.yaml", CSL_YAML)])
def test_bibtex_and_csl_yaml_format_in_ama_style(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    refs = load_references(path)
    bib = format_bibliography(refs, ("poe2001", "doe2019"), "american-medical-association")
    assert [(e.number, e.key) for e in bib.entries] == [(1, "poe2001"), (2, "doe2019")]
    assert bib.entries[0].html == "Poe A. <i>A Made-Up Book</i>. Nowhere Press; 2001."
    assert bib.entries[1].html.startswith("Doe J, Roe R. An invented trial of")
    assert "<i>Fictional Reports</i>. 2019;3:1-9." in bib.entries[1].html


def test_another_csl_style_can_be_chosen(tmp_path):
    path = tmp_path / "references.yaml"
    path.write_text(CSL_YAML)
    bib = format_bibliography(load_references(path), ("doe2019",), "apa")
    assert "(2019)" in bib.entries[0].html


def test_uncited_reference_is_a_warning_with_its_line(tmp_path):
    refs = tmp_path / "references.yaml"
    refs.write_text(CSL_YAML)
    order, problems, warnings = scan_citations(tmp_path / "a.md", "Only [@doe2019].", 1,
                                               load_references(refs))
    assert not problems
    assert [str(w) for w in warnings] == [
        f"{refs}:9: warning: reference 'poe2001' is never cited — cite it with [@poe2001] or remove it"]


def test_unknown_key_without_references_file_says_where_to_put_them(tmp_path):
    _, problems, _ = scan_citations(tmp_path / "a.md", "x\ny [@smith]", 1, load_references(None))
    assert problems[0].line == 2
    assert "add a references file" in problems[0].hint


def test_duplicate_ids_are_reported(tmp_path):
    path = tmp_path / "references.yaml"
    path.write_text(CSL_YAML + CSL_YAML.split("- id: poe2001")[0].replace("doe2019", "doe2019", 1))
    with pytest.raises(InputError, match=r"references.yaml:15: error: entry 'doe2019': duplicate key \(first on line 1\)"):
        load_references(path)


ZOTERO_BIB = """@online{clinic2023,
  author = {{Example Clinic}},
  title = {Heat-related illness},
  url = {https://example.org/heat_illness},
  urldate = {2024-05-01},
  year = {2023},
  keywords = {heat},
  file = {x.pdf}
}
@techreport{doe2020,
  author = {Doe, Jane},
  title = {A fictional report},
  institution = {Fictional Institute},
  year = {2020}
}
"""


def test_zotero_bibtex_keeps_urls_access_dates_and_institutions(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text(ZOTERO_BIB)
    bib = format_bibliography(load_references(path), ("clinic2023", "doe2020"),
                              "american-medical-association")
    first, second = (e.html for e in bib.entries)
    assert "Accessed May 1, 2024." in first
    assert '<a href="https://example.org/heat_illness">' in first
    assert "Fictional Institute; 2020." in second


def test_duplicate_bibtex_key_is_reported_with_its_line(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text(BIB + BIB.split("\n\n")[0])
    with pytest.raises(InputError, match=r"references.bib:16: error: entry 'doe2019': duplicate key \(first on line 2\)"):
        load_references(path)


@pytest.mark.parametrize("issued, expected", [
    ('{"raw": "2020"}', "2020"), ('"2021-04"', "2021"), ("2019", "2019"),
])
def test_csl_json_dates_in_the_forms_people_write(tmp_path, issued, expected):
    path = tmp_path / "references.json"
    path.write_text('\ufeff[{"id": "a", "type": "book", "title": "T", "publisher": "P", '
                    f'"issued": {issued}}}]', encoding="utf-8")  # with a BOM, as Notepad saves
    bib = format_bibliography(load_references(path), ("a",), "american-medical-association")
    assert expected in bib.entries[0].html


@pytest.mark.parametrize("issued", ["03/2022", "2020-13", "2020-12-45", "soon"])
def test_impossible_reference_dates_are_input_errors(tmp_path, issued):
    path = tmp_path / "references.yaml"
    path.write_text(f"- id: a\n  type: book\n  title: T\n  issued: {issued}\n")
    with pytest.raises(InputError, match=r"(is not a date|impossible date)"):
        load_references(path)


def test_adjacent_groups_make_one_superscript_and_links_keep_their_text():
    from handouts.references.bibliography import Numbers

    numbers = Numbers({"a": 1, "b": 2, "c": 3}, names={"a": "Smith"})
    html = convert("One [@a] [@b], two [@a][@c]. A link [see @a](https://example.org) and "
                   "@a [p. 4] said.", numbers).html
    assert 'One<sup class="citation"><a href="#ref-1">1</a>,<a href="#ref-2">2</a></sup>,' in html
    assert 'two<sup class="citation"><a href="#ref-1">1</a>,<a href="#ref-3">3</a></sup>.' in html
    assert '<a href="https://example.org">see @a</a>' in html
    assert ('<span class="citation-narrative">Smith<sup class="citation"><a href="#ref-1">1</a>(p4)'
            '</sup></span> said') in html


def test_scan_counts_what_the_markdown_prints(tmp_path):
    refs = tmp_path / "references.yaml"
    refs.write_text(CSL_YAML)
    body = "A [link @poe2001](https://example.org). Then [@doe2019][@poe2001] and mail x@poe2001."
    order, problems, warnings = scan_citations(tmp_path / "a.md", body, 1, load_references(refs))
    assert order == ("doe2019", "poe2001") and not problems and not warnings
