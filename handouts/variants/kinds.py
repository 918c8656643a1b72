"""The PDFs one article can become: handout, booklet, press and large-print.

A `Variant` is one object that knows its layout (page size, bleed, stylesheets, the
pages it adds) and its finishing (booklet imposition, press marks and PDF/X). The build
asks it three things and never its name:

    variant.check_article(article, clinic, allow_draft)   # drafts stay out of print
    variant, pdf = variant.lay_out(render, clinic)        # render(v) -> RenderedPDF
    pieces = variant.finish(pdf.data, pdf.pages, article, clinic, warnings)

Sizes are in millimetres. pypdf is imported only when finishing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, ClassVar, NamedTuple

from handouts.errors import InputError, warning
from handouts.project.config import PAPERS
from handouts.variants.paper import DEFAULT_BLEED, HALF_SHEETS, MM, SHEETS

VARIANTS = ("handout", "booklet", "press", "large-print")



@functools.lru_cache(maxsize=1)
def output_suffixes() -> frozenset[str]:
    """Every name ending an output of some article can have after its slug."""
    pieces = {"-pages"}
    for variant in VARIANTS:
        pieces |= {f"-{variant}", f"-{variant}-pages"}
    ends = set(pieces)
    for paper in PAPERS:
        ends.add(f"-{paper}")
        ends |= {f"{piece}-{paper}" for piece in pieces}
    return frozenset(ends)


def piece_suffix(kind: str) -> str:
    """The name suffix of a piece of `kind`: the handout is ``<slug>.pdf``, others
    ``<slug>-<kind>.pdf`` (``flu-booklet-pages.pdf``)."""
    return "" if kind == "handout" else f"-{kind}"


@functools.lru_cache(maxsize=1)
def piece_kinds() -> dict[str, str]:
    """Every kind of file a variant finishes -> the variant that makes it (``booklet`` and
    ``booklet-pages`` are the booklet's)."""
    return {kind: name for name in VARIANTS for kind in make_variant(name, PAPERS[0]).piece_kinds}


def output_kind(path: str, slug: str) -> tuple[str, str | None] | None:
    """(kind, paper) of the output file `path` of article `slug`, read from its name
    (``clinics/x/flu-booklet-pages-letter.pdf`` -> ``("booklet-pages", "letter")``; the
    paper is None when the name gives none: the project's paper). None when no variant
    makes a file of that name. Only for records that did not say what a file is: a
    manifest or archive written before kinds were recorded, or one rebuilt from dist/."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".pdf")
    if not stem.startswith(slug):
        return None
    rest = stem[len(slug):]
    for kind in piece_kinds():
        for paper in (None, *PAPERS):
            if rest == piece_suffix(kind) + (f"-{paper}" if paper else ""):
                return kind, paper
    return None


#: A booklet thicker than this folds badly and needs a long-reach stapler.
BOOKLET_MAX_PAGES = 48
#: Tighter booklet layouts tried when the content overflows a multiple of 4 by one or two
#: pages, mildest first: (stylesheet, what it changes). The body stays 12 pt.
TIGHTER_STEPS = (
    ("booklet-tight-1.css", "line spacing 1.5 → 1.4, paragraph spacing 8 → 6 pt"),
    ("booklet-tight-2.css", "line spacing 1.4, margins 3-4 mm narrower"),
)

#: The tighter steps shorten the inside pages by up to about a quarter (measured: 9 -> 8 and
#: 10 -> 8 pages); they are not tried when more than this share of the inside pages (all
#: but the covers) would have to go: a 6-page booklet never fits on 4, so no extra renders.
MAX_SQUEEZE = 0.3

#: Ghostscript's CMYK output profile (Debian's libgs-common): the press variant's default.
DEFAULT_PRESS_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


class Piece(NamedTuple):
    """One finished PDF of a variant: its kind (`piece_kinds`), bytes, page count, how to
    print it."""

    kind: str
    data: bytes
    pages: int
    note: str = ""


@dataclass(frozen=True)
class Variant:
    """The plain handout; the other variants override what they do differently."""

    name: str = "handout"
    paper: str = "a4"  # the sheet the user prints on
    page_mm: tuple[float, float] = SHEETS["a4"]  # the laid-out page (trim size)
    bleed_mm: float = 0.0
    stylesheets: tuple[str, ...] = ("base.css",)
    template: str = "handout.html.j2"
    #: Images printed below this resolution at their printed size get a warning.
    min_image_ppi: int = 150
    #: Pages the template adds before the back cover ("notes", "questions", "blank").
    padding: tuple[str, ...] = ()

    #: Page numbers on the outer corners (left pages left): page.css.j2 reads it.
    mirrored: ClassVar[bool] = False
    #: A file for a print shop: a draft article is refused (unless --allow-draft).
    for_print: ClassVar[bool] = False

    @property
    def suffix(self) -> str:
        """Output name suffix: the handout is ``<slug>.pdf``, others ``<slug>-<name>.pdf``."""
        return piece_suffix(self.name)

    @property
    def piece_kinds(self) -> tuple[str, ...]:
        """The kinds of the files `finish` makes, in its order (known before building)."""
        return (self.name,)

    @property
    def piece_suffixes(self) -> tuple[str, ...]:
        """The name suffixes of the files `finish` makes."""
        return tuple(map(piece_suffix, self.piece_kinds))

    @property
    def page_css(self) -> str:
        return f"{self.page_mm[0]:g}mm {self.page_mm[1]:g}mm"

    @property
    def sheet_pt(self) -> tuple[float, float]:
        """The landscape sheet a booklet is imposed on, in points."""
        width, height = SHEETS[self.paper]
        return height * MM, width * MM

    def check_article(self, article, clinic=None, allow_draft: bool = False) -> None:
        """Drafts stay out of print: a draft is refused for a print shop's file and for a
        clinic's copies, unless `allow_draft` (``--allow-draft``)."""
        if not article.draft or allow_draft:
            return
        if self.for_print:
            what = f"the {self.name} variant (a print shop's file)"
        elif clinic is not None:
            what = f"a clinic build (clinic '{clinic.id}')"
        else:
            return
        raise InputError.at(article.path, article.line_of("draft"),
                            f"a draft ('draft: true') cannot go to print: refused for {what}",
                            "finish the medical review and remove 'draft: true', or pass "
                            "--allow-draft for a proof")

    def lay_out(self, render: Callable, clinic=None):
        """Render the document: -> (the variant as laid out, RenderedPDF)."""
        return self, render(self)

    def finish(self, data: bytes, pages: int, article, clinic, warnings: list) -> list[Piece]:
        """Post-work on the rendered PDF -> the files this variant makes."""
        return [Piece(self.name, data, pages, "")]


@dataclass(frozen=True)
class LargePrint(Variant):
    name: str = "large-print"
    stylesheets: tuple[str, ...] = ("base.css", "large-print.css")


@dataclass(frozen=True)
class Booklet(Variant):
    """Half-sheet pages, cover first and back cover last, padded to a multiple of 4 with
    useful pages (Notes, Questions for your care team) and imposed 2-up for folding."""

    name: str = "booklet"
    page_mm: tuple[float, float] = HALF_SHEETS["a4"]
    stylesheets: tuple[str, ...] = ("base.css", "booklet.css")
    padding_style: str = "notes"  # or "blank"
    step: int = 0  # the tighter layout step chosen (0: the house layout)
    tried: int = 0  # tighter steps tried without saving a sheet

    mirrored: ClassVar[bool] = True

    @property
    def piece_kinds(self) -> tuple[str, ...]:
        return (self.name, f"{self.name}-pages")

    def padding_pages(self, count: int, clinic=None) -> tuple[str, ...]:
        """What fills `count` pages: Questions for the care team first when there is a
        clinic to ask, then Notes; or blank pages when the project asked for them."""
        if self.padding_style == "blank":
            return ("blank",) * count
        kinds = ["questions"] if clinic is not None and count else []
        return tuple(kinds + ["notes"] * (count - len(kinds)))

    def tighter(self, step: int) -> "Booklet":
        sheets = tuple(sheet for sheet, _ in TIGHTER_STEPS[:step])
        return replace(self, step=step, stylesheets=self.stylesheets + sheets)

    def lay_out(self, render: Callable, clinic=None):
        """Render; when the pages overflow a multiple of 4 by one or two, try the tighter
        steps; then render again with the padding pages the count still needs."""
        chosen, pdf = self, render(self)
        over = pdf.pages % 4
        if pdf.pages > 4 and over in (1, 2) and over <= MAX_SQUEEZE * (pdf.pages - 2):
            target = pdf.pages - over
            for step in range(1, len(TIGHTER_STEPS) + 1):
                tight = self.tighter(step)
                trial = render(tight)
                if trial.pages <= target:
                    chosen, pdf = tight, trial
                    break
            else:
                chosen = replace(self, tried=len(TIGHTER_STEPS))
        missing = -pdf.pages % 4
        if missing:
            padded = replace(chosen, padding=chosen.padding_pages(missing, clinic))
            trial = render(padded)
            if trial.pages % 4 == 0:  # else finish() pads with pypdf blanks
                chosen, pdf = padded, trial
        return chosen, pdf

    def finish(self, data: bytes, pages: int, article, clinic, warnings: list) -> list[Piece]:
        from handouts.variants.finish import (impose_booklet, pad_booklet)  # pypdf: only when finishing

        if pages > BOOKLET_MAX_PAGES:
            warnings.append(warning(
                article.path, None, f"the booklet has {pages} pages, too many to fold and staple well",
                f"keep booklets to {BOOKLET_MAX_PAGES} pages or print the handout instead"))
        padded, blanks = pad_booklet(data)  # nothing to do when lay_out padded it
        total = pages + blanks
        imposed = impose_booklet(padded, self.sheet_pt)
        sheet = "A4" if self.paper == "a4" else "Letter"
        sides = total // 2
        notes = [f"print duplex on {sheet} landscape, flip on short edge; fold the stack of "
                 f"{sides // 2} sheet(s) in half and staple on the fold"]
        if self.step:
            notes.append(f"tighter layout step {self.step} ({TIGHTER_STEPS[self.step - 1][1]}) "
                         "saved a sheet")
        elif self.tried:
            notes.append(f"the {self.tried} tighter layout steps would not save a sheet: "
                         "house layout kept")
        if self.padding:
            counts = {kind: self.padding.count(kind) for kind in dict.fromkeys(self.padding)}
            names = {"notes": "Notes", "questions": "Questions for your care team", "blank": "blank"}
            notes.append("padded with " + ", ".join(f"{n} {names[k]} page{'s' if n > 1 else ''}"
                                                    for k, n in counts.items()))
        if blanks:
            notes.append(f"{blanks} blank page(s) added before the back cover")
        return [Piece(self.name, imposed, sides, "; ".join(notes)),
                Piece(f"{self.name}-pages", padded, total,
                      "reading order, for print shops that impose themselves")]


@dataclass(frozen=True)
class Press(Variant):
    """The print shop's file: trim plus bleed, crop marks in a slug, PDF/X-4 with a CMYK
    OutputIntent. Images need 300 ppi at their printed size."""

    name: str = "press"
    stylesheets: tuple[str, ...] = ("base.css", "press.css")
    min_image_ppi: int = 300
    profile: Path = DEFAULT_PRESS_PROFILE  # the CMYK output profile embedded
    profile_setting: Path | None = None  # handouts.toml, when press_profile is set there

    for_print: ClassVar[bool] = True

    def finish(self, data: bytes, pages: int, article, clinic, warnings: list) -> list[Piece]:
        from handouts.variants.finish import add_crop_marks  # pypdf: only when finishing
        from handouts.variants.pdfx import make_pdfx, read_output_profile

        profile = read_output_profile(self.profile, self.profile_setting)
        marked = add_crop_marks(data, self.bleed_mm)
        data = make_pdfx(marked, profile, article)
        note = (f"PDF/X-4, output intent {profile.description}; trim {self.page_css}, "
                f"bleed {self.bleed_mm:g} mm, crop marks in the slug; TrimBox and BleedBox set")
        return [Piece(self.name, data, pages, note)]


def make_variant(name: str, paper: str, bleed_mm: float | None = None, config=None) -> Variant:
    """The variant `name` on `paper` (``a4`` or ``letter``); `config` gives the project's
    booklet padding and press profile (handouts.toml)."""
    if name not in VARIANTS:
        raise InputError.at(None, None, f"unknown variant '{name}'",
                            f"choose from {', '.join(VARIANTS)} or all")
    if name == "booklet":
        padding = (config.booklet_padding if config is not None else "") or "notes"
        return Booklet(paper=paper, page_mm=HALF_SHEETS[paper], padding_style=padding)
    if name == "press":
        bleed = DEFAULT_BLEED[paper] if bleed_mm is None else bleed_mm
        setting = config.press_profile if config is not None else None
        profile = Path(setting) if setting else DEFAULT_PRESS_PROFILE
        if setting and not profile.is_absolute() and config is not None:
            profile = config.root / profile
        return Press(paper=paper, page_mm=SHEETS[paper], bleed_mm=bleed, profile=profile,
                     profile_setting=(config.root / "handouts.toml") if setting else None)
    if name == "large-print":
        return LargePrint(paper=paper, page_mm=SHEETS[paper])
    return Variant(name, paper, SHEETS[paper])


def expand_variants(names: list[str]) -> list[str]:
    """``["all"]`` -> every variant; duplicates dropped, order kept."""
    out: list[str] = []
    for name in names or ["handout"]:
        for item in VARIANTS if name == "all" else [name]:
            if item not in out:
                out.append(item)
    return out
