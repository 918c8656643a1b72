"""Print a published handout on a CUPS printer: build it, ask the printer, submit it.

    build     the one output (article x variant x paper x clinic), incrementally,
              through `handouts.batch.run`, as `handouts build` would
    file      the published PDF, checked against dist/manifest.json (sha256): what is
              printed is what was published; its page size gives the `media`
    ask       IPP Get-Printer-Attributes (``ipptool``): state, sides, media, output bin
    submit    ``lp`` with the job attributes the variant needs: sides (long edge for
              handouts and large print, short edge for imposed booklets), media,
              print-scaling=none (actual size), copies, and a job name with the title,
              edition and content fingerprint

CUPS is reached only through its own command-line clients (Debian's cups-client and
cups-ipp-utils; macOS ships them): ``lpstat -d`` names the default queue, ``ipptool``
asks the printer, ``lp`` submits. They find the server as every CUPS program does
(``CUPS_SERVER``, then client.conf, then the local scheduler), so ``CUPS_SERVER`` points
the whole command at another CUPS. Each call is bounded by ``HANDOUTS_PRINT_TIMEOUT``
seconds (default 10). A printer that cannot print two-sided gets a booklet only with
``--manual-duplex``: the fronts, instructions for putting the stack back, then the backs.
"""

from __future__ import annotations

import math
import os
import plistlib
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from .batch import BatchOptions, Progress, run
from .clinics import QUEUE_NAME
from .config import Config, did_you_mean
from .errors import ExitStatus, InputError
from .variants import MM, SHEETS, make_variant

#: What each printable variant needs from a duplex unit (None: press is not printed here).
SIDES = {"handout": "two-sided-long-edge", "large-print": "two-sided-long-edge",
         "booklet": "two-sided-short-edge"}
#: IPP (PWG 5101.1) media names of the sheets we print on.
MEDIA = {"a4": "iso_a4_210x297mm", "letter": "na_letter_8.5x11in"}
PAPER_NAMES = {"a4": "A4", "letter": "Letter"}
#: printer-state values (RFC 8011).
_STOPPED = 5
_ATTRIBUTES = ("printer-name", "printer-make-and-model", "printer-state",
               "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
               "sides-supported", "media-supported", "media-ready", "output-bin-default",
               "print-scaling-supported")
_GET_PRINTER_ATTRIBUTES = """{
  NAME "Get-Printer-Attributes"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $user
  ATTR keyword requested-attributes %s
}
""" % ",".join(_ATTRIBUTES)
_PWG_SIZE = re.compile(r"_(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(mm|in)$")


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


@dataclass(frozen=True)
class Printer:
    """A CUPS queue as IPP Get-Printer-Attributes describes it."""

    queue: str
    uri: str
    make_and_model: str
    state: int  # 3 idle, 4 processing, 5 stopped
    state_message: str
    accepting: bool
    sides: tuple[str, ...]
    media: tuple[str, ...]
    output_bin: str  # "face-down", "face-up", … ("" when the printer does not say)

    def takes(self, media: str) -> bool:
        """Whether `media` (a PWG name) is among its sizes, by name or by dimensions."""
        return media in self.media or any(_same_size(media, m) for m in self.media)


@dataclass(frozen=True)
class Submission:
    """One job to send: the queue, the file, and the IPP job attributes."""

    queue: str
    file: Path
    pages: int
    job_name: str
    attributes: tuple[tuple[str, str], ...]  # (name, value) in the order they are shown

    def lp_args(self) -> list[str]:
        args = ["lp", "-d", self.queue, "-t", self.job_name]
        for name, value in self.attributes:
            args += ["-n", value] if name == "copies" else ["-o", f"{name}={value}"]
        return [*args, str(self.file)]


def print_article(config: Config, slug: str, options: PrintOptions, *,
                  progress: Progress | None = None, tell: Callable[[str], None] = print,
                  ask: Callable[[str], bool] = lambda prompt: False) -> int:
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
    job = (report.unchanged or [r.job for r in report.built])[0]

    # the published file
    from .manifest import read_manifest

    manifest = read_manifest(config.output_dir)
    article = (manifest.get("articles") or {}).get(job.slug) or {}
    if article.get("draft"):
        from .variants import _draft_line

        raise InputError.at(job.article, _draft_line(job.article),
                            "a draft ('draft: true') is not printed for patients",
                            "finish the medical review and remove 'draft: true'")
    variant = make_variant(job.variant, job.paper, config=config)
    path, entry = _published(config, manifest, job.output_name(variant.piece_suffixes[0]))
    pages, media = _read_pdf(path, job.paper, landscape=job.variant == "booklet")

    # the printer
    queue = options.printer or (clinic.printer if clinic else "") or default_queue()
    printer = printer_attributes(queue)
    _check_printer(printer, media, job.paper)
    name = job_name(entry.get("title") or job.slug, job.variant, entry.get("edition"),
                    article.get("content_sha256"))
    sides = SIDES[job.variant] if pages > 1 else "one-sided"
    common = (("media", media), ("print-scaling", "none"),
              ("document-format", "application/pdf"))
    shown = _shown(path)

    if sides == "one-sided" or sides in printer.sides:
        single = Submission(queue, path, pages, name, (
            ("copies", str(options.copies)), ("sides", sides), *common))
        if options.dry_run:
            _tell_dry_run(tell, printer, [single], shown)
            return ExitStatus.SUCCESS
        job_id = submit(single)
        sheets = math.ceil(pages / (1 if sides == "one-sided" else 2)) * options.copies
        tell(f"sent {shown} to {queue} as job {job_id}: {options.copies} "
             f"cop{'y' if options.copies == 1 else 'ies'}, {pages} pages on {sheets} "
             f"{PAPER_NAMES[job.paper]} sheet{'s' if sheets != 1 else ''}, {sides}, actual size")
        return ExitStatus.SUCCESS

    if not options.manual_duplex:
        if job.variant == "booklet":
            raise InputError.at(None, None, f"printer '{queue}' cannot print two-sided, and a "
                                "booklet needs both sides (flipped on the short edge)",
                                "rerun with --manual-duplex: it prints the fronts, tells you how "
                                "to put the stack back, then prints the backs")
        tell(f"note: printer '{queue}' cannot print two-sided: printing one-sided "
             "(--manual-duplex prints both sides in two passes)")
        single = Submission(queue, path, pages, name, (
            ("copies", str(options.copies)), ("sides", "one-sided"), *common))
        if options.dry_run:
            _tell_dry_run(tell, printer, [single], shown)
            return ExitStatus.SUCCESS
        job_id = submit(single)
        tell(f"sent {shown} to {queue} as job {job_id}: {options.copies} "
             f"cop{'y' if options.copies == 1 else 'ies'}, {pages} pages, one-sided, actual size")
        return ExitStatus.SUCCESS

    return _manual_duplex(printer, path, pages, name, common, job.variant, options, tell, ask)


# ---------------------------------------------------------------------------------------
# The published file


def _published(config: Config, manifest: dict, name: str) -> tuple[Path, dict]:
    """The file the build published as `name`, unchanged since (its sha256)."""
    import hashlib

    entry = next((o for o in manifest.get("outputs", []) if o.get("path") == name), None)
    path = config.output_dir / name
    if entry is None or not path.is_file():
        raise InputError.at(path, None, "not published by this build",
                            "rebuild it: handouts --force SLUG")
    if hashlib.sha256(path.read_bytes()).hexdigest() != entry.get("sha256"):
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


def _same_size(a: str, b: str) -> bool:
    ma, mb = _PWG_SIZE.search(a), _PWG_SIZE.search(b)
    if not (ma and mb) or "fullbleed" in b or "fullbleed" in a:
        return False

    def mm(m):
        k = 25.4 if m.group(3) == "in" else 1.0
        return sorted((float(m.group(1)) * k, float(m.group(2)) * k))

    return all(abs(x - y) < 1.0 for x, y in zip(mm(ma), mm(mb)))


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------
# CUPS: the default queue, the printer's attributes, submitting


def _timeout() -> float:
    try:
        value = float(os.environ.get("HANDOUTS_PRINT_TIMEOUT", "10"))
    except ValueError:
        value = 10.0
    return value if math.isfinite(value) and value > 0 else 10.0


def _cups(args: list[str], what: str) -> subprocess.CompletedProcess:
    """Run a CUPS client in the C locale (its messages are parsed), bounded in time."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        return subprocess.run(args, capture_output=True, env=env, timeout=_timeout() + 5,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise InputError.at(None, None, f"{args[0]} not found: printing needs CUPS's "
                            "command-line tools",
                            "install them (Debian, Ubuntu: apt install cups-client "
                            "cups-ipp-utils; macOS has them)") from None
    except subprocess.TimeoutExpired:
        raise InputError.at(None, None, f"the print server at {server()} did not answer "
                            f"{what} within {_timeout() + 5:g} s",
                            "check that CUPS is running there (lpstat -r), or set "
                            "HANDOUTS_PRINT_TIMEOUT") from None


def server() -> str:
    """The CUPS server as CUPS clients find it: CUPS_SERVER, client.conf's ServerName,
    else the local scheduler."""
    value = os.environ.get("CUPS_SERVER", "").strip()
    if not value:
        for conf in (Path.home() / ".cups" / "client.conf", Path("/etc/cups/client.conf")):
            try:
                text = conf.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            m = re.search(r"^\s*ServerName\s+(\S+)", text, re.M | re.I)
            if m:
                value = m.group(1)
                break
    if not value:
        sock = Path("/run/cups/cups.sock")
        value = str(sock) if sock.exists() else f"localhost:{os.environ.get('IPP_PORT', '631')}"
    return value


def queue_uri(queue: str) -> str:
    """The IPP URI of `queue` on the CUPS server (a domain socket as ``%2F…``)."""
    host = server()
    if host.startswith("/"):
        host = quote(host, safe="")
    elif ":" not in host.rsplit("]", 1)[-1]:
        host += f":{os.environ.get('IPP_PORT', '631')}"
    return f"ipp://{host}/printers/{quote(queue, safe='')}"


def default_queue() -> str:
    """The queue ``lp`` would use with no ``-d`` (LPDEST, PRINTER, lpoptions, the server's)."""
    done = _cups(["lpstat", "-d"], "lpstat -d")
    m = re.search(r"system default destination:\s*(\S+)", done.stdout.decode("utf-8", "replace"))
    if done.returncode == 0 and m:
        return m.group(1)
    _unreachable(done.stderr)
    raise InputError.at(None, None, f"no printer given, and the print server at {server()} "
                        "has no default printer",
                        "pass --printer QUEUE (lpstat -p lists them), or add printer = \"…\" to "
                        "the clinic's profile in handouts.toml")


def _unreachable(stderr: bytes) -> None:
    text = stderr.decode("utf-8", "replace").strip()
    if re.search(r"unable to connect|connection refused|host is down|no route|"
                 r"scheduler is not running|Bad file descriptor", text, re.I):
        raise InputError.at(None, None, f"cannot reach the print server at {server()} "
                            f"({text.splitlines()[-1][:200]})",
                            "start CUPS there (or set CUPS_SERVER to the right server)")


def printer_attributes(queue: str) -> Printer:
    """Ask `queue` what it supports and how it is (IPP Get-Printer-Attributes)."""
    if not QUEUE_NAME.fullmatch(queue):
        raise InputError.at(None, None, f"'{queue}' is not a CUPS queue name",
                            "give the name `lpstat -p` lists")
    uri = queue_uri(queue)
    with tempfile.TemporaryDirectory(prefix="handouts-print-") as tmp:
        test = Path(tmp, "get-printer-attributes.test")
        test.write_text(_GET_PRINTER_ATTRIBUTES, encoding="utf-8")
        done = _cups(["ipptool", "-X", "-T", f"{_timeout():g}", uri, str(test)],
                     f"Get-Printer-Attributes for '{queue}'")
    try:
        result = plistlib.loads(done.stdout)
    except Exception:  # no plist: ipptool failed before it started
        _unreachable(done.stderr)
        raise InputError.at(None, None, f"cannot ask printer '{queue}' at {uri}: "
                            f"{done.stderr.decode('utf-8', 'replace').strip()[:200]}",
                            "check the print server (lpstat -r)") from None
    tests = result.get("Tests") or []
    if not tests:
        message = str(result.get("ErrorMessage") or "no answer")
        raise InputError.at(None, None, f"cannot reach the print server at {server()} "
                            f"({message[:200]})",
                            "start CUPS there (or set CUPS_SERVER to the right server)")
    status = tests[0].get("StatusCode", "")
    if status == "client-error-not-found":
        names = _queues()
        raise InputError.at(None, None, f"printer '{queue}' does not exist on the print "
                            f"server at {server()}",
                            did_you_mean(queue, names) or (
                                f"use one of {', '.join(names)} (--printer QUEUE)" if names
                                else "add the printer to CUPS first (lpadmin, or the system's "
                                     "printer settings)"))
    if not status.startswith("successful-ok"):
        raise InputError.at(None, None, f"printer '{queue}' did not answer: {status or 'error'}",
                            "check the print server (lpstat -p)")
    attrs: dict = {}
    for group in tests[0].get("ResponseAttributes") or []:
        attrs.update(group)

    def many(key):
        value = attrs.get(key, ())
        return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

    return Printer(queue=queue, uri=uri, make_and_model=str(attrs.get("printer-make-and-model", "")),
                   state=int(attrs.get("printer-state", 3)),
                   state_message=str(attrs.get("printer-state-message", "")),
                   accepting=bool(attrs.get("printer-is-accepting-jobs", True)),
                   sides=many("sides-supported"), media=many("media-supported"),
                   output_bin=str(attrs.get("output-bin-default", "")))


def _queues() -> list[str]:
    done = _cups(["lpstat", "-e"], "lpstat -e")
    return done.stdout.decode("utf-8", "replace").split() if done.returncode == 0 else []


def _check_printer(printer: Printer, media: str, paper: str) -> None:
    q = printer.queue
    if printer.state == _STOPPED:
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


def submit(job: Submission) -> str:
    """Send `job` with ``lp``: -> the job id CUPS gave it (``office-12``)."""
    done = _cups(job.lp_args(), f"the job for '{job.queue}'")
    out = done.stdout.decode("utf-8", "replace")
    m = re.search(r"request id is (\S+)", out)
    if done.returncode != 0 or not m:
        _unreachable(done.stderr)
        message = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
        message = message.splitlines()[-1] if message else f"lp exited {done.returncode}"
        raise InputError.at(None, None, f"printer '{job.queue}' refused the job: {message[:200]}",
                            "check the printer (lpstat -p) and try again")
    return m.group(1)


def _tell_dry_run(tell, printer: Printer, jobs: list[Submission], shown: str) -> None:
    tell(f"queue: {printer.queue} ({printer.make_and_model or 'printer'}) at {printer.uri}")
    for number, job in enumerate(jobs, start=1):
        label = f"job {number} of {len(jobs)}: " if len(jobs) > 1 else ""
        tell(f"{label}file: {_shown(job.file) if len(jobs) > 1 else shown} ({job.pages} pages)")
        tell(f"  job-name: {job.job_name}")
        for name, value in job.attributes:
            tell(f"  {name}: {value}")
    tell("dry run: nothing was sent")


# ---------------------------------------------------------------------------------------
# Manual duplex: fronts, the stack back in the tray, backs


def _manual_duplex(printer: Printer, path: Path, pages: int, name: str, common, variant: str,
                   options: PrintOptions, tell, ask) -> int:
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
    order = [(copy, s) for copy in range(options.copies) for s in range(sheets)]
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
        if options.dry_run:
            _tell_dry_run(tell, printer, files, _shown(path))
            tell(_put_back(face_up, total))
            return ExitStatus.SUCCESS
        job_id = submit(files[0])
        tell(f"sent the fronts of {total} sheet{'s' if total != 1 else ''} of {_shown(path)} "
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
