"""The command line: where it finds the project, what it prints, how it names commands.

Where only the files written and the lines printed matter, the builds use the fast test
builder (`fast_cli`, tests/fakebuild.py: everything real but WeasyPrint's layout)."""

from __future__ import annotations

import shutil

import pytest
from pdfcheck import FICTIONAL, page_texts


@pytest.fixture
def two_articles(project):
    shutil.copytree(project / "source" / FICTIONAL, project / "source" / "second-fictional-guide")
    return project


def built(project) -> list[str]:
    return sorted(p.name for p in (project / "dist").glob("*.pdf"))


def test_inside_an_article_folder_builds_that_article_of_that_project(fast_cli, two_articles, monkeypatch):
    cli = fast_cli
    monkeypatch.chdir(two_articles / "source" / "second-fictional-guide")
    code, out, err = cli("--jobs", "1")
    assert code == 0, err
    assert "no medical disclaimer" not in err
    assert built(two_articles) == ["second-fictional-guide.pdf"]
    last = page_texts(two_articles / "dist" / "second-fictional-guide.pdf")[-1].replace("\xa0", " ")
    assert "Example Health Press is a fictional publisher" in last  # handouts.toml's disclaimer


def test_from_a_subfolder_of_an_article(fast_cli, two_articles, monkeypatch):
    cli = fast_cli
    monkeypatch.chdir(two_articles / "source" / FICTIONAL / "images")
    code, out, err = cli("-q")
    assert code == 0, err
    assert built(two_articles) == [f"{FICTIONAL}.pdf"]


def test_project_root_and_any_subfolder_build_everything(fast_cli, two_articles, monkeypatch):
    cli = fast_cli
    monkeypatch.chdir(two_articles / "source")
    code, out, err = cli("-q", "--jobs", "1")
    assert code == 0, err
    assert built(two_articles) == [f"{FICTIONAL}.pdf", "second-fictional-guide.pdf"]


def test_a_path_to_an_article_from_elsewhere(fast_cli, two_articles, monkeypatch, tmp_path):
    cli = fast_cli
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = cli(two_articles / "source" / FICTIONAL / "article.md", "-q")
    assert code == 0, err
    assert built(two_articles) == [f"{FICTIONAL}.pdf"]
    assert not (elsewhere / "dist").exists()


def test_quiet_prints_nothing_on_success(cli, project):
    md = project / "source" / FICTIONAL / "article.md"  # its small image warns: drop it
    md.write_text(md.read_text().replace("![A calm bedroom](images/bedroom.png)", ""))
    toml = project / "handouts.toml"  # and the editorial checks' warnings
    toml.write_text(toml.read_text() + '\n[checks]\ndisable = ["readability", "plain-language", '
                    '"structure", "citations", "credibility", "images"]\n')
    code, out, err = cli("--root", project, "-q", "--variant", "handout")
    assert (code, out, err) == (0, "", "")


def test_default_output_lists_files_and_ends_with_a_summary(fast_cli, project):
    cli = fast_cli
    code, out, err = cli("--root", project, "--variant", "booklet")
    assert code == 0
    assert f"wrote " in out and f"{FICTIONAL}-booklet.pdf" in out and "flip on short edge" in out
    assert err.strip().splitlines()[-1].startswith("1 built, 0 unchanged in ")


def test_verbose_table(cli, project):
    code, out, err = cli("--root", project, "-v", "-q")
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.split() == ["article", "variant", "pages", "size", "time", "warnings"]
    assert row.split()[:3] == [FICTIONAL, "handout", "2"]


def test_verbose_table_names_each_file_by_its_kind_and_paper(fast_cli, project):
    cli = fast_cli
    code, out, err = cli("--root", project, "--variant", "booklet", "--paper", "letter", "-v", "-q")
    assert code == 0, err
    rows = [line.split() for line in out.strip().splitlines()[1:]]
    assert [row[:2] for row in rows] == [[FICTIONAL, "booklet-letter"], [FICTIONAL, "booklet-pages-letter"]]


def test_mistyped_command_gets_did_you_mean(cli, project):
    code, out, err = cli("chek", "--root", project)
    assert code == 2
    assert "unknown command 'chek' — did you mean 'check'?" in err
    assert not (project / "dist").exists()


def test_a_slug_that_looks_like_a_command_is_still_an_article(fast_cli, project):
    cli = fast_cli
    shutil.copytree(project / "source" / FICTIONAL, project / "source" / "chek")
    code, out, err = cli("chek", "--root", project, "-q")
    assert code == 0, err
    assert built(project) == ["chek.pdf"]


def test_help_names_the_program_and_lists_the_commands(cli, capsys):
    with pytest.raises(SystemExit) as exc:
        cli("--help")
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: handouts ")
    for command in ("build", "check", "review", "serve"):
        assert f"\n  {command} " in out


@pytest.mark.parametrize("paper", ["A4", "Letter", "LETTER", "a4"])
def test_paper_in_any_case(fast_cli, project, paper):
    cli = fast_cli
    code, out, err = cli("--root", project, "--paper", paper, "-q")
    assert code == 0, err
    expected = f"{FICTIONAL}.pdf" if paper.lower() == "a4" else f"{FICTIONAL}-letter.pdf"
    assert built(project) == [expected]


def test_usage_errors_escape_control_characters(cli, project, capsys):
    with pytest.raises(SystemExit) as exc:
        cli("--root", project, "--variant", "book\x1b[31mlet")
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "book\\x1b[31mlet" in err


def test_unknown_article_gets_did_you_mean(cli, project):
    code, out, err = cli("--root", project, "fictional-rest-gide")
    assert code == 1
    assert f"did you mean '{FICTIONAL}'?" in err


def test_check_command_validates_without_building(cli, project):
    code, out, err = cli("check", "--root", project)
    assert code == 0, err
    assert not (project / "dist" / f"{FICTIONAL}.pdf").exists()


def test_handouts_toml_that_is_a_folder_is_one_line(cli, project):
    (project / "handouts.toml").unlink()
    (project / "handouts.toml").mkdir()
    code, out, err = cli("--root", project)
    assert code == 1
    assert err.strip() == f"{project / 'handouts.toml'}: error: cannot read: Is a directory — " \
                          "handouts.toml must be a readable text file"


def test_unreachable_dask_scheduler_is_an_input_error(cli, project, monkeypatch):
    monkeypatch.setenv("HANDOUTS_DASK_TIMEOUT", "1s")
    code, out, err = cli("--root", project, "--executor", "dask://127.0.0.1:9")
    assert code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    code, out, err = cli("--root", project, "--executor", "ftp://x")
    assert code == 1 and "use dask://HOST:PORT" in err


@pytest.mark.parametrize("args, refused", [
    (("check", "--port", "8001"), "--port"),            # serve's
    (("new", "somewhere", "--variant", "all"), "--variant"),  # build's
    (("theme", "--pdf", "x.pdf"), "--pdf"),             # check's
    (("review", FICTIONAL, "--copies", "2"), "--copies"),  # print's
    (("serve", "--executor", "dask://127.0.0.1:8786"), "--executor"),  # build's only
    (("print", FICTIONAL, "--force"), "--force"),       # build's and theme's
    (("--port", "8001"), "--port"),                     # no command: build serves nothing
])
def test_each_command_refuses_another_commands_options(cli, project, capsys, monkeypatch,
                                                       args, refused):
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as exc:
        cli(*args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"error: unrecognized arguments: {refused}" in err
    assert not (project / "dist").exists() and not (project / "somewhere").exists()


def test_the_command_may_follow_options_and_their_values(cli, project, capsys):
    code, out, err = cli("--root", project, "--format", "json", "check")
    assert code == 0, err
    assert out.lstrip().startswith("{")
    with pytest.raises(SystemExit) as exc:
        cli("check", "--help")
    assert exc.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: handouts check ") and "--pdf" in help_text
    assert "--port" not in help_text and "--variant" not in help_text


def test_problems_print_with_paths_relative_to_the_current_folder(tmp_path, monkeypatch, capsys):
    """Fresh and replayed problems alike: a path under the current folder is shown from
    it (Path or text), any other whole; control characters are escaped."""
    from handouts.cli.common import print_problems
    from handouts.errors import Diagnostic, warning

    monkeypatch.chdir(tmp_path)
    article = tmp_path / "source" / "a.md"
    print_problems([warning(article, 3, "m", "fix it"), warning(str(article), 4, "n"),
                    Diagnostic("/elsewhere/b.md", None, "x"), warning(article, 5, "o\x1b[31m"),
                    "plain \x1b text"])
    assert capsys.readouterr().err.splitlines() == [
        "source/a.md:3: warning: m — fix it", "source/a.md:4: warning: n",
        "/elsewhere/b.md: error: x", "source/a.md:5: warning: o\\x1b[31m", "plain \\x1b text"]
