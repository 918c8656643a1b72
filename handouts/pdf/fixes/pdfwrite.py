"""pydyf 0.13 writing each PDF object once instead of twice.

A PDF with a file identifier (every handout has one: reproducible bytes) gets, as the ID's
second half, an MD5 of all its objects. ``pydyf.PDF.write`` computes it by asking every
object for its ``data`` again after writing them: each dictionary and array is turned into
bytes a second time and each stream (the pages, the fonts, the object stream holding a
tagged PDF's thousand structure elements) compressed a second time: about a fifth of the
writing.

While `PDF.write` runs, `install()` has each object's bytes kept the first time they are
made and given again when asked (objects do not change while they are written), then
forgotten. The PDF's bytes are the same (``tests/pdf/test_fixes.py``). It is idempotent
and is called by the render stage.
"""

from __future__ import annotations

import threading

import pydyf

_CLASSES = (pydyf.Dictionary, pydyf.Array, pydyf.Stream)
_ORIGINAL_DATA = {cls: cls.__dict__["data"] for cls in _CLASSES}
_ORIGINAL_WRITE = pydyf.PDF.write
#: While a PDF is written in this thread, ``memo``: id(object) -> (object, its bytes). The
#: object is held so that its id cannot be reused by another object before the memo goes.
_WRITING = threading.local()


def _remembered(getter):
    def data(self):
        memo = getattr(_WRITING, "memo", None)
        if memo is None:
            return getter(self)
        hit = memo.get(id(self))
        if hit is None:
            hit = memo[id(self)] = (self, getter(self))
        return hit[1]
    return property(data, doc=getter.__doc__)


def write(self, output, version=b"1.7", identifier=False, compress=False):
    """pydyf's ``PDF.write``, each object's bytes made once."""
    _WRITING.memo = {}
    try:
        return _ORIGINAL_WRITE(self, output, version, identifier, compress)
    finally:
        _WRITING.memo = None


def install() -> None:
    """Write each object once."""
    for cls, prop in _ORIGINAL_DATA.items():
        cls.data = _remembered(prop.fget)
    pydyf.PDF.write = write


def uninstall() -> None:
    """Back to pydyf's own writing (the tests compare both)."""
    for cls, prop in _ORIGINAL_DATA.items():
        cls.data = prop
    pydyf.PDF.write = _ORIGINAL_WRITE
