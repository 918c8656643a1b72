"""The build of one article: load -> cite -> markdown -> template -> render -> finish
-> publish, for each requested variant. Bad input comes back in the `Result` (the CLI
reports it and goes on with the next article); only the publish step writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import article as load
from .body import convert
from .citations import format_bibliography
from .config import Config
from .errors import Diagnostic, InputError, warning
from .finish import add_crop_marks, impose_booklet, pad_booklet
from .publish import write_atomic
from .render import render_pdf
from .template import render_document
from .variants import Variant, make_variant


@dataclass(frozen=True)
class Options:
    """What the command line may change for one build."""

    paper: str | None = None  # None: the project's paper
    variants: tuple[str, ...] = ("handout",)
    bleed_mm: float | None = None  # press variant; None: 3 mm (A4) or 1/8 in (Letter)
    clinic: str | None = None  # a [clinics.<id>] of handouts.toml
    strict: bool = False  # warnings fail the article


@dataclass(frozen=True)
class Output:
    path: Path
    pages: int
    size: int
    variant: str = "handout"
    note: str = ""  # how to print it, when that is not obvious


BOOKLET_MAX_PAGES = 48


@dataclass
class Result:
    """What happened to one article."""

    source: Path
    outputs: list[Output] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    error: InputError | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


class _Clock:
    def __init__(self):
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now


def build_article(config: Config, path: Path, options: Options = Options()) -> Result:
    """Build one article's variants into `config.output_dir`; never raises `InputError`."""
    result = Result(path)
    start = time.perf_counter()
    clock = _Clock()
    allow_remote = config.allow_remote  # --allow-remote or handouts.toml
    try:
        article = load.load_article(path, config)
        result.warnings.extend(article.warnings)
        _fail_if_strict(options, result)
        clock.lap("load")
        bibliography = format_bibliography(article.references, article.cited, config.csl_style)
        clock.lap("cite")
        body = convert(article.body, bibliography.numbers, allow_remote_images=allow_remote)
        clock.lap("markdown")
        paper = options.paper or config.paper
        clinic = config.clinic(options.clinic)
        ready = []  # every variant is made before any is written
        for name in options.variants:
            variant = make_variant(name, paper, options.bleed_mm)
            doc = render_document(article, body, bibliography, variant, config.styles_dir, clinic)
            clock.lap("template")
            pdf = render_pdf(doc.html, page_css=doc.page_css, base_dir=article.folder,
                             styles_dir=config.styles_dir,
                             stylesheets=[config.styles_dir / s for s in variant.stylesheets],
                             allow_remote=allow_remote)
            clock.lap("render")
            result.warnings.extend(warning(article.path, None, f"while rendering: {message}",
                                           "check the image or HTML it names")
                                   for message in dict.fromkeys(pdf.messages))
            ready += [(variant, *file) for file in finish(variant, pdf.data, pdf.pages, article, result)]
            clock.lap("finish")
        _fail_if_strict(options, result)
        for variant, suffix, data, pages, note in ready:
            target = config.output_dir / f"{article.slug}{suffix}.pdf"
            try:
                write_atomic(target, data)
            except OSError as exc:
                raise InputError.at(target, None, f"cannot write: {exc.strerror or exc}",
                                    "check that the output folder is writable, or use --out") from None
            result.outputs.append(Output(target, pages, len(data), variant.name, note))
        clock.lap("publish")
    except InputError as exc:
        result.error = exc
    result.seconds = time.perf_counter() - start
    result.timings = clock.timings
    return result


def _fail_if_strict(options: Options, result: Result) -> None:
    """Under --strict, the warnings so far become the article's errors."""
    if options.strict and result.warnings:
        problems = [replace(w, severity="error") for w in result.warnings]
        result.warnings.clear()
        raise InputError(*problems)


def finish(variant: Variant, data: bytes, pages: int, article, result: Result):
    """Variant-specific post-work -> [(name suffix, PDF bytes, page count, note)]."""
    if variant.name == "booklet":
        if pages > BOOKLET_MAX_PAGES:
            result.warnings.append(warning(
                article.path, None, f"the booklet has {pages} pages, too many to fold and staple well",
                f"keep booklets to {BOOKLET_MAX_PAGES} pages or print the handout instead"))
        padded, blanks = pad_booklet(data)
        imposed = impose_booklet(padded, variant.sheet_pt)
        sheet = "A4" if variant.paper == "a4" else "Letter"
        sides = (pages + blanks) // 2
        note = (f"print duplex on {sheet} landscape, flip on short edge; fold the stack of "
                f"{sides // 2} sheet(s) in half and staple on the fold"
                + (f" ({blanks} blank page(s) added before the back cover)" if blanks else ""))
        return [(variant.suffix, imposed, sides, note),
                (variant.suffix + "-pages", padded, pages + blanks,
                 "reading order, for print shops that impose themselves")]
    if variant.name == "press":
        note = (f"trim {variant.page_css}, bleed {variant.bleed_mm:g} mm, crop marks in the slug; "
                "TrimBox and BleedBox set")
        return [(variant.suffix, add_crop_marks(data, variant.bleed_mm), pages, note)]
    return [(variant.suffix, data, pages, "")]
