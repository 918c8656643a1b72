"""WeasyPrint's import looks its libraries up once (handouts/pdf/fixes/libraries.py): the
same libraries are loaded as by a plain ``import weasyprint``, with one process started
instead of dozens."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pdfcheck import REPO

PROBE = """if True:
    import json, subprocess, sys
    started = []
    real = subprocess.Popen.__init__
    def counting(self, args, *a, **k):
        started.append(args[0] if isinstance(args, (list, tuple)) else args)
        return real(self, args, *a, **k)
    subprocess.Popen.__init__ = counting
    __import__(sys.argv[1])
    import weasyprint.text.ffi as ffi
    maps = open("/proc/self/maps").read().split()
    libs = sorted({m.rsplit("/", 1)[-1] for m in maps if ".so" in m and any(
        n in m for n in ("gobject", "pango", "harfbuzz", "fontconfig"))})
    print(json.dumps({"started": started, "libs": libs,
                      "subset": ffi.harfbuzz_subset is not None}))
    """


def _probe(module: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldconfig is Linux's")
def test_weasyprint_loads_the_same_libraries_with_one_look_at_the_linker_cache():
    ours, plain = _probe("handouts.pdf.render"), _probe("weasyprint")
    assert len(plain["started"]) > 10, plain["started"]  # the premise: ldconfig, gcc, ld per name
    assert ours["started"] == ["/sbin/ldconfig"]
    assert ours["libs"] == plain["libs"] and any("pango" in lib for lib in ours["libs"])
    assert ours["subset"] == plain["subset"]  # HarfBuzz's subsetter too (fast font subsetting)


def test_a_name_the_linker_cache_lacks_is_not_looked_for_further():
    from handouts.pdf.fixes import libraries

    assert libraries.find_library("no-such-library-for-handouts") is None
    if sys.platform.startswith("linux"):
        assert libraries.find_library("pango-1.0").startswith("libpango-1.0.so")


FONT_PROBE = """if True:
    import json, sys
    import handouts.pdf.render  # imports WeasyPrint (pdf/fixes/fontimports.py)
    from handouts.pdf.fixes.fontimports import INSTANCER, SUBSET
    deferred = [name for name in (SUBSET, INSTANCER) if name not in sys.modules]
    import weasyprint.pdf.fonts as fonts
    import fontTools.subset, fontTools.varLib.instancer as instancer
    calls = []
    instancer.instantiateVariableFont = lambda *a, **k: calls.append((a, k)) or "static"
    print(json.dumps({"deferred": deferred,
                      "subsetter": fonts.subset.Subsetter is fontTools.subset.Subsetter,
                      "instanced": fonts.instantiateVariableFont("font", {"wght": 700}, static=True),
                      "calls": calls}))
    """


def test_weasyprint_imports_fonttools_subsetter_and_instancer_only_when_used():
    done = subprocess.run([sys.executable, "-c", FONT_PROBE], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.splitlines()[-1])
    assert probe["deferred"] == ["fontTools.subset", "fontTools.varLib.instancer"]
    # WeasyPrint's names are the real module and function once used
    assert probe["subsetter"] is True
    assert probe["instanced"] == "static"
    assert probe["calls"] == [[["font", {"wght": 700}], {"static": True}]]
