"""Print a published handout on a CUPS printer: build it, ask the printer, submit it.

    build     the one output (article x variant x paper x clinic), incrementally,
              through `handouts.batch.run.run`, as `handouts build` would
    file      the published PDF, checked against dist/manifest.json (sha256): what is
              printed is what was published; its page size gives the `media`
    ask       IPP Get-Printer-Attributes: state, sides, media, output bin       cups.py
    submit    ``lp`` with the job attributes the variant needs: sides (long edge for
              handouts and large print, short edge for imposed booklets), media,
              print-scaling=none (actual size), copies, and a job name with the title,
              edition and content fingerprint                                    cups.py

A printer that cannot print two-sided gets a booklet only with ``--manual-duplex``: the
fronts, instructions for putting the stack back, then the backs (duplex.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from handouts.batch.run import BatchOptions, Progress, run
from handouts.dist.records import Manifest, OutputRecord
from handouts.errors import ExitStatus, InputError, shown
from handouts.printing.cups import (STOPPED, Printer, Submission, default_queue,
                                    printer_attributes, submit, tell_dry_run)
from handouts.printing.duplex import print_both_sides
from handouts.project.config import Config
from handouts.variants.kinds import make_variant
from handouts.variants.paper import MM, SHEETS

#: What each printable variant needs from a duplex unit (None: press is not printed here).
SIDES = {"handout": "two-sided-long-edge", "large-print": "two-sided-long-edge",
         "booklet": "two-sided-short-edge"}
#: IPP (PWG 5101.1) media names of the sheets we print on.
MEDIA = {"a4": "iso_a4_210x297mm", "letter": "na_letter_8.5x11in"}
PAPER_NAMES = {"a4": "A4", "letter": "Letter"}


@dataclass(frozen=True)
class PrintOptions:
    """What `handouts print` was asked for."""

    variant: str = "handout"
    clinic: str | None = None
    paper: str | None = None  # None: the project's paper
    copies: int = 1
    printer: str | None = None  # None: the clinic's printer, else the CUPS default
    manual_duplex: bool = False
    dry_run: bool = False



def print_article(config: Config, slug: str, options: PrintOptions, *,
                  progress: Progress | None = None, tell: Callable[[str], None] = print,
                  ask: Callable[[str], bool] = lambda _prompt: False) -> int:
    """Build `slug`'s output as `options` say and send it to a CUPS queue.

    `tell` receives what a person should read (the dry run, the jobs sent, the
    manual-duplex instructions); `ask(prompt)` waits for them to put the stack back and
    returns False if they did not (end of input). Returns the exit status; raises
    `InputError` for every problem of the request, the file or the printer.
    """
    if options.variant not in SIDES:
        raise InputError.at(None, None, f"the {options.variant} variant is not printed here: "
                            "it goes to a print shop",
                            f"build it (handouts {slug} --variant {options.variant}) and send "
                            "that PDF to the shop as it is")
    clinic = config.clinic(options.clinic)  # an unknown clinic fails before any work
    paper = (options.paper or config.paper).lower()

    # build (incrementally)
    report = run(config, [slug], BatchOptions(variants=(options.variant,), paper=paper,
                                              clinics=(options.clinic,)), progress=progress)
    if report.failed:
        return report.exit_status
    # The run may rebuild the article's whole set (a new edition): take the asked-for output.
    wanted = (slug, options.variant, paper, options.clinic)
    job = next(j for j in [*report.unchanged, *(r.job for r in report.built)] if j.key == wanted)

    # the published file
    from handouts.dist.manifest import read_manifest

    manifest = read_manifest(config.output_dir)
    article = manifest.articles.get(job.slug)
    if article is not None and article.draft:
        from handouts.source.article import load_article

        raise InputError.at(job.article, load_article(job.article, config).line_of("draft"),
                            "a draft ('draft: true') is not printed for patients",
                            "finish the medical review and remove 'draft: true'")
    variant = make_variant(job.variant, job.paper, config=config)
    path, entry = _published(config, manifest, job.output_name(variant.piece_suffixes[0]))
    pages, media = _read_pdf(path, job.paper, landscape=job.variant == "booklet")

    # the printer
    queue = options.printer or (clinic.printer if clinic else "") or default_queue()
    printer = printer_attributes(queue)
    _check_printer(printer, media, job.paper)
    name = job_name(entry.title or job.slug, job.variant, entry.edition,
                    article.content_sha256 if article is not None else None)
    sides = SIDES[job.variant] if pages > 1 else "one-sided"
    common = (("media", media), ("print-scaling", "none"),
              ("document-format", "application/pdf"))
    copies = options.copies

    if sides == "one-sided" or sides in printer.sides:
        sheets = math.ceil(pages / (1 if sides == "one-sided" else 2)) * copies
        return _send(printer, Submission(queue, path, pages, name, (
            ("copies", str(copies)), ("sides", sides), *common)), options.dry_run, tell,
            f"{copies} cop{'y' if copies == 1 else 'ies'}, {pages} pages on {sheets} "
            f"{PAPER_NAMES[job.paper]} sheet{'s' if sheets != 1 else ''}, {sides}, actual size")
    if options.manual_duplex:
        return print_both_sides(printer, path, pages, name, common, job.variant,
                                copies=copies, dry_run=options.dry_run, tell=tell, ask=ask)
    if job.variant == "booklet":
        raise InputError.at(None, None, f"printer '{queue}' cannot print two-sided, and a "
                            "booklet needs both sides (flipped on the short edge)",
                            "rerun with --manual-duplex: it prints the fronts, tells you how "
                            "to put the stack back, then prints the backs")
    tell(f"note: printer '{queue}' cannot print two-sided: printing one-sided "
         "(--manual-duplex prints both sides in two passes)")
    return _send(printer, Submission(queue, path, pages, name, (
        ("copies", str(copies)), ("sides", "one-sided"), *common)), options.dry_run, tell,
        f"{copies} cop{'y' if copies == 1 else 'ies'}, {pages} pages, one-sided, actual size")


def _send(printer: Printer, job: Submission, dry_run: bool, tell, what: str) -> int:
    """Show `job` (a dry run) or submit it and say so, `what` describing the copies."""
    if dry_run:
        tell_dry_run(tell, printer, [job], job.file)
        return ExitStatus.SUCCESS
    job_id = submit(job)
    tell(f"sent {shown(job.file)} to {job.queue} as job {job_id}: {what}")
    return ExitStatus.SUCCESS


# ---------------------------------------------------------------------------------------
# The published file and the printer's fit for it


def _published(config: Config, manifest: Manifest, name: str) -> tuple[Path, OutputRecord]:
    """The file the build published as `name`, unchanged since (its sha256)."""
    import hashlib

    entry = manifest.output(name)
    path = config.output_dir / name
    if entry is None or not path.is_file():
        raise InputError.at(path, None, "not published by this build",
                            "rebuild it: handouts --force SLUG")
    if hashlib.sha256(path.read_bytes()).hexdigest() != entry.sha256:
        raise InputError.at(path, None, "changed since it was built (its sha256 is not the "
                            "manifest's)", "rebuild it with --force before printing")
    return path, entry


def _read_pdf(path: Path, paper: str, *, landscape: bool) -> tuple[int, str]:
    """(pages, IPP media) of the PDF; every page must be the paper's sheet."""
    from pypdf import PdfReader

    width, height = (s * MM for s in SHEETS[paper])
    if landscape:
        width, height = height, width
    reader = PdfReader(path)
    for number, page in enumerate(reader.pages, start=1):
        box = page.mediabox
        w, h = float(box.width), float(box.height)
        if (page.rotation or 0) % 180:
            w, h = h, w
        if abs(w - width) > 2 or abs(h - height) > 2:
            raise InputError.at(path, None, f"page {number} is {w / MM:.0f} x {h / MM:.0f} mm, "
                                f"not a {PAPER_NAMES[paper]} sheet",
                                "rebuild it with --force before printing")
    return len(reader.pages), MEDIA[paper]


def job_name(title: str, variant: str, edition, fingerprint: str | None) -> str:
    """``Title (booklet) · edition 2 · 3f9a1c07d2e4``: what the printer's queue shows."""
    parts = [f"{title} ({variant})" if variant != "handout" else title]
    if edition:
        parts.append(f"edition {edition}")
    if fingerprint:
        parts.append(fingerprint[:12])
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", " · ".join(parts))
    while len(text.encode("utf-8")) > 255:  # an IPP name is at most 255 octets
        text = text[:-2] + "…"
    return text


def _check_printer(printer: Printer, media: str, paper: str) -> None:
    q = printer.queue
    if printer.state == STOPPED:
        why = f": {printer.state_message}" if printer.state_message else ""
        raise InputError.at(None, None, f"printer '{q}' is stopped{why}",
                            f"fix the printer, then start the queue: cupsenable {q}")
    if not printer.accepting:
        raise InputError.at(None, None, f"printer '{q}' is not accepting jobs",
                            f"let it take jobs again: cupsaccept {q}")
    if not printer.takes(media):
        others = [p for p in MEDIA if p != paper and printer.takes(MEDIA[p])]
        raise InputError.at(None, None, f"printer '{q}' has no {PAPER_NAMES[paper]} paper "
                            f"({media} is not among its media)",
                            f"print on its paper: --paper {others[0]}" if others else
                            f"add {PAPER_NAMES[paper]} to the printer's paper sizes, or choose "
                            "another printer with --printer")

