"""QR codes: printed with the address beneath, large enough, and they scan.

The page is rendered to pixels (pypdfium2) and decoded with zxing-cpp, offline, as a
phone would read the printed sheet.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from handouts.pdf import qr
from handouts.cli import main

from pdfcheck import FIXTURES, REPO, page_texts

DPI = 300


def copy_project(root: Path) -> Path:
    shutil.copytree(FIXTURES / "i18n", root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("qr") / "project")
    assert main(["--root", str(root), "-q"]) == 0
    assert main(["--root", str(root), "--clinic", "lotus", "fil-rest-guide", "-q"]) == 0
    return root


def codes_on_page(pdf: Path, index: int) -> list[tuple[str, float]]:
    """(text, printed width in mm without the quiet zone) of every QR code on a page."""
    document = pdfium.PdfDocument(str(pdf))
    image = document[index].render(scale=DPI / 72).to_pil()
    found = []
    for result in zxingcpp.read_barcodes(image):
        assert result.format == zxingcpp.BarcodeFormat.QRCode
        width_px = abs(result.position.top_right.x - result.position.top_left.x)
        found.append((result.text, width_px / DPI * 25.4))
    return found


def test_article_qr_scans_to_source_url_on_the_last_page(built):
    pdf = built / "dist/th-rest-guide.pdf"
    pages = page_texts(pdf)
    codes = codes_on_page(pdf, len(pages) - 1)
    assert [text for text, _ in codes] == ["https://example.org/th/rest-guide"]
    assert codes[0][1] >= 20.0  # >= 2 cm without its quiet zone
    # The address is printed beneath it, with the Thai "Latest version" label.
    assert "https://example.org/th/rest-guide" in pages[-1]
    assert "ฉบับล่าสุด:" in pages[-1]


def test_vietnamese_qr_label(built):
    pdf = built / "dist/vi-rest-guide.pdf"
    last = page_texts(pdf)[-1]
    assert "Phiên bản mới nhất:" in last and "https://example.org/vi/nghi-ngoi" in last
    assert [t for t, _ in codes_on_page(pdf, len(page_texts(pdf)) - 1)] == ["https://example.org/vi/nghi-ngoi"]


def test_clinic_website_qr_when_the_article_has_no_source_url(built):
    pdf = built / "dist/clinics/lotus/fil-rest-guide.pdf"
    last = len(page_texts(pdf)) - 1
    assert [t for t, _ in codes_on_page(pdf, last)] == ["https://lotus-clinic.example.org"]


def test_no_qr_and_no_dangling_label_without_an_address(built):
    pdf = built / "dist/fil-rest-guide.pdf"
    assert all(codes_on_page(pdf, i) == [] for i in range(len(page_texts(pdf))))
    text = " ".join(page_texts(pdf))
    assert "Pinakabagong bersyon" not in text and "Latest version" not in text


@pytest.mark.parametrize("url", ["https://example.org/a",
                                 "https://example.org/" + "long-path/" * 20 + "?q=" + "x" * 100])
def test_code_is_never_printed_smaller_than_2_cm(url):
    size = qr.size_for(url)
    total = qr.modules(url)
    assert size * (total - 2 * qr.QUIET_ZONE) / total >= 20.0 - 1e-9
    svg = qr.qr_svg(url)
    assert re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1) == str(total)  # quiet zone included
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no external reference
    assert qr.qr_data_uri(url).startswith("data:image/svg+xml;base64,")
