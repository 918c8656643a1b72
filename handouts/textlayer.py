"""Repair the text layer of Thai PDFs: SARA AM (ำ) and SARA AA (า) share a glyph.

HarfBuzz's Thai shaper always decomposes SARA AM into NIKHAHIT + SARA AA glyphs
(https://linux.thai.net/~thep/th-otf/shaping.html), so the SARA AA glyph is drawn both for
"า" and, after a NIKHAHIT, for "ำ". A PDF maps each glyph to one text through the font's
ToUnicode CMap, and WeasyPrint 70 keeps whichever text it saw first: measured on the Thai
fixture, "การ" (the commonest Thai syllable) copied and searched as "กำร". What is printed
is right; what a reader copies, searches or hears from a screen reader is wrong.

The repair gives the second use its own glyph: each font that drew a NIKHAHIT + SARA AA
pair gets a copy of the SARA AA glyph (same outline, same width) that the pairs are
switched to, mapped to "ำ"; the original maps to "า" and the NIKHAHIT glyph to nothing
(a NIKHAHIT standing alone, rare outside Pali and Sanskrit, is then not extracted). The
result is deterministic (same input, same bytes: the font is saved keeping its
``head.modified`` date, never the time of the build); a PDF without such pairs is returned
as it was.
"""

from __future__ import annotations

import copy
import io
import re

SARA_AA, SARA_AM, NIKHAHIT = 0x0E32, 0x0E33, 0x0E4D
# Thai combining marks: a tone mark may sit between NIKHAHIT and SARA AA (น้ำ).
THAI_MARKS = {0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)}
CLONE_NAME = "uni0E32.saraam"


def needs_repair(html: str) -> bool:
    """Only text with a SARA AM has the problem."""
    return chr(SARA_AM) in html


def _parse_to_unicode(data: bytes) -> dict[int, str]:
    text = data.decode("latin-1")
    table: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for gid, dest in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            table[int(gid, 16)] = bytes.fromhex(dest).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dest in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            start = bytes.fromhex(dest).decode("utf-16-be")
            for i, gid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[gid] = start[:-1] + chr(ord(start[-1]) + i) if start else ""
    return table


def _write_to_unicode(table: dict[int, str]) -> bytes:
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo", "<< /Registry (Adobe)", "/Ordering (UCS)", "/Supplement 0",
             ">> def", "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <ffff>", "endcodespacerange"]
    items = sorted(table.items())
    for start in range(0, len(items), 100):
        chunk = items[start:start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>" for gid, text in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def _width_of(widths, gid: int, default: float):
    """The advance of `gid` in a CIDFont /W array."""
    items = list(widths or [])
    i = 0
    while i < len(items):
        first = int(items[i])
        second = items[i + 1]
        if hasattr(second, "__len__") and not isinstance(second, (int, float)):
            values = list(second)
            if first <= gid < first + len(values):
                return values[gid - first]
            i += 2
        else:
            last, value = int(second), items[i + 2]
            if first <= gid <= last:
                return value
            i += 3
    return default


TONES = {"maiEkthai": 0x0E48, "maiThothai": 0x0E49, "maiTrithai": 0x0E4A,
         "maiChattawathai": 0x0E4B}


def _glyph_names(tt) -> list[str]:
    """The glyph names of an embedded subset. WeasyPrint's subsets keep glyph ids but
    name only the glyphs their cmap reaches (``glyph00049``), so the names come from the
    installed font of the same name when it has the same glyphs."""
    names = tt.getGlyphOrder()
    if not any(re.fullmatch(r"glyph\d+", n) for n in names):
        return names
    import subprocess

    from fontTools.ttLib import TTFont

    family = tt["name"].getDebugName(16) or tt["name"].getDebugName(1)
    style = tt["name"].getDebugName(17) or tt["name"].getDebugName(2)
    try:
        path = subprocess.run(["fc-match", "-f", "%{file}", f"{family}:style={style}"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        original = TTFont(path, lazy=True)
        full = original.getGlyphOrder()
    except Exception:  # no fontconfig, no such font: the subset's names will do
        return names
    same = original["name"].getDebugName(4) == tt["name"].getDebugName(4)
    if not same or len(full) < len(names):
        return names
    return [n if not re.fullmatch(r"glyph\d+", n) else full[i] for i, n in enumerate(names)]


class _FontFix:
    """One Type0 font: its NIKHAHIT and SARA AA glyphs and the clone it may need."""

    def __init__(self, font):
        import pikepdf
        from fontTools.ttLib import TTFont

        self.font, self.active, self.used, self.pending = font, False, False, False
        if font.get("/Subtype") != pikepdf.Name.Type0 or font.get("/Encoding") != pikepdf.Name("/Identity-H"):
            return
        self.descendant = font.DescendantFonts[0]
        if self.descendant.get("/CIDToGIDMap", pikepdf.Name.Identity) != pikepdf.Name.Identity:
            return
        program = self.descendant.get("/FontDescriptor", {}).get("/FontFile2")
        if program is None or "/ToUnicode" not in font:
            return
        try:
            # recalcTimestamp=False: saving must not stamp head.modified with the build's
            # time (the subset keeps the installed font's date, so the bytes stay the same).
            self.tt = TTFont(io.BytesIO(program.read_bytes()), recalcTimestamp=False)
            cmap = self.tt.getBestCmap() or {}
        except Exception:  # a font fontTools cannot read: leave it alone
            return
        if SARA_AA not in cmap or "glyf" not in self.tt:
            return
        self.program = program
        self.aa = self.tt.getGlyphID(cmap[SARA_AA])
        self.to_unicode = _parse_to_unicode(font.ToUnicode.read_bytes())
        # What each Thai mark glyph stands for, by glyph name: uni0E49, uni0E49.small, and
        # the NIKHAHIT ligatures nikhahit_maiThothai (NIKHAHIT + MAI THO) …
        self.nikhahits: dict[int, str] = {}  # NIKHAHIT glyphs -> the text they carry
        self.mark_text: dict[int, str] = {}
        for gid, name in enumerate(_glyph_names(self.tt)):
            base = name.split(".")[0]
            if base == "uni0E4D":
                self.nikhahits[gid] = ""
            elif base.startswith("nikhahit_"):
                tone = TONES.get(base.removeprefix("nikhahit_"))
                self.nikhahits[gid] = chr(tone) if tone else ""
            elif (m := re.fullmatch(r"uni(0E[0-9A-F]{2})", base)) and int(m.group(1), 16) in THAI_MARKS:
                self.mark_text[gid] = chr(int(m.group(1), 16))
        if NIKHAHIT in cmap:
            self.nikhahits.setdefault(self.tt.getGlyphID(cmap[NIKHAHIT]), "")
        if not self.nikhahits:
            return
        self.between: list[int] = []  # the glyphs of the pair being read
        self.fixed: set[int] = set()  # NIKHAHIT and mark glyphs seen inside a pair
        self.clone = len(self.tt.getGlyphOrder())
        self.active = True

    def rewrite(self, data: bytes) -> bytes:
        """Switch the SARA AA glyphs that follow a NIKHAHIT (and marks) to the clone."""
        out = bytearray(data)
        for i in range(0, len(data) - 1, 2):
            gid = int.from_bytes(data[i:i + 2], "big")
            if gid in self.nikhahits:
                self.pending, self.between = True, [gid]
            elif gid == self.aa and self.pending:
                out[i:i + 2] = self.clone.to_bytes(2, "big")
                self.pending, self.used = False, True
                self.fixed.update(self.between)
            elif gid in self.mark_text:
                self.between.append(gid)
            else:
                self.pending = False
        return bytes(out)

    def apply(self, pdf) -> None:
        """Add the clone to the embedded font, its width and its text."""
        import pikepdf

        order = self.tt.getGlyphOrder()
        original = order[self.aa]
        glyf, hmtx = self.tt["glyf"], self.tt["hmtx"]
        glyph = copy.deepcopy(glyf[original])
        self.tt.setGlyphOrder(order + [CLONE_NAME])
        glyf.glyphOrder = self.tt.getGlyphOrder()
        glyf.glyphs[CLONE_NAME] = glyph
        hmtx.metrics[CLONE_NAME] = hmtx.metrics[original]
        self.tt["maxp"].numGlyphs = len(order) + 1
        if "post" in self.tt and self.tt["post"].formatType == 2.0:
            self.tt["post"].extraNames = []
            self.tt["post"].mapping = {}
        buffer = io.BytesIO()
        self.tt.save(buffer, reorderTables=False)
        font_bytes = buffer.getvalue()
        self.program.write(font_bytes)
        self.program.Length1 = len(font_bytes)

        width = _width_of(self.descendant.get("/W"), self.aa, self.descendant.get("/DW", 1000))
        widths = self.descendant.get("/W")
        if widths is None:
            widths = self.descendant.W = pikepdf.Array()
        widths.append(self.clone)
        widths.append(pikepdf.Array([width]))
        descriptor = self.descendant.FontDescriptor
        if "/CIDSet" in descriptor:  # one bit per glyph id present
            bits = bytearray(descriptor.CIDSet.read_bytes())
            while len(bits) * 8 <= self.clone:
                bits.append(0)
            bits[self.clone // 8] |= 0x80 >> (self.clone % 8)
            descriptor.CIDSet.write(bytes(bits))
        self.to_unicode.update({self.aa: chr(SARA_AA), self.clone: chr(SARA_AM)})
        # Inside a pair the NIKHAHIT is part of "ำ" (its tone, for a ligature) and a tone
        # mark (น้ำ) shares the pair's cluster, so WeasyPrint may have given it no text.
        self.to_unicode.update({gid: self.nikhahits.get(gid, self.mark_text.get(gid, ""))
                                for gid in self.fixed})
        self.font.ToUnicode = pdf.make_stream(_write_to_unicode(self.to_unicode))


def repair_sara_am(data: bytes) -> bytes:
    """`data` with every NIKHAHIT + SARA AA pair extracting as "ำ" and every other SARA AA
    as "า"; `data` itself when no font needed it."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        fixes: dict[tuple[int, int], _FontFix] = {}
        for page in pdf.pages:
            fonts = page.obj.get("/Resources", {}).get("/Font", {})
            current, changed, instructions = None, False, []
            for instruction in pikepdf.parse_content_stream(page):
                if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                    instructions.append(instruction)
                    continue
                operands, operator = list(instruction.operands), str(instruction.operator)
                if operator == "Tf" and operands and operands[0] in fonts:
                    font = fonts[operands[0]]
                    key = font.objgen
                    if key not in fixes:
                        fixes[key] = _FontFix(font)
                    current = fixes[key] if fixes[key].active else None
                    if current is not None:
                        current.pending = False
                elif current is not None and operator in ("Tj", "TJ", "'", '"'):
                    if operator == "TJ":
                        new = pikepdf.Array([pikepdf.String(current.rewrite(bytes(item)))
                                             if isinstance(item, pikepdf.String) else item
                                             for item in operands[0]])
                        changed |= list(map(bytes, filter(lambda x: isinstance(x, pikepdf.String), new))) != \
                            list(map(bytes, filter(lambda x: isinstance(x, pikepdf.String), operands[0])))
                        operands[0] = new
                    else:
                        text = bytes(operands[-1])
                        new_text = current.rewrite(text)
                        changed |= new_text != text
                        operands[-1] = pikepdf.String(new_text)
                    instruction = pikepdf.ContentStreamInstruction(operands, pikepdf.Operator(operator))
                instructions.append(instruction)
            if changed:
                page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
        used = [fix for fix in fixes.values() if fix.active and fix.used]
        if not used:
            return data
        for fix in used:
            fix.apply(pdf)
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return buffer.getvalue()
