"""Callouts: the boxes that carry "When to seek care" and other warnings.

Authors write them in one of the two syntaxes they know:

* Python-Markdown's admonitions (also MkDocs/Material)::

      !!! warning "When to seek care"
          Go to the emergency room if …

* GitHub's alerts (``[!NOTE]``, ``[!TIP]``, ``[!IMPORTANT]``, ``[!WARNING]``,
  ``[!CAUTION]``), with an optional title after the marker as Obsidian writes it::

      > [!WARNING] When to seek care
      > Go to the emergency room if …

Both become one structure, styled by CSS (``styles/base.css``) and tagged by WeasyPrint as
a ``Div`` holding a ``P`` title and the content::

    <div class="callout callout-warning">
      <p class="callout-title">When to seek care</p>
      …
    </div>

The kind is one of `KINDS`; admonition types outside them map to the nearest kind
(``danger`` -> caution, ``hint`` -> tip, …), anything else is a note. Without a title the
label ``callout_<kind>`` of the article's language is used ("Warning", …).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Mapping

from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionExtension
from markdown.treeprocessors import Treeprocessor

from handouts.guard.sanitize import CALLOUT_KINDS

#: The kinds a callout can have (GitHub's five), in CSS as ``callout-<kind>`` (the
#: sanitizer's allow-list holds them).
KINDS = CALLOUT_KINDS
#: Admonition types of Python-Markdown / MkDocs Material mapped onto `KINDS`.
ALIASES = {
    "info": "note", "abstract": "note", "summary": "note", "seealso": "note", "todo": "note",
    "question": "note", "example": "note", "quote": "note",
    "hint": "tip", "success": "tip", "check": "tip", "done": "tip",
    "attention": "important",
    "danger": "caution", "error": "caution", "failure": "caution", "fail": "caution",
    "bug": "caution",
}
#: English titles, used until the language's labels say otherwise.
DEFAULT_TITLES = {kind: kind.capitalize() for kind in KINDS}

#: ``[!WARNING]`` at the start of a block quote's first paragraph, then an optional title
#: on the same line.
ALERT_RE = re.compile(r"\[!(?P<kind>[A-Za-z]+)\][ \t]*(?P<title>[^\n]*)(?:\n|$)")


def kind_of(name: str) -> str:
    name = name.lower()
    return name if name in KINDS else ALIASES.get(name, "note")


def title_for(kind: str, labels: Mapping[str, str] | None) -> str:
    labels = labels or {}
    return labels.get(f"callout_{kind}") or DEFAULT_TITLES[kind]


class CalloutTreeprocessor(Treeprocessor):
    """Turn admonition divs and alert block quotes into callouts.

    Runs after the inline processors, so titles and content are already HTML.
    """

    def __init__(self, md, labels):
        super().__init__(md)
        self.labels = labels

    def run(self, root):
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "div" and "admonition" in (child.get("class") or "").split():
                    replacement = [self._from_admonition(child)]
                elif child.tag == "blockquote":
                    replacement = self._from_alert(child)
                else:
                    continue
                if replacement:
                    position = list(parent).index(child)
                    parent.remove(child)
                    for offset, box in enumerate(replacement):
                        box.tail = "\n"
                        parent.insert(position + offset, box)

    def _box(self, kind: str) -> etree.Element:
        return etree.Element("div", {"class": f"callout callout-{kind}"})

    def _title(self, box: etree.Element, kind: str, title) -> etree.Element:
        """Insert the title paragraph (`title`: an element whose content is moved, a
        string, or None for the label)."""
        p = etree.Element("p", {"class": "callout-title"})
        if isinstance(title, etree.Element):
            p.text = title.text
            p.extend(list(title))
        else:
            p.text = title or title_for(kind, self.labels)
        box.insert(0, p)
        return p

    def _from_admonition(self, div: etree.Element) -> etree.Element:
        classes = [c for c in div.get("class", "").split() if c != "admonition"]
        kind = kind_of(classes[0] if classes else "note")
        box = self._box(kind)
        children = list(div)
        title = None
        if children and children[0].tag == "p" and children[0].get("class") == "admonition-title":
            title = children.pop(0)
            # Python-Markdown titles an untitled admonition with its type ("Danger"):
            # use the kind's label instead, translated.
            if (title.text or "").strip().lower() == classes[0].lower() and not len(title):
                title = None
        box.extend(children)
        box.text = None
        self._title(box, kind, title)
        return box

    def _alert_marker(self, p: etree.Element):
        """(kind, title, rest of the text) when `p` starts with ``[!KIND]``."""
        if p.tag != "p" or not p.text:
            return None
        match = ALERT_RE.match(p.text.lstrip())
        if not match or match.group("kind").lower() not in KINDS:
            return None  # GitHub renders an unknown marker as a plain quote too
        return (match.group("kind").lower(), match.group("title").strip(),
                p.text.lstrip()[match.end():])

    def _from_alert(self, quote: etree.Element):
        """The callout(s) of a block quote, or None when it is a plain quote.

        Python-Markdown joins block quotes separated only by a blank line, so one quote
        may hold several alerts: each marker paragraph starts a new callout.
        """
        if not len(quote) or self._alert_marker(quote[0]) is None:
            return None
        callouts = []
        for child in list(quote):
            marker = self._alert_marker(child)
            if marker is not None:
                kind, title, rest = marker
                box = self._box(kind)
                self._title(box, kind, title or None)
                callouts.append(box)
                child.text = rest.lstrip("\n")
                if not child.text.strip() and not len(child):
                    continue  # the marker was the whole paragraph
            callouts[-1].append(child)
        return callouts


class CalloutExtension(Extension):
    """Admonitions and GitHub alerts as titled, tagged callout boxes."""

    def __init__(self, labels: Mapping[str, str] | None = None, **kwargs):
        self.labels = labels
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        AdmonitionExtension().extendMarkdown(md)
        # After inline (20) so titles are HTML; before prettify (10).
        md.treeprocessors.register(CalloutTreeprocessor(md, self.labels), "callouts", 15)
