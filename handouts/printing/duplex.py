"""Manual duplex on a one-sided printer: the fronts, the stack put back, the backs."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from handouts.errors import ExitStatus, InputError, shown
from handouts.printing.cups import Printer, Submission, submit, tell_dry_run


def print_both_sides(printer: Printer, path: Path, pages: int, name: str, common,
                     variant: str, *, copies: int, dry_run: bool, tell, ask) -> int:
    """Print the fronts of every sheet, have the stack put back, print the backs.

    The person turns the stack over along its long side (the edge that went in first goes
    in first again): for a booklet's short-edge flip every back is therefore turned
    upside down; with face-down output the first sheet is then on top, so the backs go
    in sheet order, with face-up output (the stack is not turned over) in reverse order.
    """
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(path)
    sheets = math.ceil(pages / 2)
    face_up = printer.output_bin == "face-up"
    order = [(copy, s) for copy in range(copies) for s in range(sheets)]
    fronts, backs = PdfWriter(), PdfWriter()
    for _, s in order:
        fronts.add_page(reader.pages[2 * s])
    for _, s in (reversed(order) if face_up else order):
        if 2 * s + 1 < pages:
            page = backs.add_page(reader.pages[2 * s + 1])
            if variant == "booklet":
                page.rotate(180)
        else:  # the last sheet of an odd page count: a blank back keeps the stack in step
            box = reader.pages[2 * s].mediabox
            backs.add_blank_page(float(box.width), float(box.height))
    total = len(order)
    with tempfile.TemporaryDirectory(prefix="handouts-print-") as tmp:
        files = []
        for which, writer in (("fronts", fronts), ("backs", backs)):
            file = Path(tmp, f"{path.stem}-{which}.pdf")
            with open(file, "wb") as out:
                writer.write(out)
            files.append(Submission(printer.queue, file, total, f"{name} · {which}", (
                ("copies", "1"), ("sides", "one-sided"), *common)))
        if dry_run:
            tell_dry_run(tell, printer, files, path)
            tell(_put_back(face_up, total))
            return ExitStatus.SUCCESS
        job_id = submit(files[0])
        tell(f"sent the fronts of {total} sheet{'s' if total != 1 else ''} of {shown(path)} "
             f"to {printer.queue} as job {job_id}")
        tell(_put_back(face_up, total))
        if not ask("Press Enter when the stack is back in the tray (Ctrl-C to stop): "):
            raise InputError.at(None, None, "the backs were not printed (no Enter)",
                                "put the stack back and run the same command with "
                                "--manual-duplex again, or print the backs from the fronts' "
                                "stack by hand")
        job_id = submit(files[1])
    tell(f"sent the backs to {printer.queue} as job {job_id}")
    return ExitStatus.SUCCESS


def _put_back(face_up: bool, sheets: int) -> str:
    stack = f"the {sheets} printed sheet{'s' if sheets != 1 else ''}"
    if face_up:
        how = (f"When the fronts are out, take {stack} from the output tray as they lie "
               "(printed sides up, the last sheet on top); do not turn or reorder them.")
    else:
        how = (f"When the fronts are out, take {stack} from the output tray and turn the "
               "stack over like a page of a book (left to right): printed sides up, the "
               "first sheet on top.")
    return (f"{how} Put the stack into the paper tray that way, the edge that went into the "
            "printer first going in first again (this is for trays that print on the "
            "underside, as most office printers do; if yours prints on the top side, try "
            "one sheet first).")
