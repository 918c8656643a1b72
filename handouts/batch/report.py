"""What a batch run was asked (`BatchOptions`), what it did (`BatchReport`: the files
`Written`, the `Failure`s), and what it tells its caller as it goes (`Progress`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from handouts.errors import Diagnostic, ExitStatus, InputError
from handouts.batch.jobs import Job


@dataclass(frozen=True)
class BatchOptions:
    """What to build. `clinics`: clinic ids, None for no clinic, or "all"."""

    variants: tuple[str, ...] = ("handout",)
    paper: str | None = None  # None: the project's paper
    clinics: tuple[str | None, ...] = (None,)
    bleed_mm: float | None = None
    strict: bool = False  # warnings (and review warnings) fail the article
    allow_draft: bool = False
    allow_unreviewed: bool = False  # unreviewed content: stamped proofs under dist/proof/
    force: bool = False  # rebuild even when the inputs did not change
    jobs: int | None = None  # worker processes; None: the number of cores
    site: bool = True  # refresh the download site after a build that wrote something


@dataclass(frozen=True)
class Written:
    """A file the publish stage put in place; `kind` is the piece of its variant it is
    (`variants.kinds.piece_kinds`)."""

    path: Path
    pages: int
    size: int
    note: str
    job: Job
    seconds: float  # the job's build time (shared by a booklet's two files)
    warnings: int = 0
    kind: str = field(kw_only=True)


@dataclass
class Failure:
    """An article (or one of its jobs) that was not published, and why."""

    path: Path  # the article.md (or the file the problem is about)
    problems: tuple[Diagnostic, ...] = ()
    jobs: tuple[Job, ...] = ()
    crash: object | None = None  # a build.Crash: a bug, exit 3

    @property
    def error(self) -> InputError | None:
        return InputError(*self.problems) if self.problems else None


@dataclass
class BatchReport:
    """What a run did; `exit_status` is what the command line returns."""

    built: list = field(default_factory=list)  # JobResult of every published job
    unchanged: list[Job] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    outputs: list[Written] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)  # said once (a sign-off bound)
    proofs: list[Written] = field(default_factory=list)  # dist/proof/: never published
    seconds: float = 0.0
    peak_rss_kib: dict[str, int] = field(default_factory=dict)  # per worker

    @property
    def failed_jobs(self) -> int:
        return sum(max(1, len(f.jobs)) for f in self.failed)

    @property
    def exit_status(self) -> ExitStatus:
        if any(f.crash is not None for f in self.failed):
            return ExitStatus.CRASH
        return ExitStatus.INPUT_ERROR if self.failed else ExitStatus.SUCCESS

    def summary(self) -> str:
        """``41 built, 359 unchanged, 2 failed in 6.1 s`` (counted in outputs sets: jobs)."""
        parts = [f"{len(self.built)} built", f"{len(self.unchanged)} unchanged"]
        if self.proofs:
            parts.append(f"{len(self.proofs)} proof file{'s' if len(self.proofs) != 1 else ''} "
                         "in proof/ (not published)")
        if self.failed:
            parts.append(f"{self.failed_jobs} failed")
        return f"{', '.join(parts)} in {self.seconds:.1f} s"


class Progress:
    """What `run` tells its caller as it goes. Subclass and override what you need."""

    def start(self, to_build: int, unchanged: int) -> None:
        """Planning is done: `to_build` jobs go to the executor."""

    def job_done(self, result) -> None:
        """One job came back from the executor (a `build.JobResult`)."""

    def published(self, written: list[Written], warnings: list[Diagnostic]) -> None:
        """An article's set is in place."""

    def failed(self, failure: Failure, warnings: list[Diagnostic]) -> None:
        """An article was not published."""

    def finish(self, report: BatchReport) -> None:
        """The run is over."""
