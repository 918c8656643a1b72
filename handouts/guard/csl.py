"""Checking a project's CSL style file before citeproc-py (lxml) parses it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from handouts.guard import limits as limits_mod

CSL_NS = "http://purl.org/net/xbiblio/csl"


def csl_problem(path, limits=None) -> str | None:
    """Why the CSL style file `path` cannot be used (too big, a DOCTYPE -- whose entities
    could pull in other files: XXE --, not well-formed, too deep, not a CSL style), or None.

    citeproc-py parses styles with lxml, which expands entities from local files: a style
    must therefore be checked before it is handed over.
    """
    max_bytes = limits_mod.get(limits, "style_bytes")
    max_depth = 2 * limits_mod.get(limits, "nesting_depth")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return f"{size:,} bytes, over the limit of {max_bytes:,} (style_bytes)"
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        return "has a DOCTYPE or ENTITY declaration, which a CSL style never needs"
    parser = ET.XMLPullParser(events=("start", "end"))
    depth, root = 0, None
    try:
        parser.feed(data)
        parser.close()
        for event, elem in parser.read_events():
            if event == "start":
                depth += 1
                root = elem if root is None else root
                if depth > max_depth:
                    return f"nests more than {max_depth} levels (2 x nesting_depth)"
            else:
                depth -= 1
    except ET.ParseError as exc:
        return f"is not well-formed XML ({exc})"
    if root is None or root.tag != f"{{{CSL_NS}}}style":
        return "is not a CSL style (the root element must be <style> in the CSL namespace)"
    return None
