"""The render stage keeps one font configuration per process for the documents that bring
no fonts of their own (handouts/pdf/render.py): a PDF's bytes never depend on what the
process laid out before, and a document's own ``@font-face`` reaches no other document."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from pdfcheck import REPO

BUILD = """if True:
    import hashlib, json, sys
    from pathlib import Path
    from handouts.project.config import load_config
    from handouts.batch.build import build_one
    root = Path(sys.argv[1])
    result = build_one(load_config(root), root / "source" / sys.argv[2] / "article.md")
    print(json.dumps(hashlib.sha256(result.files[0].data).hexdigest()))
    """


def test_a_pdf_does_not_depend_on_the_documents_laid_out_before_it(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "tests" / "e2e"))
    monkeypatch.syspath_prepend(str(REPO / "tests" / "project"))
    from test_reproducible import _six_languages

    from handouts.batch.build import build_one
    from handouts.project.config import load_config

    root = tmp_path / "six"
    _six_languages(root)
    config = load_config(root)
    here = {}
    for slug in ("th-rest-guide", "vi-rest-guide", "en-rest-guide"):  # Thai fonts first
        result = build_one(config, root / "source" / slug / "article.md")
        assert result.error is None and result.crash is None
        here[slug] = hashlib.sha256(result.files[0].data).hexdigest()
    alone = subprocess.run([sys.executable, "-c", BUILD, str(root), "en-rest-guide"],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
    assert alone.returncode == 0, alone.stderr
    assert json.loads(alone.stdout.splitlines()[-1]) == here["en-rest-guide"]


def test_a_document_declaring_fonts_gets_a_configuration_of_its_own():
    from handouts.pdf.render import _font_config

    shared = _font_config([b"<p>Placeholder</p>", b"p { color: black }"])
    assert _font_config([b"<main>Fictional</main>"]) is shared
    for own in (b"<style>@font-face { font-family: X; src: url(x.woff) }</style>",
                b"@FONT-FACE { font-family: X }", b"@import url(other.css);",
                b"@f\\ont-face { font-family: X }"):
        assert _font_config([b"<p>x</p>", own]) is not shared, own
