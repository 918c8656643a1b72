"""Editorial checks: every rule both ways, its file and line, its settings in handouts.toml,
the text and JSON reports and the exit status.

The clean fixture (tests/fixtures/checks/clean) passes every rule; each case below edits
one copy of it to trip exactly one rule, at a known line.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest

from pdfcheck import FIXTURES, REPO

TODAY = dt.date(2026, 11, 26)
SLUG = "fictional-fever-care"
CLEAN = FIXTURES / "checks" / "clean"


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(CLEAN, root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


def article_path(root: Path) -> Path:
    return root / "source" / SLUG / "article.md"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def report_of(root: Path, today=TODAY):
    from handouts.checks.report import check_article
    from handouts.project.config import load_config

    config = load_config(root)
    return check_article(config, article_path(root), today=today)


def rules_of(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def test_clean_fixture_passes_every_rule(proj):
    report = report_of(proj)
    assert report.loaded
    assert report.findings == [], "\n".join(map(str, report.findings))
    assert report.readability["supported"] and report.readability["article"]["fk_grade"] <= 8


ARTICLE = "article"
REFS = "references"

# (rule, file, old text, new text, text on the line the finding must name, severity)
TRIPS = [
    ("readability/grade", ARTICLE,
     "A fever means your body is warmer than usual. Most fevers go away on their own in a few\ndays.",
     "Pyrexia, characterized physiologically by an elevated thermoregulatory setpoint, "
     "frequently accompanies inflammatory conditions. Intermittent antipyretic administration "
     "demonstrates considerable variability regarding symptomatic amelioration. Dehydration "
     "consequently exacerbates cardiovascular instability.",
     "Pyrexia, characterized", "warning"),
    ("readability/section-grade", ARTICLE,
     "Check your temperature with a thermometer. Use this table to see what it means.",
     "Thermometric evaluation necessitates appropriately calibrated instrumentation. "
     "Interpretation presupposes understanding physiological temperature variability. "
     "Consultation facilitates individualized evaluation.",
     "## How warm is too warm", "warning"),
    ("plain-language/long-sentence", ARTICLE,
     "Read\nthe label and take the right amount.",
     "Read the label on the box and take the right amount at the right time of day, and ask "
     "your nurse or the person at the shop if you are not sure what the label says.",
     "Read the label on the box", "warning"),
    ("plain-language/passive-voice", ARTICLE,
     "Read\nthe label and take the right amount.",
     "The label should be read. The amount is given by your nurse. Water is taken often. "
     "Rest was advised.",
     "The label should be read", "warning"),
    ("plain-language/long-words", ARTICLE,
     "Keep your room cool.",
     "Keep your room cool, comfortable, temperature-appropriate, and ventilated "
     "continuously, particularly overnight, preferably automatically.",
     "Keep your room cool, comfortable", "warning"),
    ("plain-language/jargon", ARTICLE, "Wear light clothes.",
     "Wear light clothes if you have hypertension.", "hypertension", "warning"),
    ("plain-language/abbreviation", ARTICLE,
     "Your nurse can help you with the Example Health Portal (EHP). You can send a message on the\nEHP",
     "Your nurse can help you with the EHP. You can send a message on the\nEHP",
     "help you with the EHP", "warning"),
    ("structure/title", ARTICLE, "## How to feel better at home", "# How to feel better at home",
     "# How to feel better at home", "error"),
    ("structure/heading-levels", ARTICLE, "## How warm is too warm", "#### How warm is too warm",
     "#### How warm is too warm", "warning"),
    ("structure/summary", ARTICLE,
     "summary: How to look after yourself at home during a fictional fever, and the signs that mean you should get help.\n",
     "", None, "warning"),
    ("structure/seek-care", ARTICLE,
     '!!! warning "When to seek care"\n    Call your doctor',
     "## When to seek care\n\nCall your doctor", "## When to seek care", "warning"),
    ("structure/literal-markup", ARTICLE, "- Wear light clothes.",
     "- Wear light clothes.\n\nAfter that:\n2) Keep your room cool.", "2) Keep your room cool.",
     "warning"),
    ("citations/uncited", REFS, "- id: drinks2024",
     "- id: unused2024\n  type: webpage\n  title: A page nobody cites\n  issued: 2024\n"
     "  URL: https://example.org/unused\n- id: drinks2024", "id: unused2024", "warning"),
    ("citations/incomplete", REFS, "  DOI: 10.5555/fictional.rest.2023\n", "", "id: rest2023", "warning"),
    ("citations/placeholder", REFS, "title: Drinking water when you are unwell",
     "title: Not included in the supplied text", "id: drinks2024", "warning"),
    ("citations/old-source", REFS, "issued: 2023", "issued: 2003", "id: rest2023", "warning"),
    ("credibility/review-overdue", ARTICLE, "    reviewed: 2025-10-01\nupdated: 2025-10-01",
     "    reviewed: 2021-10-01\nupdated: 2021-10-01", "reviewed: 2021-10-01", "warning"),
    ("credibility/updated-before-review", ARTICLE, "updated: 2025-10-01", "updated: 2025-09-01",
     "updated: 2025-09-01", "warning"),
    ("images/alt-text", ARTICLE, "![A glass of water on a bedside table](images/water.png)",
     "![water.png](images/water.png)", "![water.png]", "error"),
]


@pytest.mark.parametrize("rule,where,old,new,needle,severity", TRIPS, ids=[t[0] for t in TRIPS])
def test_each_rule_trips_on_its_fixture(proj, rule, where, old, new, needle, severity):
    from handouts.checks import RULES, load_families

    load_families()
    path = article_path(proj) if where == ARTICLE else article_path(proj).with_name("references.yaml")
    assert rule not in rules_of(report_of(proj)), "the clean fixture must not trip it"
    edit(path, old, new)
    report = report_of(proj)
    found = rules_of(report)
    assert rule in found, f"{rule} not reported; got:\n" + "\n".join(map(str, report.findings))
    finding = found[rule][0]
    assert finding.severity == severity == RULES[rule].severity
    assert Path(finding.path) == path
    if needle is None:
        assert finding.line == 1  # front matter: the file's first line
    else:
        assert finding.line == line_of(path, needle)
    assert str(finding).startswith(f"{path}:{finding.line}: {severity}: [{rule}] ")


def test_readability_language_other_than_english_says_so(proj):
    edit(article_path(proj), "lang: en", "lang: vi")
    edit(article_path(proj), "edition: 1", "edition: 1\ndisclaimer: Tài liệu này không thay thế lời khuyên y tế.")
    report = report_of(proj)
    found = rules_of(report)
    assert [f.severity for f in found["readability/language"]] == ["info"]
    assert "no readability scores for language 'vi'" in found["readability/language"][0].text
    assert report.readability["supported"] is False and "article" not in report.readability
    # the English heuristics stay quiet on Vietnamese text
    assert not {"plain-language/you", "plain-language/passive-voice", "readability/grade"} & set(found)


def test_reader_not_addressed_as_you(proj):
    path = article_path(proj)
    text = path.read_text(encoding="utf-8")
    body_start = text.index("A fever means")
    third_person = ("Patients with a fever feel warm. Most fevers go away in a few days. "
                    "Patients should drink water and rest.\n")
    path.write_text(text[:body_start] + third_person, encoding="utf-8")
    found = rules_of(report_of(proj))
    assert found["plain-language/you"][0].line == line_of(path, "Patients with a fever")
    assert "0% of the sentences" in found["plain-language/you"][0].text


def test_abbreviation_spelled_out_after_first_use(proj):
    path = article_path(proj)
    edit(path, "You can send a message on the\nEHP when",
         "You can send a message on the\nExample Health Portal (EHP) when")
    edit(path, "with the Example Health Portal (EHP).", "with the EHP.")
    found = rules_of(report_of(proj))
    (finding,) = found["plain-language/abbreviation"]
    assert finding.line == line_of(path, "with the EHP.")
    assert f"spelled out on line {line_of(path, '(EHP) when')}" in finding.text


def test_seek_care_needs_the_symptoms_tag(proj):
    path = article_path(proj)
    edit(path, '!!! warning "When to seek care"\n    Call', "Call")
    assert "structure/seek-care" in rules_of(report_of(proj))
    edit(path, "keywords: [fever, symptoms]", "keywords: [fever]")
    assert "structure/seek-care" not in rules_of(report_of(proj))


def test_seek_care_as_a_github_alert_counts(proj):
    path = article_path(proj)
    edit(path, '!!! warning "When to seek care"\n    Call your doctor',
         "> [!WARNING] When to seek care\n> Call your doctor")
    assert "structure/seek-care" not in rules_of(report_of(proj))


def test_section_length_is_configurable(proj):
    assert "structure/section-length" not in rules_of(report_of(proj))
    (proj / "handouts.toml").write_text((proj / "handouts.toml").read_text()
                                        + '\n[checks."structure/section-length"]\nmax_words = 40\n')
    (finding,) = rules_of(report_of(proj))["structure/section-length"]
    assert finding.line == line_of(article_path(proj), "## How to feel better at home")
    assert "has 50 words (limit 40)" in finding.text


def test_image_without_alt_and_low_resolution(proj):
    from PIL import Image

    folder = article_path(proj).parent
    Image.new("RGB", (300, 200), "white").save(folder / "images" / "small.png")
    edit(article_path(proj), "![A glass of water on a bedside table](images/water.png)",
         "![](images/water.png)\n\n![A small white square](images/small.png)")
    found = rules_of(report_of(proj))
    (alt,) = found["images/alt-text"]
    assert alt.line == line_of(article_path(proj), "![](images/water.png)") and alt.severity == "error"
    (res,) = found["images/resolution"]
    assert "small.png" in res.text and "(300×200 px) prints at 96 pixels per inch" in res.text
    assert res.line == line_of(article_path(proj), "small.png")


def test_draft_without_reviewer_or_disclaimer_warns(proj):
    path = article_path(proj)
    text = path.read_text(encoding="utf-8")
    start, end = text.index("reviewers:"), text.index("updated:")
    path.write_text(text[:start] + "draft: true\n" + text[end:], encoding="utf-8")
    (proj / "handouts.toml").write_text('publisher = "Example Health Portal"\n')
    found = rules_of(report_of(proj))
    assert found["credibility/reviewer"][0].severity == "warning"
    assert "no medical reviewer (draft" in found["credibility/reviewer"][0].text
    assert found["credibility/disclaimer"][0].severity == "warning"


def test_unknown_citation_key_is_an_error(proj):
    from handouts.checks.report import check_all
    from handouts.project.config import load_config

    path = article_path(proj)
    edit(path, "[@rest2023]", "[@rest2032]")
    report = check_all(load_config(proj), [path], today=TODAY)
    (finding,) = [f for f in report.findings() if f.rule == "citations/unknown-key"]
    assert finding.severity == "error" and finding.line == line_of(path, "[@rest2032]")
    assert report.exit_status() == 1


def test_content_changed_after_review_from_the_archive(proj):
    """An archived edition with the same review date but other content: the text changed
    after the review. (Archive layout of handouts.dist.editions, written here by hand.)"""
    from handouts.project.config import load_config
    from handouts.dist.editions import content_sha256
    from handouts.source.article import load_article

    config = load_config(proj)
    art = load_article(article_path(proj), config)
    archived = proj / "dist" / "archive" / SLUG / "edition-1"
    (archived / "source").mkdir(parents=True)
    shutil.copy(article_path(proj), archived / "source" / "article.md")
    entry = {"edition": 1, "reviewed": "2025-10-01", "content_sha256": content_sha256(art)}
    (archived / "edition.json").write_text(json.dumps(entry))
    assert "credibility/content-changed" not in rules_of(report_of(proj))
    edit(article_path(proj), "Wear light clothes.", "Wear warm clothes.")
    (finding,) = rules_of(report_of(proj))["credibility/content-changed"]
    assert finding.line == line_of(article_path(proj), "reviewed: 2025-10-01")
    assert finding.severity == "error"
    assert ("the content changed since Dana Sample's review of 2025-10-01 (the text signed was "
            "published before fingerprints") in finding.text


# ---------------------------------------------------------------------------------------
# Settings


def test_rules_can_be_disabled_and_their_severity_changed(proj):
    path = article_path(proj)
    edit(path, "Wear light clothes.", "Wear light clothes if you have hypertension.")
    toml = proj / "handouts.toml"
    base = toml.read_text()
    toml.write_text(base + '\n[checks]\ndisable = ["plain-language/jargon"]\n')
    assert "plain-language/jargon" not in rules_of(report_of(proj))
    toml.write_text(base + '\n[checks]\ndisable = ["plain-language"]\n')
    assert not [r for r in rules_of(report_of(proj)) if r.startswith("plain-language/")]
    toml.write_text(base + '\n[checks."plain-language/jargon"]\nseverity = "error"\n')
    assert rules_of(report_of(proj))["plain-language/jargon"][0].severity == "error"
    toml.write_text(base + '\n[checks."plain-language/jargon"]\nenabled = false\n')
    assert "plain-language/jargon" not in rules_of(report_of(proj))


def test_the_jargon_list_is_editable(proj):
    path = article_path(proj)
    assert "plain-language/jargon" not in rules_of(report_of(proj))
    override = proj / "styles" / "jargon.yaml"  # the project's copy of the built-in list
    override.write_bytes((REPO / "handouts" / "theme" / "jargon.yaml").read_bytes())
    with override.open("a", encoding="utf-8") as f:
        f.write("thermometer: temperature stick\n")
    (finding,) = rules_of(report_of(proj))["plain-language/jargon"]
    assert finding.line == line_of(path, "with a thermometer")
    assert "say “temperature stick”" in finding.hint


@pytest.mark.parametrize("toml,message,needle", [
    ('[checks]\ndisable = ["plain-language/jargonn"]\n', "unknown rule 'plain-language/jargonn'",
     "disable ="),
    ('[checks."readability/grade"]\ntarget = "eight"\n', "target must be like 8", "target ="),
    ('[checks."readability/grade"]\ntargett = 7\n', "unknown option 'targett'", "targett ="),
    ('[checks."nonsense/rule"]\nenabled = false\n', "unknown rule 'nonsense/rule'", "[checks."),
    ('[checks."readability/grade"]\nseverity = "fatal"\n', "severity must be one of", "severity ="),
])
def test_bad_checks_settings_are_reported_with_their_line(proj, toml, message, needle):
    from handouts.checks import validate_checks
    from handouts.errors import InputError
    from handouts.project.config import load_config

    path = proj / "handouts.toml"
    base = path.read_text()
    path.write_text(base + "\n" + toml)
    with pytest.raises(InputError) as info:  # as the command line loads the project
        load_config(proj, validators={"checks": validate_checks})
    (problem,) = info.value.problems
    assert message in problem.message
    assert problem.line == line_of(path, needle)


# ---------------------------------------------------------------------------------------
# The command: text, JSON, exit status


def run(root, paths, **kwargs):
    from handouts.checks import check_command
    from handouts.project.config import load_config

    out, err = io.StringIO(), io.StringIO()
    code = check_command(load_config(root), paths, out=out, err=err, today=TODAY, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_check_command_exit_status_and_strict(proj):
    path = article_path(proj)
    assert run(proj, [path])[0] == 0
    assert run(proj, [path], strict=True)[0] == 0
    edit(path, "Wear light clothes.", "Wear light clothes if you have hypertension.")
    assert run(proj, [path])[0] == 0
    assert run(proj, [path], strict=True)[0] == 1
    edit(path, "![A glass of water on a bedside table]", "![]")
    assert run(proj, [path])[0] == 1


def test_json_report_follows_the_documented_schema(proj):
    path = article_path(proj)
    edit(path, "Wear light clothes.", "Wear light clothes if you have hypertension.")
    code, text, err = run(proj, [path], fmt="json")
    data = json.loads(text)
    assert err == ""
    assert code == 0
    assert data["format"] == "handouts-check" and data["version"] == 1
    assert data["summary"] == {"articles": 1, "pdfs": 0, "errors": 0, "warnings": 1, "infos": 0,
                               "status": 0, "strict_status": 1}
    (art,) = data["articles"]
    assert art["path"] == f"source/{SLUG}/article.md" and art["slug"] == SLUG and art["loaded"]
    (finding,) = art["findings"]
    assert finding == {"rule": "plain-language/jargon", "severity": "warning",
                       "path": f"source/{SLUG}/article.md",
                       "line": line_of(path, "hypertension"),
                       "message": "“hypertension” is medical jargon",
                       "hint": "say “high blood pressure” (or explain it the first time); "
                               "the list is jargon.yaml"}
    r = art["readability"]
    assert r["supported"] and r["target_grade"] == 8 and len(r["hardest"]) == 3
    assert set(r["article"]) == {"words", "sentences", "syllables", "polysyllables", "fk_grade",
                                 "smog", "flesch_reading_ease"}
    assert [s["title"] for s in r["sections"]] == [
        "(introduction)", "How to feel better at home", "How warm is too warm",
        "Questions for your care team"]


def test_text_report_names_file_line_rule_and_hardest_sentences(proj, monkeypatch):
    """The report on stdout; problems and the summary on stderr, as `path:line: warning:
    [rule] … — fix` with the path as given (like the build's messages)."""
    monkeypatch.chdir(proj)
    path = article_path(proj)
    edit(path, "Wear light clothes.", "Wear light clothes if you have hypertension.")
    code, out, err = run(proj, [path])
    line = line_of(path, "hypertension")
    assert err.splitlines() == [
        f"{path}:{line}: warning: [plain-language/jargon] “hypertension” is medical jargon — say "
        "“high blood pressure” (or explain it the first time); the list is jargon.yaml",
        "checked 1 article(s): 0 failing, 1 with warnings"]
    from handouts.source.article import load_article
    from handouts.project.config import load_config

    content = load_article(path, load_config(proj)).content.short  # what a sign-off names
    assert out.startswith(f"source/{SLUG}/article.md — Caring for a Fictional Fever at Home "
                          f"(content {content})\n")
    assert "readability (target grade 8): grade" in out and "hardest sentences:" in out
    assert out.rstrip().endswith("1 problem(s)")
    assert run(proj, [path], strict=True)[2].endswith("checked 1 article(s): 1 failing, 1 with warnings\n")


def test_sample_article_report(monkeypatch):
    """The shipped sample: placeholders and an overdue review, reading level above 8."""
    from handouts.checks.report import check_article
    from handouts.project.config import load_config

    config = load_config(REPO)
    report = check_article(config, REPO / "source" / "recovering-mentally-from-a-miscarriage" /
                           "article.md", today=TODAY)
    found = rules_of(report)
    assert len(found["citations/placeholder"]) == 5
    assert "citations/incomplete" not in found  # the placeholder rule says it once
    assert found["credibility/review-overdue"][0].text.startswith("review overdue: reviewed 2022-07-26")
    assert report.readability["article"]["fk_grade"] > 8 and "readability/grade" in found
    assert not [f for f in report.findings if f.severity == "error"]


def test_every_article_rule_has_a_tripping_case():
    """A new rule without a test that trips it fails here."""
    from handouts.checks import RULES, load_families

    load_families()
    tested_elsewhere = {"readability/language", "plain-language/you", "structure/section-length",
                        "images/resolution", "credibility/reviewer", "credibility/disclaimer",
                        "citations/unknown-key", "credibility/content-changed",
                        # tests/checks/test_checks_translations.py, tests/source/test_translation_of.py
                        "translations/original", "translations/outdated"}
    article_rules = {name for name, r in RULES.items() if r.scope == "article"}
    assert article_rules == {t[0] for t in TRIPS} | tested_elsewhere


def test_check_on_the_command_line(proj, cli, monkeypatch):
    """`check [PATH…] --format json --strict` through the real command line."""
    monkeypatch.chdir(proj)
    code, out, err = cli("check", SLUG, "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["warnings"] == 0
    edit(article_path(proj), "Wear light clothes.", "Wear light clothes if you have hypertension.")
    code, out, err = cli("check", SLUG)
    assert code == 0 and "[plain-language/jargon]" in err and "hardest sentences" in out
    code, out, err = cli("check", SLUG, "--strict")
    assert code == 1


def test_a_heading_in_capitals_is_not_a_row_of_abbreviations(proj):
    edit(article_path(proj), "## How warm is too warm", "## HOW WARM IS TOO WARM")
    assert "plain-language/abbreviation" not in rules_of(report_of(proj))


def test_for_build_leaves_out_what_the_build_reports_elsewhere(proj):
    from handouts.source.article import load_article
    from handouts.checks import for_build
    from handouts.project.config import load_config

    edit(article_path(proj).with_name("references.yaml"), "- id: drinks2024",
         "- id: unused2024\n  type: webpage\n  title: A page nobody cites\n  issued: 2024\n"
         "  URL: https://example.org/unused\n- id: drinks2024")
    edit(article_path(proj), "    reviewed: 2025-10-01\nupdated: 2025-10-01",
         "    reviewed: 2021-10-01\nupdated: 2021-10-01")
    config = load_config(proj)
    art = load_article(article_path(proj), config)
    assert [w.message for w in art.warnings] == ["reference 'unused2024' is never cited"]
    out = for_build(art, config, today=TODAY)
    assert [getattr(d, "rule", None) for d in out] == ["citations/uncited"]  # once, not twice
    assert "credibility/review-overdue" in rules_of(report_of(proj))  # editions reports it in build


def test_the_build_checks_read_the_body_it_converted(proj, monkeypatch):
    """The build hands its converted body (citations numbered) to the checks, which then
    convert nothing themselves and find what `check` finds."""
    from handouts.checks import for_build
    from handouts.markdown import body as body_mod
    from handouts.project.config import load_config
    from handouts.references.bibliography import format_bibliography
    from handouts.source.article import load_article

    path = article_path(proj)
    edit(path, "- Wear light clothes.", "- Wear light clothes.\n\nAfter that:\n2) Keep your room cool.")
    config = load_config(proj)
    art = load_article(path, config)
    numbers = format_bibliography(art.references, art.cited, config.csl_style, lang=art.lang).numbers
    html = body_mod.convert(art.body, numbers).html
    assert '<sup class="citation">' in html

    def no_second_conversion(*_args, **_kwargs):
        raise AssertionError("the checks converted the body again")

    monkeypatch.setattr(body_mod, "convert", no_second_conversion)
    found = [f for f in for_build(art, config, today=TODAY, body_html=html)
             if getattr(f, "rule", None) == "structure/literal-markup"]
    assert [f.line for f in found] == [line_of(path, "2) Keep your room cool.")]
    monkeypatch.undo()  # `check` converts the body itself
    assert [f.line for f in rules_of(report_of(proj))["structure/literal-markup"]] == [found[0].line]


def test_an_article_that_does_not_load_is_reported_not_checked(proj):
    path = article_path(proj)
    edit(path, "updated: 2025-10-01", "updated: 2025-13-01")
    code, out, err = run(proj, [path], fmt="json")
    (art,) = json.loads(out)["articles"]
    assert code == 1 and art["loaded"] is False and art["readability"] is None
    assert [f["rule"] for f in art["findings"]] == ["load/error"]
    assert art["findings"][0]["line"] == line_of(path, "updated: 2025-13-01")


@pytest.mark.parametrize("control", ["\x1b[2J\x1b[31m", "\x07", "\x00", "\u202e", "\x7f", "\x9b"])
def test_check_text_output_escapes_control_characters_from_the_article(proj, control):
    """Sentences, headings and titles the report quotes come from the article: ESC, BEL,
    NUL, DEL, a C1 CSI or a bidi override in them is shown escaped, never sent raw to the
    terminal (the real `check` command, both streams)."""
    import re

    from test_hardening import run_cli

    article = article_path(proj)
    edit(article, "## How to feel better at home", f"## How to feel{control} better at home")
    edit(article, "A fever means your body is warmer than usual.",
         "Notwithstanding extraordinarily complicated physiological considerations, "
         f"temperature{control} elevations consistently necessitate comprehensive "
         "individualized evaluation, interpretation and documentation by healthcare professionals.")
    code, out, err, _ = run_cli("check", "--root", str(proj), str(article), cwd=proj)
    assert "Traceback" not in err and code in (0, 1), err
    for text in (out, err):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), \
            repr(text[:400])
    shown = control.encode("unicode_escape").decode("ascii").split("[")[0]
    assert f"feel{shown}" in out, out  # the heading, escaped, in the section list
    assert f"temperature{shown}" in out, out  # the hardest sentence, escaped
