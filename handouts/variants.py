"""The PDFs one article can become: handout, booklet, press and large-print.

A `Variant` says how pages are laid out (page size, bleed, stylesheets) and which
finishing they get (booklet imposition, press marks). Sizes are in millimetres.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError

VARIANTS = ("handout", "booklet", "press", "large-print")

#: Sheet sizes a clinic prints on, (width, height) in mm, portrait.
SHEETS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
#: Booklet pages: half of the sheet.
HALF_SHEETS = {"a4": (148.0, 210.0), "letter": (139.7, 215.9)}
#: Default bleed per paper family: 3 mm for ISO, 1/8 inch for US.
DEFAULT_BLEED = {"a4": 3.0, "letter": 3.175}

MM = 72 / 25.4  # points per millimetre


@dataclass(frozen=True)
class Variant:
    name: str = "handout"
    paper: str = "a4"  # the sheet the user prints on
    page_mm: tuple[float, float] = SHEETS["a4"]  # the laid-out page (trim size)
    bleed_mm: float = 0.0
    stylesheets: tuple[str, ...] = ("base.css",)
    template: str = "handout.html.j2"

    @property
    def suffix(self) -> str:
        """Output name suffix: the handout is ``<slug>.pdf``, others ``<slug>-<name>.pdf``."""
        return "" if self.name == "handout" else f"-{self.name}"

    @property
    def page_css(self) -> str:
        return f"{self.page_mm[0]:g}mm {self.page_mm[1]:g}mm"

    @property
    def sheet_pt(self) -> tuple[float, float]:
        """The landscape sheet a booklet is imposed on, in points."""
        width, height = SHEETS[self.paper]
        return height * MM, width * MM


def make_variant(name: str, paper: str, bleed_mm: float | None = None) -> Variant:
    """The variant `name` on `paper` (``a4`` or ``letter``)."""
    if name not in VARIANTS:
        raise InputError.at(None, None, f"unknown variant '{name}'",
                            f"choose from {', '.join(VARIANTS)} or all")
    if name == "booklet":
        return Variant(name, paper, HALF_SHEETS[paper], stylesheets=("base.css", "booklet.css"))
    if name == "press":
        bleed = DEFAULT_BLEED[paper] if bleed_mm is None else bleed_mm
        return Variant(name, paper, SHEETS[paper], bleed, stylesheets=("base.css", "press.css"))
    if name == "large-print":
        return Variant(name, paper, SHEETS[paper], stylesheets=("base.css", "large-print.css"))
    return Variant(name, paper, SHEETS[paper])


def expand_variants(names: list[str]) -> list[str]:
    """``["all"]`` -> every variant; duplicates dropped, order kept."""
    out: list[str] = []
    for name in names or ["handout"]:
        for item in VARIANTS if name == "all" else [name]:
            if item not in out:
                out.append(item)
    return out
