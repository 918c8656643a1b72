"""The build: each article goes load -> cite -> markdown -> template -> render -> publish.

One article's bad input is reported and the batch goes on; only `publish` writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import article as load
from .body import convert
from .citations import format_bibliography
from .config import Config
from .errors import Diagnostic, InputError
from .publish import write_atomic
from .render import render_pdf
from .template import Variant, render_html


@dataclass(frozen=True)
class Options:
    """What the command line may change for one build."""

    paper: str | None = None  # None: the project's paper
    allow_remote: bool = False
    strict: bool = False  # warnings fail the article


@dataclass(frozen=True)
class Output:
    path: Path
    pages: int
    size: int


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
    """Build one article into ``<output_dir>/<slug>.pdf``; never raises `InputError`."""
    result = Result(path)
    start = time.perf_counter()
    clock = _Clock()
    allow_remote = options.allow_remote or config.allow_remote
    try:
        article = load.load_article(path, config)
        result.warnings.extend(article.warnings)
        if options.strict and article.warnings:
            raise InputError(*article.warnings)
        clock.lap("load")
        bibliography = format_bibliography(article.references, article.cited, config.csl_style)
        clock.lap("cite")
        body = convert(article.body, bibliography.numbers, allow_remote_images=allow_remote)
        clock.lap("markdown")
        variant = Variant(paper=options.paper or config.paper)
        html = render_html(article, body, bibliography, variant, config.styles_dir)
        clock.lap("template")
        pdf = render_pdf(html, base_dir=article.folder, styles_dir=config.styles_dir,
                         stylesheets=[config.styles_dir / s for s in variant.stylesheets],
                         allow_remote=allow_remote)
        clock.lap("render")
        target = config.output_dir / f"{article.slug}.pdf"
        write_atomic(target, pdf.data)
        clock.lap("publish")
        result.outputs.append(Output(target, pdf.pages, len(pdf.data)))
    except InputError as exc:
        result.error = exc
    result.seconds = time.perf_counter() - start
    result.timings = clock.timings
    return result


def build(config: Config, paths: list[Path], options: Options = Options()) -> list[Result]:
    """Build every article in `paths`, in order; see `Result` for each outcome."""
    return [build_article(config, path, options) for path in paths]
