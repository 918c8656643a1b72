"""Helpers the tests use to read PDFs back as a user would."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FICTIONAL = "fictional-rest-guide"


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]
