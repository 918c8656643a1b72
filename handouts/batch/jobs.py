"""Plan stage of a batch: targets -> articles -> jobs, and each job's output names.

A `Job` is one PDF set to make: one article x variant x paper x clinic. Its output paths
are a function of the job alone, so two jobs never write the same file:

    dist/<slug>.pdf                       handout on the project's paper
    dist/<slug>-<variant>.pdf             other variants (booklet also -booklet-pages.pdf)
    dist/<slug>[-<variant>]-<paper>.pdf   paper other than the project's default
    dist/clinics/<clinic-id>/…            a clinic's copies, same names

Slugs that could be mistaken for another article's output (``flu-press`` beside ``flu``)
and the folder names the output tree uses (``archive``, ``clinics``, ``review``,
``index``, ``source``) are refused when the jobs are planned, before anything is built.

This module is light on purpose: planning, and deciding that nothing needs rebuilding,
import neither WeasyPrint nor the Markdown and citation stages.
"""

from __future__ import annotations


import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from handouts.guard import paths
from handouts.project.config import Config
from handouts.errors import Diagnostic, InputError
from handouts.dist.records import ArticleRecord
from handouts.variants.kinds import output_suffixes
from handouts.source.discover import find_articles, front_matter_draft, front_matter_lang

#: Folder names of the output tree (and the site's pages): no article may take them.
RESERVED_SLUGS = ("archive", "clinics", "review", "index", "source", "proof", "pagefind")
#: Where `--allow-unreviewed` puts the stamped proofs of unreviewed content (never published).
PROOF_DIR = "proof"


@dataclass(frozen=True)
class Job:
    """One output set: an article in one variant, on one paper, for one clinic (or none)."""

    article: Path  # the article.md file
    slug: str
    variant: str = "handout"
    paper: str = "a4"
    clinic: str | None = None  # a [clinics.<id>] of handouts.toml
    bleed_mm: float | None = None
    allow_draft: bool = False
    strict: bool = False
    default_paper: str = "a4"  # the project's paper: no suffix for it
    allow_unreviewed: bool = False  # unreviewed content becomes a stamped proof, not an error
    history: tuple = ()  # editions.Published records of the article (binds legacy sign-offs)
    thumbnail: bool = False  # also make the download site's thumbnail of its first file

    @property
    def key(self) -> tuple:
        """What identifies the job's outputs in the manifest."""
        return (self.slug, self.variant, self.paper, self.clinic)

    @property
    def folder(self) -> PurePosixPath:
        return PurePosixPath("clinics", self.clinic) if self.clinic else PurePosixPath()

    def output_name(self, piece_suffix: str = "", proof: bool = False) -> str:
        """The path of one of the job's files, relative to dist/ (posix).

        `piece_suffix` is what the variant's finishing names the piece (``""`` for the
        handout, ``-booklet``, ``-booklet-pages``, ``-press``, …); a `proof` goes under
        ``proof/`` (same names), away from what patients and clinics download.
        """
        paper = "" if self.paper == self.default_paper else f"-{self.paper}"
        folder = PurePosixPath(PROOF_DIR) / self.folder if proof else self.folder
        return str(folder / f"{self.slug}{piece_suffix}{paper}.pdf")

    @property
    def label(self) -> str:
        """How the job is named in messages: ``flu (booklet, letter, riverside)``."""
        extra = [v for v in (self.variant if self.variant != "handout" else "",
                             self.paper if self.paper != self.default_paper else "",
                             self.clinic or "") if v]
        return f"{self.slug} ({', '.join(extra)})" if extra else self.slug


@dataclass(frozen=True)
class BuiltFile:
    """One PDF a job made, not yet written: `name` is its path relative to dist/, `kind`
    the piece of the variant it is (`variants.kinds.piece_kinds`: handout, booklet,
    booklet-pages, press, large-print)."""

    name: str
    data: bytes
    pages: int
    note: str = ""  # how to print it, when that is not obvious
    kind: str = field(kw_only=True)


@dataclass(frozen=True)
class Crash:
    """An unexpected exception in a job: a bug, reported with the article it hit."""

    type: str
    message: str
    traceback: str


@dataclass
class JobResult:
    """What happened to one job; travels back from the worker (picklable)."""

    job: Job
    files: list[BuiltFile] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    error: InputError | None = None
    crash: Crash | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    edition: int | None = None
    article_entry: ArticleRecord | None = None  # the manifest's record of the article
    peak_rss_kib: int = 0  # the worker's peak resident memory so far
    worker: str = ""
    proof: bool = False  # stamped proof of unreviewed content: never published or recorded
    notes: list[Diagnostic] = field(default_factory=list)  # said once, not kept in the manifest
    web_html: str = ""  # the converted body, for the handout's web page (handouts.dist.site.web)
    thumbnail: bytes = b""  # the site's thumbnail (PNG) of the first file, when the job asked

    @property
    def ok(self) -> bool:
        return self.error is None and self.crash is None


# ---------------------------------------------------------------------------------------
# Planning


def name_clashes(slugs: list[str]) -> dict[str, str]:
    """Slugs whose outputs could share a name with another article's: {slug: message}.

    ``flu-press`` beside ``flu`` would both write ``flu-press.pdf`` (the press variant of
    flu, the handout of flu-press); the longer slug is refused, whichever jobs were asked
    for, so that no build on another day can overwrite the other's file either.
    """
    known, ends, clashes = set(slugs), output_suffixes(), {}
    for slug in slugs:
        for i, ch in enumerate(slug):
            if ch == "-" and slug[:i] in known and slug[i:] in ends:
                clashes[slug] = (f"its PDFs would share names with those of article "
                                 f"'{slug[:i]}' ({slug}.pdf is also the name of "
                                 f"'{slug[:i]}' with '{slug[i + 1:]}')")
                break
    return clashes


def plan(config: Config, articles: list[Path], *, variants: tuple[str, ...] = ("handout",),
         paper: str | None = None, clinics: tuple[str | None, ...] = (None,),
         bleed_mm: float | None = None, allow_draft: bool = False, strict: bool = False,
         served_only: bool = False
         ) -> tuple[list[Job], dict[Path, InputError], list[Path]]:
    """Jobs for `articles` (article x variant x paper x clinic), the articles refused, and
    the drafts left out.

    `served_only` (``--clinic all``): a clinic gets only the articles in the languages
    its profile lists (``languages = [...]``; none listed: every language), and no drafts
    unless `allow_draft` (a draft is refused for a clinic: asked for every clinic at once,
    it is left out rather than failed).
    """
    paper = (paper or config.paper).lower()
    from handouts.source.translations import translation_problems

    slugs = [p.parent.name for p in find_articles(config.source_dir)]
    clashes = name_clashes(slugs)
    translations = translation_problems(config)
    jobs: list[Job] = []
    refused: dict[Path, InputError] = {}
    drafts: list[Path] = []
    for article in articles:
        slug = article.parent.name
        if (bad_slug := paths.slug_diagnostic(article)) is not None:
            refused[article] = InputError(bad_slug)
            continue
        if slug.lower() in RESERVED_SLUGS:
            refused[article] = InputError(Diagnostic(
                article, None, f"'{slug}' is a reserved folder name of dist/",
                f"rename the folder: {', '.join(RESERVED_SLUGS)} are taken by the output tree"))
            continue
        if slug in clashes:
            refused[article] = InputError(Diagnostic(
                article, None, f"article name '{slug}' clashes: {clashes[slug]}",
                f"rename the folder, e.g. '{slug}-guide'"))
            continue
        if slug in translations:
            refused[article] = InputError(*translations[slug])
            continue
        roots = [config.root, config.source_dir]
        if served_only and not allow_draft and front_matter_draft(article, roots):
            drafts.append(article)
            continue
        lang = front_matter_lang(article, roots) if served_only else None
        for clinic in clinics:
            profile = config.clinics.get(clinic) if clinic else None
            if lang and profile is not None and hasattr(profile, "serves") \
                    and not profile.serves(lang):
                continue
            for variant in variants:
                jobs.append(Job(article, slug, variant, paper, clinic, bleed_mm,
                                allow_draft, strict, config.paper))
    return jobs, refused, drafts


def default_workers() -> int:
    """`--jobs` default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
