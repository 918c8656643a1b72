"""``handouts check`` reports a translation whose original moved on after it was made."""

from __future__ import annotations

from pathlib import Path

from pdfcheck import FICTIONAL
from quickbuild import build, sign_new_edition, translated_project


def test_a_translation_behind_a_new_edition_of_its_original_is_reported(tmp_path: Path, cli):
    root = translated_project(tmp_path)
    assert not build(root).failed
    code, _, err = cli("check", "--root", root, "vi-rest-guide")
    assert "translations/outdated" not in err  # made from the published edition

    sign_new_edition(root, FICTIONAL, "Rest matters", "Rest really matters", reviewed="2026-11-02")
    assert not build(root, [FICTIONAL]).failed
    code, _, err = cli("check", "--root", root, "vi-rest-guide", "th-rest-guide")
    assert code == 0  # a warning: the translation keeps its own review
    warned = [line for line in err.splitlines() if "[translations/outdated]" in line]
    assert warned == [
        f"{root}/source/vi-rest-guide/article.md:6: warning: [translations/outdated] vi/vi-rest-guide "
        f"translates en/{FICTIONAL} edition 2; edition 3 is out since 2026-11-02 — update the "
        f"translation from '{FICTIONAL}', have it reviewed, and publish it as a new edition",
        f"{root}/source/th-rest-guide/article.md:5: warning: [translations/outdated] th/th-rest-guide "
        f"translates en/{FICTIONAL} edition 2; edition 3 is out since 2026-11-02 — update the "
        f"translation from '{FICTIONAL}', have it reviewed, and publish it as a new edition"]
    code, _, _ = cli("check", "--root", root, "vi-rest-guide", "--strict")
    assert code == 1

    # Rebuilding the translation unchanged does not make it current…
    assert not build(root, ["vi-rest-guide"], force=True).failed
    assert "translations/outdated" in cli("check", "--root", root, "vi-rest-guide")[2]
    # …its updated, re-reviewed text does.
    sign_new_edition(root, "vi-rest-guide", "Nghỉ ngơi đầy đủ", "Nghỉ ngơi thật đầy đủ", reviewed="2026-11-20")
    assert not build(root, ["vi-rest-guide"]).failed
    code, _, err = cli("check", "--root", root, "vi-rest-guide", "th-rest-guide")
    assert [line.split("/article.md")[0].rsplit("/", 1)[1] for line in err.splitlines()
            if "[translations/outdated]" in line] == ["th-rest-guide"]
