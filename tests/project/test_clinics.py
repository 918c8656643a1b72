"""Clinic profiles: the clinic block on the first and last page, the footer's
"Questions? Call …" in the article's language, the logo in its fixed box, and one-line
errors for bad profiles. (tests/project/test_clinic.py covers the command line's --clinic.)"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from handouts.cli import main
from handouts.project.config import load_config

from pdfcheck import FIXTURES, REPO, page_texts

MM = 72 / 25.4


def copy_project(root: Path) -> Path:
    shutil.copytree(FIXTURES / "i18n", root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("clinics") / "project")
    assert main(["--root", str(root), "-q"]) == 0
    assert main(["--root", str(root), "--clinic", "all", "-q"]) == 0
    assert main(["--root", str(root), "--clinic", "lotus", "--variant", "booklet", "vi-rest-guide", "-q"]) == 0
    return root


def test_clinic_block_on_first_and_last_page_and_footer_in_the_language(built):
    pages = [norm(t) for t in page_texts(built / "dist/clinics/lotus/vi-rest-guide.pdf")]
    assert len(pages) >= 2
    for page in (pages[0], pages[-1]):
        assert "Phòng khám Hoa Sen (ví dụ)" in page
        assert "1 Đường Hư Cấu, Quận Mẫu" in page and "+84 555 0100 · lotus-clinic.example.org" in page
    for page in pages:
        assert "Có thắc mắc? Hãy gọi Phòng khám Hoa Sen (ví dụ) theo số +84 555 0100" in page
    thai = norm(page_texts(built / "dist/clinics/lotus/th-rest-guide.pdf")[0])
    assert "มีคำถาม? โทรหา Phòng khám Hoa Sen (ví dụ) ที่หมายเลข +84 555 0100" in thai


def test_handout_without_a_clinic_looks_complete(built):
    pages = [norm(t) for t in page_texts(built / "dist/vi-rest-guide.pdf")]
    text = " ".join(pages)
    assert "Hoa Sen" not in text and "Có thắc mắc" not in text
    assert "None" not in text and "· ·" not in text and ": ·" not in text
    assert pages[0].count("Example Health Press") >= 1  # the publisher heads the pages
    assert "Tham vấn y khoa:" in pages[0] and "Tuyên bố miễn trừ trách nhiệm y khoa" in pages[-1]


def test_clinic_all_builds_each_clinic_its_languages(built):
    lotus = sorted(p.name for p in (built / "dist/clinics/lotus").glob("*.pdf") if "booklet" not in p.name)
    orchid = sorted(p.name for p in (built / "dist/clinics/orchid").glob("*.pdf"))
    assert lotus == ["fil-rest-guide.pdf", "th-rest-guide.pdf", "vi-rest-guide.pdf"]
    assert orchid == ["th-rest-guide.pdf"]  # languages = ["th"]


def _image_boxes_mm(pdf: Path, index: int) -> list[tuple[float, float]]:
    page = pdfium.PdfDocument(str(pdf))[index]
    boxes = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=8):
        left, bottom, right, top = obj.get_bounds()
        boxes.append(((right - left) / MM, (top - bottom) / MM))
    return boxes


def test_logo_is_scaled_into_its_fixed_box(built):
    pdf = built / "dist/clinics/orchid/th-rest-guide.pdf"
    first = _image_boxes_mm(pdf, 0)
    assert len(first) == 1
    width, height = first[0]
    assert width == pytest.approx(14, abs=0.3) and height == pytest.approx(14, abs=0.3)  # square, box 36 x 14 mm
    last = _image_boxes_mm(pdf, len(page_texts(pdf)) - 1)
    assert last and all(w <= 36.3 and h <= 14.3 for w, h in last)


def test_booklet_cover_and_back_cover_carry_the_clinic(built):
    pages = [norm(t) for t in page_texts(built / "dist/clinics/lotus/vi-rest-guide-booklet-pages.pdf")]
    assert "Phòng khám Hoa Sen (ví dụ)" in pages[0]
    assert "Phòng khám Hoa Sen (ví dụ)" in pages[-1] and "+84 555 0100" in pages[-1]
    assert "Tuyên bố miễn trừ trách nhiệm y khoa" in pages[-1]


def test_svg_logo_is_sanitized_and_embedded():
    clinic = load_config(FIXTURES / "i18n").clinics["lotus"]
    assert clinic.logo_uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(clinic.logo_uri.split(",", 1)[1]).decode()
    import xml.etree.ElementTree as ET

    tags = {element.tag.rsplit("}", 1)[-1] for element in ET.fromstring(svg).iter()}
    assert {"svg", "circle", "path"} <= tags and not tags & {"script", "style", "image"}
    for bad in ("alert", "example.org", "href", "fill: red"):
        assert bad not in svg, bad


def test_project_example_clinics_load_with_their_logos():
    clinics = load_config(REPO).clinics
    assert set(clinics) >= {"riverside", "harbourview"}
    assert clinics["riverside"].logo_uri.startswith("data:image/svg+xml;base64,")
    assert clinics["harbourview"].logo_uri.startswith("data:image/png;base64,")


def test_clinic_questions_line_replaces_the_default(tmp_path):
    root = copy_project(tmp_path / "project")
    toml = root / "handouts.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'website = "https://lotus-clinic.example.org"',
        'website = "https://lotus-clinic.example.org"\nquestions = "Hỏi lễ tân hoặc gọi 0100."'),
        encoding="utf-8")
    assert main(["--root", str(root), "--clinic", "lotus", "vi-rest-guide", "-q"]) == 0
    first = norm(page_texts(root / "dist/clinics/lotus/vi-rest-guide.pdf")[0])
    assert "Hỏi lễ tân hoặc gọi 0100." in first and "Có thắc mắc" not in first


def test_bad_profiles_give_one_line_errors_with_lines(tmp_path, capsys):
    root = copy_project(tmp_path / "project")
    (tmp_path / "outside.png").write_bytes((root / "clinics/orchid.png").read_bytes())
    (root / "clinics/link.png").symlink_to(tmp_path / "outside.png")
    toml = root / "handouts.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + """
[clinics.noname]
adress = "1 Example Way"

[clinics.lost]
name = "Lost Logo Clinic"
logo = "clinics/missing.png"

[clinics.escape]
name = "Escape Clinic"
logo = "../outside.png"

[clinics.linked]
name = "Linked Clinic"
logo = "clinics/link.png"

[clinics.web]
name = "Web Clinic"
website = "ftp://example.org"
""", encoding="utf-8")
    lines = toml.read_text(encoding="utf-8").split("\n")

    def line_of(text, after=None):
        start = lines.index(after) if after else 0
        return next(i for i, l in enumerate(lines, 1) if i > start and l.startswith(text))

    assert main(["--root", str(root)]) == 1
    err = [l for l in capsys.readouterr().err.strip().split("\n") if l]
    where = str(toml)
    assert err == [
        f"{where}:{line_of('adress')}: error: unknown key 'adress' in [clinics.noname] — did you mean 'address'?",
        f"{where}:{line_of('[clinics.noname]')}: error: [clinics.noname] has no name — add name = \"…\"",
        f"{where}:{line_of('logo', '[clinics.lost]')}: error: [clinics.lost] logo 'clinics/missing.png' not "
        "found — check the path (relative to handouts.toml; names are case-sensitive)",
        f"{where}:{line_of('logo', '[clinics.escape]')}: error: [clinics.escape] logo '../outside.png' lies "
        "outside the project (a symbolic link or '..'?) — copy the logo into the project folder and name "
        "it relative to handouts.toml",
        f"{where}:{line_of('logo', '[clinics.linked]')}: error: [clinics.linked] logo 'clinics/link.png' lies "
        "outside the project (a symbolic link or '..'?) — copy the logo into the project folder and name "
        "it relative to handouts.toml",
        f"{where}:{line_of('website', '[clinics.web]')}: error: 'website' in [clinics.web] must be an http(s) "
        "address — write the full address, e.g. https://clinic.example.org",
    ]
    assert not (root / "dist").exists()


def test_svg_logo_bytes_do_not_depend_on_other_modules_namespace_prefixes():
    """ElementTree's prefixes are global: whatever another module registered, the same
    logo gives the same bytes (they are embedded in the PDF)."""
    import xml.etree.ElementTree as ET

    from handouts.project import clinics

    text = (FIXTURES / "i18n/clinics/lotus.svg").read_text(encoding="utf-8")
    before = clinics.clean_svg(text)
    ET.register_namespace("", "urn:example:other")  # unbinds the SVG namespace's "" prefix
    try:
        assert clinics.clean_svg(text) == before
        assert before.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    finally:
        ET.register_namespace("", "http://www.w3.org/2000/svg")
