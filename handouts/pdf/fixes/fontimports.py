"""WeasyPrint's import leaves fontTools' subsetter and variable-font instancer for later.

WeasyPrint 70 imports ``fontTools.subset`` and ``fontTools.varLib.instancer`` when it is
imported (~150 fontTools modules, ~70 ms of CPU in every process that renders), yet it
calls them only for a variable font (``fvar``), and without HarfBuzz's subsetter, which
Debian's ``libharfbuzz-subset0`` provides. While WeasyPrint is imported (`deferred`),
those two names are stand-ins: the subsetter module imports the real one at its first
attribute, the instancer function at its first call. Nothing else changes: the same
function runs with the same arguments. ``fontTools.ttLib``, which WeasyPrint uses for
web fonts and colour glyphs, is imported as before.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import types

SUBSET = "fontTools.subset"
INSTANCER = "fontTools.varLib.instancer"


def _subset_module() -> types.ModuleType:
    """A module standing for ``fontTools.subset``: its attributes are the real module's."""
    module = types.ModuleType(SUBSET, "fontTools.subset, imported at its first attribute")

    def __getattr__(name):
        return getattr(importlib.import_module(SUBSET), name)

    module.__getattr__ = __getattr__
    return module


def _instancer_module() -> types.ModuleType:
    """A module standing for ``fontTools.varLib.instancer`` with its one function."""
    module = types.ModuleType(INSTANCER, "fontTools.varLib.instancer, imported at first use")

    def instantiateVariableFont(*args, **kwargs):  # noqa: N802 (fontTools' name)
        return importlib.import_module(INSTANCER).instantiateVariableFont(*args, **kwargs)

    module.instantiateVariableFont = instantiateVariableFont
    return module


@contextlib.contextmanager
def deferred():
    """The stand-ins in `sys.modules` while the block (WeasyPrint's import) runs; after
    it, importing either name loads the real module. Already imported: nothing to do."""
    stand_ins = {name: make() for name, make in ((SUBSET, _subset_module),
                                                 (INSTANCER, _instancer_module))
                 if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
