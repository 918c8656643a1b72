"""``translation_of: <slug>``: one original and its translations, checked across source/.

Each wrong declaration is one line at the ``translation_of:`` line of the article that
makes it, from ``handouts check`` and from the build (which refuses that article only).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pdfcheck import FICTIONAL
from quickbuild import build, translated_project


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return translated_project(tmp_path)


def _declare(root: Path, slug: str, line: str) -> int:
    """Replace the ``translation_of:`` line of `slug` (or add one after ``lang:``); its line."""
    article = root / "source" / slug / "article.md"
    text = article.read_text(encoding="utf-8")
    if "\ntranslation_of:" in text:
        text = re.sub(r"\ntranslation_of:[^\n]*", "\n" + line, text, count=1)
    else:
        text = re.sub(r"(\nlang: [^\n]*)", r"\1\n" + line, text, count=1)
    article.write_text(text, encoding="utf-8")
    return text.split("\n").index(line) + 1


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": error: " in line]


def test_a_wrong_name_is_an_error_at_its_line_with_did_you_mean(root: Path, cli):
    line = _declare(root, "vi-rest-guide", "translation_of: fictional-rest-gide")
    code, out, err = cli("check", "--root", root, "vi-rest-guide")
    assert code == 1
    assert _errors(err) == [
        f"{root}/source/vi-rest-guide/article.md:{line}: error: [translations/original] "
        "'translation_of': no article 'fictional-rest-gide' in source/ — did you mean "
        "'fictional-rest-guide'?"]
    report = build(root)  # the build refuses that article only
    assert [f.path.parent.name for f in report.failed] == ["vi-rest-guide"]
    assert str(report.failed[0].problems[0]).startswith(f"{root}/source/vi-rest-guide/article.md:{line}: error:")
    assert sorted(r.job.slug for r in report.built) == [FICTIONAL, "th-rest-guide"]


def test_a_loop_is_refused_for_every_article_in_it(root: Path, cli):
    _declare(root, FICTIONAL, "translation_of: vi-rest-guide")
    code, _, err = cli("--root", root, "-q")
    assert code == 1
    lines = _errors(err)
    assert any(f"/{FICTIONAL}/article.md:" in x and "'translation_of' makes a loop: "
               f"{FICTIONAL} → vi-rest-guide → {FICTIONAL}" in x for x in lines), err
    assert any("/vi-rest-guide/article.md:" in x and "makes a loop" in x for x in lines), err
    assert not (root / "dist" / "vi-rest-guide.pdf").exists()


def test_each_language_once_per_original(root: Path, cli):
    thai = root / "source" / "th-rest-guide" / "article.md"
    thai.write_text(thai.read_text(encoding="utf-8").replace("\nlang: th\n", "\nlang: vi\n"),
                    encoding="utf-8")
    code, _, err = cli("check", "--root", root)
    assert code == 1
    (line,) = [x for x in _errors(err) if "translations/original" in x]
    assert "/vi-rest-guide/article.md:6: error:" in line  # the second by name; the first stays
    assert f"'{FICTIONAL}' already has a translation in 'vi': 'th-rest-guide'" in line
    # …and the original's own language is taken.
    thai.write_text(thai.read_text(encoding="utf-8").replace("\nlang: vi\n", "\nlang: en\n"),
                    encoding="utf-8")
    code, _, err = cli("check", "--root", root)
    (line,) = [x for x in _errors(err) if "translations/original" in x]
    assert "/th-rest-guide/article.md:" in line
    assert f"'th-rest-guide' and its original '{FICTIONAL}' are both in 'en'" in line


def test_an_article_cannot_translate_itself_or_name_a_non_slug(root: Path, cli):
    line = _declare(root, "vi-rest-guide", "translation_of: vi-rest-guide")
    code, _, err = cli("check", "--root", root, "vi-rest-guide")
    assert code == 1 and f"article.md:{line}: error: [translations/original] 'translation_of' " \
                          "names this article itself" in err
    line = _declare(root, "vi-rest-guide", "translation_of: ../Fictional Rest")
    code, _, err = cli("check", "--root", root, "vi-rest-guide")
    assert code == 1
    assert f"vi-rest-guide/article.md:{line}: error: [load/error] 'translation_of': '../Fictional Rest' " \
           "is not an article's folder name" in err


def test_well_formed_translations_build_and_record_their_original(root: Path):
    report = build(root)
    assert not report.failed
    import json

    manifest = json.loads((root / "dist" / "manifest.json").read_text(encoding="utf-8"))
    original = manifest["articles"][FICTIONAL]
    assert original["translation_of"] is None and original.get("translates") is None
    for slug in ("vi-rest-guide", "th-rest-guide"):
        made = manifest["articles"][slug]["translates"]
        assert made["slug"] == FICTIONAL and made["edition"] == original["edition"]
        assert made["content_fingerprint"] == original["content_fingerprint"]
        assert made["bound_to"] == manifest["articles"][slug]["content_fingerprint"]


def test_a_long_chain_or_loop_of_translations_is_walked_once_and_said_briefly():
    """3,000 articles each translating the next: as a chain they are one family (one
    article per language would be needed, so each extra English one is reported once); as
    a loop each is reported once, its message naming ten articles and then "…"."""
    from pathlib import Path

    from handouts.source.translations import SHOWN_IN_LOOP, Declared, _problems, originals

    n = 3000
    chain = {f"a{i}": f"a{i + 1}" for i in range(n)}
    family = originals(chain)
    assert {family[slug] for slug in chain} == {f"a{n}"}
    loop = [Declared(f"a{i}", Path(f"source/a{i}/article.md"), "en", f"a{(i + 1) % n}", 6)
            for i in range(n)]
    problems = _problems(loop)
    assert len(problems) == n and all(len(p) == 1 for p in problems.values())
    message = problems["a5"][0].message
    assert message.startswith("'translation_of' makes a loop: a5 → a6 → ")
    assert message.count("→") == SHOWN_IN_LOOP and message.endswith("→ …")
