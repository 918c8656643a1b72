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


def test_a_font_one_document_declares_reaches_no_other_document():
    from handouts.pdf import render
    from handouts.project.config import load_config

    theme = load_config(REPO).theme
    args = {"base_dir": REPO / "source", "theme": theme, "stylesheets": [theme.path("base.css")]}
    plain = "<html lang='en'><body><p>Placeholder text.</p></body></html>"
    render.render_pdf(plain, **args).data
    shared = render._font_config()
    assert render._font_config() is shared  # kept while no document declares a font
    own = ("<html lang='en'><head><style>@font-face { font-family: Fictional; "
           "src: local('DejaVu Sans') }</style></head><body><p style='font-family: Fictional'>"
           "Placeholder text.</p></body></html>")
    render.render_pdf(own, **args).data
    assert shared.declared
    assert render._font_config() is not shared  # never given to another document
