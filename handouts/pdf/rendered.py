"""What the render stage hands on: a PDF's bytes, its page count and WeasyPrint's
warnings. A module of its own, without WeasyPrint, so that a process that only receives
rendered PDFs (`handouts.batch.renderer`) never imports it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderedPDF:
    data: bytes
    pages: int
    messages: tuple[str, ...] = ()  # what WeasyPrint warned about
