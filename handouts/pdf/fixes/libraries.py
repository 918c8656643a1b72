"""WeasyPrint's import finds its libraries with one look at the linker's cache (Linux).

WeasyPrint 70 opens GObject, Pango, HarfBuzz and fontconfig through cffi, trying several
names for each, Windows' and macOS' first (``libgobject-2.0-0``). cffi hands each name to
`ctypes.util.find_library`, which on Linux runs ``ldconfig -p`` for it and, when the name
is not there, gcc and ld as well: some 50 processes, ~0.2 s of CPU and as much waiting,
in every process that imports WeasyPrint. While WeasyPrint is imported (`quick_lookup`),
`find_library` answers from one reading of ``ldconfig -p``, with CPython's own expression
for it. A name the cache does not know is not looked for with gcc and ld: WeasyPrint goes
on to the library's file name (``libpango-1.0.so.0``), which the dynamic loader opens
itself, ``LD_LIBRARY_PATH`` included. Without a readable cache nothing changes.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import os
import re
import struct
import subprocess
import sys

LDCONFIG = "/sbin/ldconfig"


@functools.lru_cache(maxsize=1)
def _cache() -> bytes:
    """``ldconfig -p``'s listing, read once (b"" when it cannot be read)."""
    try:
        return subprocess.run([LDCONFIG, "-p"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              env={"LC_ALL": "C", "LANG": "C"}, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return b""


def _abi() -> str:
    """The ABI tag of this interpreter's libraries in the listing (as CPython reads it)."""
    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    return {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
            "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}.get(machine, "libc6")


def find_library(name: str) -> str | None:
    """`ctypes.util.find_library` from the cached listing: the library's file name, or
    None when the linker's cache has no library of that name."""
    regex = os.fsencode(r"\s+(lib%s\.[^\s]+)\s+\(%s" % (re.escape(name), _abi()))
    match = re.search(regex, _cache())
    return os.fsdecode(match.group(1)) if match else None


@contextlib.contextmanager
def quick_lookup():
    """`find_library` in place of ctypes' while the block runs (Linux, with a listing)."""
    if not sys.platform.startswith("linux") or not os.access(LDCONFIG, os.X_OK):
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: find_library(name) if _cache() else original(name)
    try:
        yield
    finally:
        ctypes.util.find_library = original
