"""The publisher's six languages: labels, dates, disclaimer, hyphenation, fonts.

The Vietnamese and Thai fixtures (tests/fixtures/i18n, fictional) are built once through
the command line; the tests read the PDFs back: the fixed words are in the article's
language, the Thai dates carry the Buddhist Era year, and every glyph came from a font
that has it (no .notdef boxes: glyph ids are checked through each font's encoding, and
the extracted text must equal the source text).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from pypdf.generic import ContentStream

from handouts.project import i18n
from handouts.theme import Theme
from handouts.cli import main

from pdfcheck import FIXTURES, REPO, THEME, page_texts

I18N = FIXTURES / "i18n"
LANGS = ("en", "fil", "vi", "id", "ms", "th")


def copy_project(root: Path) -> Path:
    shutil.copytree(I18N, root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The i18n project built once: plain handouts, and the copies of clinic 'lotus'."""
    root = copy_project(tmp_path_factory.mktemp("i18n") / "project")
    assert main(["--root", str(root), "-q"]) == 0
    assert main(["--root", str(root), "--clinic", "lotus", "-q"]) == 0
    return root


def norm(text: str) -> str:
    """Extracted text for comparison: NFC, no-break spaces and line ends as spaces."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text)


# ---------------------------------------------------------------------------------------
# Reading glyphs back


def _code_to_cid(font) -> dict[int, int] | None:
    """A Type0 font's encoding CMap as {code: cid}; None for Identity-H (code == cid)."""
    encoding = font["/Encoding"]
    if not hasattr(encoding.get_object(), "get_data"):
        return None
    data = encoding.get_object().get_data().decode("latin-1")
    table = {}
    for block in re.findall(r"begincidchar(.*?)endcidchar", data, re.S):
        for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s+(\d+)", block):
            table[int(code, 16)] = int(cid)
    for block in re.findall(r"begincidrange(.*?)endcidrange", data, re.S):
        for lo, hi, cid in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s+(\d+)", block):
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[code] = int(cid) + i
    return table


def shown_glyphs(path: Path) -> list[tuple[str, int]]:
    """(font name, glyph id) of every glyph drawn as text on every page."""
    reader = PdfReader(path)
    glyphs = []
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        font, table = None, None
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"Tf":
                font = fonts[operands[0]].get_object()
                table = _code_to_cid(font) if font["/Subtype"] == "/Type0" else None
            elif op in (b"Tj", b"TJ", b"'", b'"'):
                assert font is not None and font["/Subtype"] == "/Type0", "WeasyPrint writes CID fonts"
                descendant = font["/DescendantFonts"][0].get_object()
                assert descendant.get("/CIDToGIDMap", "/Identity") == "/Identity"
                for item in (operands[0] if op == b"TJ" else [operands[-1]]):
                    data = getattr(item, "original_bytes", None)
                    if data is None:
                        continue  # a TJ kerning number
                    for i in range(0, len(data), 2):
                        code = int.from_bytes(data[i:i + 2], "big")
                        cid = code if table is None else table.get(code, 0)
                        glyphs.append((str(font["/BaseFont"]), cid))
    return glyphs


def notdef_glyphs(path: Path) -> list[str]:
    """Fonts that drew .notdef (glyph 0): a character no font had."""
    return [name for name, gid in shown_glyphs(path) if gid == 0]


def font_names(path: Path) -> set[str]:
    return {name.split("+", 1)[-1] for name, _ in shown_glyphs(path)}


def test_notdef_check_catches_a_character_no_font_has(tmp_path):
    """The glyph check itself can fail: a private-use character draws .notdef."""
    from handouts.pdf.render import render_pdf

    pdf = render_pdf('<html lang="en"><body><p>Box: \ue000 here</p></body></html>',
                     base_dir=tmp_path, theme=Theme.load(tmp_path / "styles"),
                     stylesheets=[THEME / "base.css"])
    path = tmp_path / "missing.pdf"
    path.write_bytes(pdf.data)
    assert len(notdef_glyphs(path)) == 1
    # WeasyPrint says so too; the build reports its messages as warnings (--strict fails).
    assert any(".notdef" in message for message in pdf.messages)


# ---------------------------------------------------------------------------------------
# Label tables


def test_every_language_has_every_label():
    en = yaml.safe_load((THEME / "labels/en.yaml").read_text(encoding="utf-8"))
    assert set(i18n.BUILTIN_LABELS) <= set(en)
    for lang in LANGS:
        table = yaml.safe_load((THEME / f"labels/{lang}.yaml").read_text(encoding="utf-8"))
        assert set(table) == set(en), lang
        for key, text in table.items():
            assert isinstance(text, str) and text.strip(), (lang, key)
            assert set(re.findall(r"{\w+}", text)) == set(re.findall(r"{\w+}", en[key])), (lang, key)
        if lang != "en":  # translated, not copied (a few words are the same in English: "Tip")
            same = [k for k in table if table[k] == en[k] and k not in ("callout_tip", "online")]
            assert not same, (lang, same)


def test_missing_label_falls_back_to_english_with_a_warning(tmp_path, capsys):
    root = copy_project(tmp_path / "project")
    vi = root / "styles/labels/vi.yaml"  # the project's own vi.yaml, without 'references'
    vi.parent.mkdir(parents=True, exist_ok=True)
    vi.write_text(re.sub(r"(?m)^references:.*\n", "", (THEME / "labels/vi.yaml").read_text(
        encoding="utf-8")), encoding="utf-8")
    assert main(["--root", str(root), "vi-rest-guide", "-q"]) == 0
    err = capsys.readouterr().err
    assert "warning: labels references are not translated into 'vi'; English is printed for them" in err
    text = norm(" ".join(page_texts(root / "dist/vi-rest-guide.pdf")))
    assert "References" in text and "Tham vấn y khoa:" in text


def test_language_without_labels_warns_and_prints_english(tmp_path, capsys):
    root = copy_project(tmp_path / "project")
    md = root / "source/fil-rest-guide/article.md"
    md.write_text(md.read_text(encoding="utf-8").replace("lang: fil", "lang: de")
                  .replace("updated:", "disclaimer: Ein fiktiver Hinweis.\nupdated:"), encoding="utf-8")
    assert main(["--root", str(root), "fil-rest-guide", "-q"]) == 0
    assert "no labels for language 'de'" in capsys.readouterr().err
    assert "Medically reviewed by" in page_texts(root / "dist/fil-rest-guide.pdf")[0]


# ---------------------------------------------------------------------------------------
# Dates


def test_dates_per_language_and_thai_buddhist_era():
    day = dt.date(2022, 7, 26)
    assert {lang: i18n.format_date(day, lang) for lang in LANGS} == {
        "en": "July 26, 2022", "fil": "Hulyo 26, 2022", "vi": "26 tháng 7, 2022",
        "id": "26 Juli 2022", "ms": "26 Julai 2022", "th": "26 กรกฎาคม 2565"}
    assert i18n.format_date(day, "th-TH") == "26 กรกฎาคม 2565"
    assert i18n.format_date(dt.date(2024, 1, 1), "th") == "1 มกราคม 2567"
    assert i18n.format_date(day, "tl") == "Hulyo 26, 2022"


# ---------------------------------------------------------------------------------------
# The Vietnamese and Thai handouts


def test_vietnamese_handout_is_in_vietnamese_with_every_glyph(built):
    pdf = built / "dist/vi-rest-guide.pdf"
    pages = [norm(t) for t in page_texts(pdf)]
    first, last, text = pages[0], pages[-1], " ".join(pages)
    assert "Tham vấn y khoa: Trần Văn Mẫu, BS · Y học hư cấu · 1 tháng 3, 2024" in first
    assert "Tác giả: Nguyễn Thị Ví Dụ · Cập nhật: 2 tháng 3, 2024" in first
    assert f"Trang 1 / {len(pages)}" in first
    assert re.search(r"Ấn bản 2 · nội dung [0-9a-f]{12} · Cập nhật: 2 tháng 3, 2024", first)
    assert "Tài liệu tham khảo" in text
    assert "Truy cập 15 Tháng Giêng 2024" in text  # the reference list follows the language
    assert "Tuyên bố miễn trừ trách nhiệm y khoa" in last
    assert "Example Health Press là nhà xuất bản hư cấu, chỉ dùng để kiểm thử, và không đưa ra " \
           "lời khuyên y khoa." in last
    for english in ("Medically reviewed by", "Written by", "References", "Page ", "Edition",
                    "Medical disclaimer", "Updated"):
        assert english not in text, english
    # Stacked diacritics (circumflex/breve + tone), capitals included, come back exactly.
    for sentence in ("Nghỉ ngơi sau khi bị cảm “thông thường”",
                     "Uống đủ nước mỗi ngày; ăn cháo ấm và trái cây.",
                     "ĐỪNG CHỦ QUAN: nếu sốt cao kéo dài hơn ba ngày, khó thở, hoặc đau ngực,",
                     "Ở TRẺ NHỎ, hãy hỏi ý kiến bác sĩ sớm hơn."):
        assert sentence in text
    assert notdef_glyphs(pdf) == []
    assert font_names(pdf) <= {"Noto-Sans", "Noto-Sans-Bold"}


def test_thai_handout_is_in_thai_with_buddhist_era_dates(built):
    pdf = built / "dist/th-rest-guide.pdf"
    pages = [norm(t) for t in page_texts(pdf)]
    first, text = pages[0], " ".join(pages)
    assert "ตรวจสอบความถูกต้องโดย" in first and "เขียนโดย สมชาย ตัวอย่าง" in first
    assert "อัปเดตเมื่อ 26 กรกฎาคม 2567" in first  # 2024 + 543
    # Every date, the references' too, in the Buddhist Era: the webpage cited was
    # published 2023-05-04 and accessed 2024-01-15.
    assert "ค.ศ." not in text and "2024" not in text and "2023" not in text
    assert "4 พฤษภาคม 2566. สืบค้น 15 มกราคม 2567." in text.split("เอกสารอ้างอิง")[1]
    assert f"หน้า 1 จาก {len(pages)}" in first and "ฉบับที่ 1" in first
    assert "เอกสารอ้างอิง" in text and "ข้อจำกัดความรับผิดชอบทางการแพทย์" in text
    assert "มกราคม" in text.split("เอกสารอ้างอิง")[1]  # CSL th-TH month names in the references
    assert "Page " not in text and "References" not in text
    assert notdef_glyphs(pdf) == []
    assert {"Noto-Sans-Thai", "Noto-Sans-Thai-Bold"} <= font_names(pdf)
    # The text layer says what the page shows: SARA AM (ำ) and SARA AA (า) share a glyph
    # after shaping; handouts/textlayer.py gives each its own (without it "การ" read "กำร").
    # Thai puts no spaces between words; pypdf adds some around raised marks: compare
    # without spaces.
    squeezed = re.sub(r"\s+", "", text)
    for sentence in ("การพักผ่อนหลังเป็นหวัด", "คู่มือสมมติสำหรับการทดสอบ",
                     "บทความนี้เป็นเรื่องสมมติและใช้สำหรับการทดสอบเท่านั้น",
                     "ดื่มน้ำให้เพียงพอทุกวันนอนหลับพักผ่อนให้เต็มที่รับประทานอาหารที่มีประโยชน์",
                     "สิ่งที่ควรทำที่บ้าน", "หากมีไข้สูงนานกว่าสามวันหายใจลำบากหรือเจ็บหน้าอก"):
        assert sentence in squeezed, sentence


def test_thai_lines_break_between_words(built):
    """The long unspaced Thai paragraph wraps at word boundaries (Pango + libthai): every
    line of it ends where a word ends, and no hyphen is added."""
    source = ("ดื่มน้ำให้เพียงพอทุกวันนอนหลับพักผ่อนให้เต็มที่รับประทานอาหารที่มีประโยชน์"
              "และล้างมือบ่อยๆเพื่อไม่ให้เชื้อโรคแพร่กระจายไปสู่ผู้อื่นในครอบครัว"
              "หรือเพื่อนร่วมงานที่อยู่ใกล้ชิดกับคุณในชีวิตประจำวัน")
    words = ["ดื่ม", "น้ำ", "ให้", "เพียงพอ", "ทุก", "วัน", "นอน", "หลับ", "พักผ่อน", "ให้", "เต็มที่",
             "รับประทาน", "อาหาร", "ที่", "มี", "ประโยชน์", "และ", "ล้าง", "มือ", "บ่อยๆ", "เพื่อ", "ไม่",
             "ให้", "เชื้อโรค", "แพร่กระจาย", "ไป", "สู่", "ผู้อื่น", "ใน", "ครอบครัว", "หรือ",
             "เพื่อนร่วมงาน", "ที่", "อยู่", "ใกล้ชิด", "กับ", "คุณ", "ใน", "ชีวิตประจำวัน"]
    assert "".join(words) == source
    ends, pos = set(), 0
    for word in words:
        pos += len(word)
        ends.add(pos)
    lines = [re.sub(r"\s+", "", line) for line in page_texts(built / "dist/th-rest-guide.pdf")[0].split("\n")]
    start = next(i for i, line in enumerate(lines) if line.startswith("ดื่มน้ำ"))
    joined, breaks = "", []
    for line in lines[start:]:
        joined += line.strip()
        breaks.append(len(joined))
        if len(joined) >= len(source):
            break
    assert joined == source and len(breaks) >= 2  # it wrapped
    assert all(b in ends for b in breaks[:-1]), "a Thai line broke inside a word"


# ---------------------------------------------------------------------------------------
# Hyphenation


FILIPINO_LONG = ("Napakahalagang pagpapahingahan ang pinakamakabuluhang pakikipagtulungan "
                 "ng nakakapagpabagabag na pagkakasakit at pangangailangang pangkalusugan. ") * 6


@pytest.mark.parametrize("lang, hyphenated", [("en", True), ("fil", False), ("ms", False),
                                               ("vi", False)])
def test_hyphenation_follows_the_language(tmp_path, lang, hyphenated):
    """Long Filipino words: English rules would split them (the 'en' case shows it);
    fil, ms and vi have no dictionary, so they are not hyphenated at all."""
    root = copy_project(tmp_path / "project")
    md = root / "source/fil-rest-guide/article.md"
    text = md.read_text(encoding="utf-8").replace("lang: fil", f"lang: {lang}")
    md.write_text(text + "\n" + FILIPINO_LONG + "\n", encoding="utf-8")
    toml = root / "handouts.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[disclaimer]", "[disclaimer]\nms = \"Penafian rekaan.\""), encoding="utf-8")
    assert main(["--root", str(root), "fil-rest-guide", "-q"]) == 0
    body = "".join(page_texts(root / "dist/fil-rest-guide.pdf"))
    assert ("\u2010\n" in body) is hyphenated


# ---------------------------------------------------------------------------------------
# The disclaimer in the article's language


def test_language_without_its_disclaimer_fails_unless_fallback_allowed(tmp_path, capsys):
    root = copy_project(tmp_path / "project")
    md = root / "source/fil-rest-guide/article.md"
    md.write_text(md.read_text(encoding="utf-8").replace("lang: fil", "lang: id"), encoding="utf-8")
    assert main(["--root", str(root), "fil-rest-guide"]) == 1
    err = capsys.readouterr().err.strip().split("\n")[0]
    assert re.fullmatch(
        r".*article\.md:\d+: error: no medical disclaimer in language 'id' .*— add 'id = \"…\"' "
        r"under \[disclaimer\] in handouts.toml or 'disclaimer: …' to the front matter, or set "
        r"allow_disclaimer_fallback = true to print the English one", err)
    assert not (root / "dist/fil-rest-guide.pdf").exists()

    toml = root / "handouts.toml"
    toml.write_text("allow_disclaimer_fallback = true\n" + toml.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["--root", str(root), "fil-rest-guide", "-q"]) == 0
    last = norm(page_texts(root / "dist/fil-rest-guide.pdf")[-1])
    assert "Penafian medis" in last  # the label is Indonesian ...
    assert "Example Health Press is a fictional publisher" in last  # ... the text English, as allowed


def test_front_matter_disclaimer_serves_its_own_language(tmp_path):
    root = copy_project(tmp_path / "project")
    md = root / "source/fil-rest-guide/article.md"
    md.write_text(md.read_text(encoding="utf-8").replace("lang: fil", "lang: ms").replace(
        "updated:", "disclaimer: Example Health Press ialah penerbit rekaan.\nupdated:"), encoding="utf-8")
    assert main(["--root", str(root), "fil-rest-guide", "-q"]) == 0
    last = norm(page_texts(root / "dist/fil-rest-guide.pdf")[-1])
    assert "Penafian perubatan" in last and "Example Health Press ialah penerbit rekaan." in last


def test_bad_disclaimer_table_is_reported_with_its_line(tmp_path, capsys):
    root = copy_project(tmp_path / "project")
    toml = root / "handouts.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('fil = "', 'vietnamese = "'), encoding="utf-8")
    assert main(["--root", str(root)]) == 1
    err = capsys.readouterr().err.strip()
    line = next(i for i, l in enumerate(toml.read_text().split("\n"), 1) if l.startswith("vietnamese"))
    assert err == (f"{toml}:{line}: error: 'vietnamese' in [disclaimer] is not a language tag — "
                   "use a tag such as en, fil, vi, id, ms or th")


def test_thai_text_layer_repair_is_needed_and_keeps_the_drawing(tmp_path):
    """Without the repair WeasyPrint maps the shared glyph to whichever text came first;
    with it both read right, and the page draws the same pixels."""
    import pypdfium2 as pdfium
    from weasyprint import HTML

    from handouts.pdf.fixes import textlayer

    html = ('<html lang="th"><body style="font-family: \'Noto Sans Thai\'">'
            "<p>สำหรับ น้ำ ค่ำ</p><p>ทำ การ นา</p></body></html>")
    raw = HTML(string=html).write_pdf()
    assert "กำร" in PdfReader(io.BytesIO(raw)).pages[0].extract_text()  # the defect
    fixed = textlayer.repair_sara_am(raw)
    (tmp_path / "fixed.pdf").write_bytes(fixed)
    text = re.sub(r"\s+", "", page_texts(tmp_path / "fixed.pdf")[0])
    assert text == "สำหรับน้ำค่ำทำการนา"
    assert textlayer.repair_sara_am(fixed) == fixed  # nothing left to do: same bytes
    pixels = [pdfium.PdfDocument(data)[0].render(scale=2).to_pil().tobytes() for data in (raw, fixed)]
    assert pixels[0] == pixels[1]
