"""Bad input: one clear line per problem, exit code 1, and the previous PDF untouched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pdfcheck import FICTIONAL, page_texts

ERROR_LINE = re.compile(r"^(?P<path>[^\s:][^:]*?)(?::(?P<line>\d+))?: error: (?P<msg>.+?) — (?P<hint>.+)$")
OLD_EDITION = b"%PDF-1.7 previous edition, must survive a failed build\n"


def article_path(project: Path) -> Path:
    return project / "source" / FICTIONAL / "article.md"


def edit(project: Path, old: str, new: str) -> None:
    path = article_path(project)
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def build_fails(cli, project: Path, *expected: str) -> list[re.Match]:
    """Build; assert exit 1, well-formed error lines containing `expected`, old PDF kept."""
    dist = project / "dist"
    dist.mkdir(exist_ok=True)
    old = dist / f"{FICTIONAL}.pdf"
    old.write_bytes(OLD_EDITION)
    code, out, err = cli("--root", project)
    assert code == 1, err
    assert "Traceback" not in err
    errors = [ERROR_LINE.match(line) for line in err.splitlines() if ": error: " in line]
    assert errors and all(errors), err
    for text in expected:
        assert text in err, err
    assert old.read_bytes() == OLD_EDITION
    assert sorted(p.name for p in dist.iterdir()) == [old.name]  # no temp or partial file
    return errors


def test_no_front_matter(cli, project):
    path = article_path(project)
    path.write_text(path.read_text().split("---", 2)[2])
    [error] = build_fails(cli, project, "no front matter", "start the file with a '---' line")
    assert error["line"] == "1" and error["path"].endswith("article.md")


def test_yaml_syntax_error(cli, project):
    edit(project, "subtitle: A Test Handout", "subtitle: [A Test Handout")
    [error] = build_fails(cli, project, "front matter YAML")
    assert error["line"] is not None


def test_unknown_key_suggests_the_right_one(cli, project):
    edit(project, "subtitle:", "subtitel:")
    [error] = build_fails(cli, project, "unknown key 'subtitel'", "did you mean 'subtitle'?")
    assert error["line"] == "3"


def test_missing_reviewer(cli, project):
    edit(project, "reviewers:\n  - name: Dr. Test Reviewer\n    credential: MD\n"
                  "    specialty: Imaginary Medicine\n    reviewed: 2024-03-01\n", "")
    build_fails(cli, project, "no medical reviewer", "draft: true")


def test_reviewer_without_credential_is_located(cli, project):
    edit(project, "    credential: MD\n", "")
    [error] = build_fails(cli, project, "a reviewer is missing 'credential'")
    assert error["line"] == "11"


def test_missing_disclaimer(cli, project):
    (project / "handouts.toml").write_text('publisher = "Example Health Press"\n')
    build_fails(cli, project, "no medical disclaimer", "add 'disclaimer: …'")


@pytest.mark.parametrize("value", ["03/2024", "yesterday", "2024-3-1"])
def test_date_not_iso(cli, project, value):
    edit(project, "updated: 2024-03-02", f"updated: {value}")
    [error] = build_fails(cli, project, "'updated': expected a date YYYY-MM-DD", "2024-03-01")
    assert error["line"] == "15"


@pytest.mark.parametrize("value, message", [
    ("2025-02-30", "'updated': February 2025 has no day 30"),
    ("2024-02-30", "'updated': February 2024 has no day 30"),
    ("2023-02-29", "'updated': February 2023 has no day 29"),
    ("2024-04-31", "'updated': April 2024 has no day 31"),
    ("2024-13-01", "'updated': 2024-13-01 has no month 13"),
    ("2024-00-10", "'updated': 2024-00-10 has no month 0"),
    ("2024-05-00", "'updated': 2024-05-00 has no day 0"),
])
def test_impossible_date_says_why(cli, project, value, message):
    edit(project, "updated: 2024-03-02", f"updated: {value}")
    [error] = build_fails(cli, project, message, "check the day and month")
    assert error["line"] == "15"


def test_review_date_in_the_future(cli, project):
    text = (project / "source" / "fictional-rest-guide" / "article.md").read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.strip().startswith("reviewed:"))
    edit(project, old, old.split(":")[0] + ": 2999-01-01")
    [error] = build_fails(cli, project, "'reviewed': 2999-01-01 is in the future", "today at the latest")
    assert error["line"] == str(text.splitlines().index(old) + 1)


def test_field_without_space_after_colon_points_at_its_line(cli, project):
    text = (project / "source" / "fictional-rest-guide" / "article.md").read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("edition:"))
    edit(project, old, old.replace(": ", ":"))
    [error] = build_fails(cli, project, "has no space after the colon", "write 'edition: ")
    assert error["line"] == str(text.splitlines().index(old) + 1)


def test_unknown_citation_key(cli, project):
    edit(project, "[@zeta2021]", "[@zeta2012]")
    [error] = build_fails(cli, project, "unknown citation key '@zeta2012'", "did you mean 'zeta2021'?")
    assert error["line"] == "19"


@pytest.mark.parametrize("name, content, message", [
    ("references.json", '[{"id": "alpha2020", "type": "book",, }]', "JSON syntax"),
    ("references.json", '{"id": "alpha2020"}', "expected a list of CSL references"),
    ("references.json", '[{"id": "zeta2021", "title": "No type"}]', "has no 'type'"),
    ("references.yaml", "- id: zeta2021\n  type: book\n  title: [unclosed\n", "YAML syntax"),
    ("references.bib", "@article{zeta2021,\n  title = {Unclosed\n", "BibTeX syntax"),
])
def test_malformed_references(cli, project, name, content, message):
    folder = article_path(project).parent
    (folder / "references.json").unlink()
    (folder / name).write_text(content)
    errors = build_fails(cli, project, message)
    assert all(e["path"].endswith(name) or e["path"].endswith("article.md") for e in errors)


def test_missing_image(cli, project):
    edit(project, "images/bedroom.png", "images/bedrom.png")
    [error] = build_fails(cli, project, "image 'images/bedrom.png' does not exist")
    assert error["line"] == "29"


def test_image_outside_the_article_folder(cli, project):
    (project / "secret.png").write_bytes(b"not really a png")
    edit(project, "images/bedroom.png", "../../secret.png")
    build_fails(cli, project, "lies outside the article's folder")


def test_empty_body(cli, project):
    path = article_path(project)
    text = path.read_text()
    path.write_text(text[: text.index("---", 4) + 4] + "\n   \n")
    build_fails(cli, project, "the article has no body text")


def test_not_utf8(cli, project):
    path = article_path(project)
    path.write_bytes(path.read_bytes().replace(b"Rest matters", "Rést matters".encode("latin-1")))
    [error] = build_fails(cli, project, "not UTF-8", "save the file as UTF-8")
    assert error["line"] == "19"


def test_every_problem_is_reported_in_one_pass(cli, project):
    edit(project, "subtitle:", "subtitel:")
    edit(project, "updated: 2024-03-02", "updated: 02/03/2024")
    edit(project, "[@zeta2021]", "[@nobody]")
    errors = build_fails(cli, project)
    assert [e["line"] for e in errors] == ["3", "15", "19"]


def test_bad_article_does_not_stop_the_batch(cli, project):
    other = project / "source" / "second"
    other.mkdir()
    (other / "article.md").write_text("no front matter here\n")
    code, out, err = cli("--root", project)
    assert code == 1
    assert (project / "dist" / f"{FICTIONAL}.pdf").is_file()
    assert "1 built, 0 unchanged, 1 failed in" in err  # batch summary (jobs)


def test_draft_builds_without_reviewer_and_is_stamped(cli, project):
    edit(project, "reviewers:\n  - name: Dr. Test Reviewer\n    credential: MD\n"
                  "    specialty: Imaginary Medicine\n    reviewed: 2024-03-01\n", "draft: true\n")
    code, out, err = cli("--root", project)
    assert code == 0, err
    pages = page_texts(project / "dist" / f"{FICTIONAL}.pdf")
    assert all("DRAFT — not medically reviewed" in text for text in pages)


def test_usage_error_exits_2(cli, project):
    with pytest.raises(SystemExit) as exc:
        cli("--root", project, "--paper", "a3")
    assert exc.value.code == 2


def test_a_bug_exits_3_with_traceback_on_request(cli, project, monkeypatch):
    import handouts.pdf.render

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(handouts.pdf.render, "render_pdf", broken)  # the build imports it at the call
    code, out, err = cli("--root", project)
    assert code == 3
    assert "internal error: RuntimeError: simulated bug" in err and "Traceback" not in err
    code, out, err = cli("--root", project, "--traceback")
    assert code == 3 and "Traceback" in err
    lines = err.splitlines()  # real lines, as Python prints them, not one line with "\n"
    assert any(line.startswith("Traceback (most recent call last)") for line in lines)
    assert any(line.strip().startswith('File "') for line in lines) and "\\n" not in err
    assert not (project / "dist" / f"{FICTIONAL}.pdf").exists()


def test_empty_reviewer_list_is_no_reviewer(cli, project):
    edit(project, "reviewers:\n  - name: Dr. Test Reviewer\n    credential: MD\n"
                  "    specialty: Imaginary Medicine\n    reviewed: 2024-03-01\n", "reviewers: []\n")
    [error] = build_fails(cli, project, "no medical reviewer")
    assert error["line"] == "10"


def test_tab_in_front_matter_says_so(cli, project):
    edit(project, "  - name: Ada Placeholder", "\t- name: Ada Placeholder")
    build_fails(cli, project, "a tab character", "replace the tab with spaces")


def test_citation_group_wrapped_onto_the_next_line(cli, project):
    edit(project, "[@alpha2020; @beta2019; @gamma2018]", "[@alpha2020;\n@beta2019; @gama2018]")
    [error] = build_fails(cli, project, "unknown citation key '@gama2018'", "did you mean 'gamma2018'?")
    assert error["line"] == "24"


def test_broken_references_file_is_one_error_not_one_per_citation(cli, project):
    (project / "source" / FICTIONAL / "references.json").write_text("[{")
    errors = build_fails(cli, project, "JSON syntax")
    assert len(errors) == 1


@pytest.mark.parametrize("value", ["-3", "nan", "500", "thick"])
def test_bleed_out_of_range_is_a_usage_error(cli, project, value):
    with pytest.raises(SystemExit) as exc:
        cli("--root", project, "--variant", "press", "--bleed", value)
    assert exc.value.code == 2


def test_check_may_follow_the_options_and_validates_the_project(cli, project):
    code, out, err = cli("--root", project, "check")
    assert code == 0 and "checked 1 article(s): 0 failing" in err
    assert not (project / "dist").exists()
    toml = project / "handouts.toml"
    toml.write_text(toml.read_text().replace('disclaimer =', 'csl_style = "ama"\ndisclaimer ='))
    code, out, err = cli("--root", project, "check")
    assert code == 1
    assert re.search(r"handouts.toml:\d+: error: unknown CSL style 'ama' — ", err)


def test_unwritable_output_is_an_input_error(cli, project, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    code, out, err = cli("--root", project, "--out", blocker / "dist")
    assert code == 1 and "Traceback" not in err and "internal error" not in err
