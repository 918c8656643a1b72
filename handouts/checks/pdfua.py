"""PDF/UA-1 self-check: the machine-checkable core of ISO 14289-1, after the Matterhorn
Protocol's automatic checkpoints, read with pikepdf.

What it checks (rule -> Matterhorn checkpoints):

- ``pdfua/marked``          06-001/06-002 MarkInfo /Marked true
- ``pdfua/struct-tree``     01-006 (structure) a StructTreeRoot with content
- ``pdfua/tagged-content``  01-005 every painting operator on every page is inside tagged
                            marked content (an MCID the structure tree uses) or an Artifact;
                            01-001-ish: text in the top/bottom page margin (running headers,
                            footers, page numbers) is an Artifact, not tagged content
- ``pdfua/lang``            11-006 the document's natural language (/Lang)
- ``pdfua/title``           06-003/07-001 dc:title in the XMP and DisplayDocTitle true
- ``pdfua/pdfuaid``         06-002 the pdfuaid:part identification in the XMP
- ``pdfua/figure-alt``      13-004 every Figure has /Alt (or /ActualText)
- ``pdfua/table-headers``   15-003-ish every Table has header cells (TH)
- ``pdfua/headings``        14-001..14-003/14-007 headings in sequence, numbered H1-H6 not
                            mixed with H, and not empty
- ``pdfua/links``           28-004/28-011 a Link annotation has /Contents and a Link
                            structure element (through /StructParent), and 28-002 other
                            annotations are tagged; pages with annotations use /Tabs /S
- ``pdfua/fonts-embedded``  31-009..31-011 every font used on a page is embedded

What no machine can judge (and this does not check): whether alt text is a good
description, whether the reading order and tag types match the meaning, whether colour
alone carries meaning, contrast of text over images, whether the language is the right
one, logical heading *content*. Those need a person with a screen reader.
"""

from __future__ import annotations

import re
from pathlib import Path

from handouts.guard import limits as limits_mod
from handouts.checks.registry import Finding, Hit, rule
from handouts.pdf.structure import HEADINGS, PdfModel

def _xmp(model: PdfModel):
    try:
        return model.pdf.open_metadata()
    except Exception:
        return None


@rule("pdfua/marked", severity="error", scope="pdf")
def marked(model, opts):
    """The document is tagged: MarkInfo /Marked true (Matterhorn 06-001)."""
    mi = model.root.get("/MarkInfo")
    if mi is None or not bool(mi.get("/Marked", False)):
        yield Hit(None, "not marked as tagged (MarkInfo /Marked is not true)",
                  "produce the PDF with tagging on (WeasyPrint: pdf_variant='pdf/ua-1')")


@rule("pdfua/struct-tree", severity="error", scope="pdf")
def struct_tree(model, opts):
    """A structure tree (StructTreeRoot) with elements."""
    if model.root.get("/StructTreeRoot") is None:
        yield Hit(None, "no structure tree (StructTreeRoot)", "produce a tagged PDF")
    elif not model.elements:
        yield Hit(None, "the structure tree is empty", "produce a tagged PDF")


@rule("pdfua/tagged-content", severity="error", scope="pdf", margin_ratio=0.06)
def tagged_content(model, opts):
    """All page content is tagged or an artifact; running headers and footers are artifacts."""
    for i, page in enumerate(model.content, 1):
        if page.unread:
            yield Hit(None, f"page {i} not checked: {page.unread}",
                      limits_mod.hint("pdf_content_bytes", "simplify the page"), data={"page": i})
        if page.untagged:
            yield Hit(None, f"page {i}: {page.untagged} drawing operation(s) neither tagged nor "
                      f"marked as artifact (e.g. {', '.join(page.untagged_examples)})",
                      "tag the content, or mark decoration as /Artifact", data={"page": i})
        orphans = sorted(m for m in page.mcids if (i - 1, m) not in model.struct_mcids)
        if orphans and model.elements:
            yield Hit(None, f"page {i}: marked content {orphans[:5]} is not in the structure tree",
                      "every tagged MCID must belong to a structure element, or be an artifact "
                      "(handouts repairs WeasyPrint's running headers and footers; rebuild the PDF)",
                      data={"page": i})
        if page.margin_tagged:
            yield Hit(None, f"page {i}: {page.margin_tagged} text run(s) in the top or bottom margin "
                      "are tagged content: running headers, footers and page numbers must be artifacts",
                      "mark them /Artifact (handouts repairs WeasyPrint's output; rebuild the PDF)",
                      data={"page": i})


@rule("pdfua/lang", severity="error", scope="pdf")
def lang(model, opts):
    """The natural language of the document (/Lang in the catalog)."""
    value = str(model.root.get("/Lang", "")).strip()
    if not value:
        yield Hit(None, "no document language (/Lang)", "set <html lang=\"…\">")
    elif not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", value):
        yield Hit(None, f"document language {value!r} is not a language tag", "use e.g. en or vi")


@rule("pdfua/title", severity="error", scope="pdf")
def title(model, opts):
    """dc:title in the XMP metadata, shown as the window title (DisplayDocTitle)."""
    meta = _xmp(model)
    text = ""
    if meta is not None:
        try:
            text = str(meta.get("dc:title", "") or "").strip()
        except Exception:
            text = ""
    if not text:
        yield Hit(None, "no dc:title in the XMP metadata", "give the document a <title>")
    vp = model.root.get("/ViewerPreferences")
    if vp is None or not bool(vp.get("/DisplayDocTitle", False)):
        yield Hit(None, "ViewerPreferences /DisplayDocTitle is not true",
                  "viewers must show the title, not the file name")


@rule("pdfua/pdfuaid", severity="error", scope="pdf")
def pdfuaid(model, opts):
    """The PDF/UA identification (pdfuaid:part) in the XMP metadata."""
    meta = _xmp(model)
    part = ""
    if meta is not None:
        try:
            part = str(meta.get("pdfuaid:part", "") or "")
        except Exception:
            part = ""
    if part.strip() != "1":
        yield Hit(None, "no PDF/UA identification (pdfuaid:part = 1) in the XMP metadata"
                  + (f" (found {part!r})" if part else ""),
                  "write the PDF with pdf_variant='pdf/ua-1'")


@rule("pdfua/figure-alt", severity="error", scope="pdf")
def figure_alt(model, opts):
    """Every Figure has alternative text (/Alt or /ActualText)."""
    for e in model.elements:
        if e.type == "/Figure":
            alt = str(e.obj.get("/Alt", "") or e.obj.get("/ActualText", "")).strip()
            if not alt:
                page = e.mcids[0][0] + 1 if e.mcids else None
                yield Hit(None, "a Figure has no alternative text" + (f" (page {page})" if page else ""),
                          "give the image alt text", data={"page": page})


@rule("pdfua/table-headers", severity="error", scope="pdf")
def table_headers(model, opts):
    """Every Table has header cells (TH)."""
    for e in model.elements:
        if e.type != "/Table":
            continue
        cells = [d for d in model.descendants(e) if d.type in ("/TH", "/TD")]
        page = next((d.mcids[0][0] + 1 for d in model.descendants(e) if d.mcids), None)
        where = f" (page {page})" if page else ""
        if not any(d.type == "/TH" for d in cells):
            yield Hit(None, "a Table has no header cells (TH)" + where,
                      "give the table a header row", data={"page": page})
            continue
        # Matterhorn 15-003/15-005: each TH has a Scope, or the cells name their headers.
        scoped = all(_attr(d.obj, "/Scope") is not None for d in cells if d.type == "/TH")
        headed = all(_attr(d.obj, "/Headers") is not None for d in cells if d.type == "/TD")
        if not (scoped or headed):
            yield Hit(None, "a Table's header cells are not associated with its data cells (no "
                      "/Scope on TH, no /Headers on TD)" + where,
                      "give header cells a scope", data={"page": page})


def _attr(obj, key):
    """A structure attribute (in /A, a dictionary or an array of them)."""
    attrs = obj.get("/A")
    if attrs is None:
        return None
    import pikepdf

    for a in (attrs if isinstance(attrs, pikepdf.Array) else [attrs]):
        if isinstance(a, pikepdf.Dictionary) and key in a:
            return a[key]
    return None


@rule("pdfua/headings", severity="error", scope="pdf")
def headings(model, opts):
    """Headings: numbered H1-H6 not mixed with H, no level skipped going deeper, none empty."""
    hs = [e for e in model.elements if e.type in HEADINGS or e.type == "/H"]
    kinds = {e.type == "/H" for e in hs}
    if len(kinds) > 1:
        yield Hit(None, "numbered headings (H1-H6) mixed with unnumbered H", "use one scheme")
    level = 0
    for e in hs:
        if e.type == "/H":
            continue
        n = int(e.type[2])
        if n > level + 1:
            yield Hit(None, f"heading level H{n} follows H{level or '(none)'}: a level is skipped",
                      "nest headings one level at a time")
        level = n
        mcids = [m for d in [e, *model.descendants(e)] for m in d.mcids]
        has_text = any(m in model.content[p].text_mcids for p, m in mcids if p < len(model.content))
        if not has_text and not str(e.obj.get("/ActualText", "")).strip() \
                and not str(e.obj.get("/Alt", "")).strip():
            yield Hit(None, f"an empty H{n} heading", "remove it or give it text")


@rule("pdfua/links", severity="error", scope="pdf")
def links(model, opts):
    """Link annotations have /Contents and a Link structure element; other annotations are
    tagged; pages with annotations have tab order /S."""
    tree = model.parent_tree()
    for i, page in enumerate(model.pages, 1):
        annots = page.obj.get("/Annots") or []
        if annots and str(page.obj.get("/Tabs", "")) != "/S":
            yield Hit(None, f"page {i} has annotations but no /Tabs /S (structure tab order)",
                      "set the page's tab order to the structure order", data={"page": i})
        for a in annots:
            subtype = str(a.get("/Subtype", ""))
            if subtype in ("/Popup", "/PrinterMark"):
                continue
            sp = a.get("/StructParent")
            parent = tree.get(int(sp)) if sp is not None else None
            if subtype == "/Link":
                if not str(a.get("/Contents", "")).strip():
                    yield Hit(None, f"page {i}: a link has no /Contents (its description)",
                              "describe the link target", data={"page": i})
                ptype = model._std(str(parent.get("/S", ""))) if parent is not None and hasattr(parent, "get") else ""
                if ptype != "/Link":
                    yield Hit(None, f"page {i}: a link annotation is not in a Link structure element",
                              "tag the link (Link + OBJR)", data={"page": i})
            elif parent is None:
                yield Hit(None, f"page {i}: a {subtype[1:]} annotation is not in the structure tree",
                          "tag the annotation", data={"page": i})


@rule("pdfua/fonts-embedded", severity="error", scope="pdf")
def fonts_embedded(model, opts):
    """Every font is embedded."""
    pikepdf = model.pikepdf
    seen = set()

    visited: set = set()

    def fonts_of(resources, depth=0):
        if resources is None or depth > 10:
            return
        if resources.objgen != (0, 0):  # forms that draw each other: each once
            if resources.objgen in visited:
                return
            visited.add(resources.objgen)
        for _, font in (resources.get("/Font") or {}).items():
            yield font
        for _, xobj in (resources.get("/XObject") or {}).items():
            if str(xobj.get("/Subtype", "")) == "/Form" and xobj.objgen not in visited:
                visited.add(xobj.objgen)
                yield from fonts_of(xobj.get("/Resources"), depth + 1)

    for i, page in enumerate(model.pages, 1):
        for font in fonts_of(page.obj.get("/Resources")):
            key = font.objgen if font.objgen != (0, 0) else id(font)
            if key in seen:
                continue
            seen.add(key)
            subtype = str(font.get("/Subtype", ""))
            if subtype == "/Type3":
                continue
            desc_font = font.DescendantFonts[0] if subtype == "/Type0" and "/DescendantFonts" in font else font
            fd = desc_font.get("/FontDescriptor")
            embedded = fd is not None and any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            if not embedded:
                name = str(font.get("/BaseFont", "?"))[1:]
                yield Hit(None, f"font {name} (page {i}) is not embedded", "embed every font",
                          data={"page": i})
    _ = pikepdf


def check_pdf(path, *, settings=None, limits=None) -> list[Finding]:
    """Run the PDF/UA self-check on the PDF at `path`; return its findings. `limits`
    (handouts.toml's ``[limits]``) bounds what a page's content may decode to."""
    import pikepdf

    from handouts.checks import load_families, settings_of
    from handouts.checks.registry import RULES

    load_families()
    if settings is None:
        settings = settings_of(None)
    path = Path(path)
    try:
        pdf = pikepdf.open(path)
    except Exception as exc:  # not a PDF, encrypted, unreadable
        return [Finding.make("pdfua/readable", "error", path, None,
                             f"cannot read the PDF: {exc}", "check the file")]
    with pdf:
        margin = settings.of("pdfua/tagged-content").options["margin_ratio"]
        model = PdfModel(pdf, margin, limits)
        findings = []
        for name, r in RULES.items():
            own = settings.of(name)
            if r.scope != "pdf" or not own.enabled:
                continue
            for hit in r.func(model, own.options) or ():
                findings.append(Finding.make(name, own.severity, path, None, hit.text, hit.hint, hit.data))
    return findings
