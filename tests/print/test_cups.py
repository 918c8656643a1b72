"""`handouts print` against a real CUPS: a private `cupsd` with its own queues.

The fixture starts `cupsd -f` with a private ServerRoot listening only on a Unix socket
of its own (CUPS_SERVER points there, so no system CUPS is touched), adds the queues, and
stops it at the end. Queues print to /dev/null through real drivers:

    office    Generic PDF Printer (cups-filters): duplex, A4 and Letter; the default
    desk      the Generic PDF Printer's PPD without its duplex unit: one-sided only,
              stacking face down
    desk_up   the same, stacking face up
    us_only   the Generic PDF Printer's PPD without A4 (a US printer)
    broken    like office, but stopped ("out of toner")

Every job is read back over IPP (ipptool Get-Job-Attributes) once CUPS has run it through
its filters; CUPS keeps the submitted documents (PreserveJobFiles), so the manual-duplex
test reads back the very PDFs it sent.
"""

from __future__ import annotations

import io
import math
import os
import plistlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import copy_project

GENERIC_PDF_PPD = Path("/usr/share/ppd/cupsfilters/Generic-PDF_Printer-PDF.ppd")
SLUG = "fictional-rest-guide"
TITLE = "Resting Well After a Fictional Illness"

_GET_JOB = """{
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job_id
  ATTR name requesting-user-name $user
}
"""


class Cups:
    """The private scheduler: its socket, spool folder and helpers to read jobs back."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.socket = folder / "cups.sock"
        self.spool = folder / "spool"
        self.env = {**os.environ, "CUPS_SERVER": str(self.socket), "LC_ALL": "C"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        for sub in ("root", "spool", "cache", "state", "tmp", "log"):
            (self.folder / sub).mkdir()
        f = self.folder
        (f / "cups-files.conf").write_text(
            f"ServerRoot {f}/root\nRequestRoot {f}/spool\nCacheDir {f}/cache\n"
            f"StateDir {f}/state\nTempDir {f}/tmp\nAccessLog {f}/log/access_log\n"
            f"ErrorLog {f}/log/error_log\nPageLog {f}/log/page_log\n"
            f"Printcap {f}/printcap\nFileDevice Yes\n")
        (f / "cupsd.conf").write_text(
            f"Listen {self.socket}\nBrowsing No\nWebInterface No\nLogLevel info\n"
            "DefaultAuthType None\nPreserveJobFiles Yes\nMaxJobs 0\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n")
        self.process = subprocess.Popen(
            ["cupsd", "-f", "-c", str(f / "cupsd.conf"), "-s", str(f / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while self.run("lpstat", "-r", check=False).stdout != "scheduler is running\n":
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (f / "log" / "error_log")
                raise RuntimeError("cupsd did not start: " + (
                    log.read_text()[-2000:] if log.exists() else "no log"))
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=30)
        if check and done.returncode:
            raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")
        return done

    def uri(self, queue: str) -> str:
        return f"ipp://{str(self.socket).replace('/', '%2F')}/printers/{queue}"

    def job(self, queue: str, job_id: int, *, done: bool = True) -> dict:
        """The job's attributes over IPP; with `done`, once CUPS has finished it."""
        test = self.folder / "get-job.test"
        test.write_text(_GET_JOB)
        deadline = time.monotonic() + 30
        while True:
            out = self.run("ipptool", "-X", "-d", f"job_id={job_id}", self.uri(queue),
                           str(test)).stdout
            attrs: dict = {}
            for group in plistlib.loads(out.encode())["Tests"][0]["ResponseAttributes"]:
                attrs.update(group)
            if not done or attrs["job-state"] >= 6 or time.monotonic() > deadline:
                return attrs
            time.sleep(0.05)

    def job_ids(self, queue: str) -> list[int]:
        out = self.run("lpstat", "-W", "all", "-o", queue).stdout
        return sorted(int(m) for m in re.findall(rf"^{queue}-(\d+)\s", out, re.M))

    def document(self, job_id: int) -> Path:
        """The PDF CUPS received for the job (kept by PreserveJobFiles)."""
        return self.spool / f"d{job_id:05d}-001"


@pytest.fixture(scope="module")
def cups():
    if not shutil.which("cupsd") or not shutil.which("ipptool"):
        pytest.fail("CUPS is not installed: apt-get install cups cups-client cups-ipp-utils "
                    "cups-filters (setup.sh does)")
    # cupsd runs its filters as the lp user: the folder must be readable by others
    folder = Path(tempfile.mkdtemp(prefix="handouts-cups-"))
    folder.chmod(0o755)
    server = Cups(folder)
    try:
        server.start()
        (folder / "tmp").chmod(0o1777)
        ppd = GENERIC_PDF_PPD.read_text(encoding="latin-1")
        simplex = re.sub(r"\*JCLOpenUI \*(Duplex|manualduplex)/.*?\*JCLCloseUI: \*\1\n", "", ppd,
                         flags=re.S)
        assert simplex != ppd and "*Duplex " not in simplex
        face_up = simplex.replace("*JCLOpenUI *ColorModel", (
            "*OpenUI *OutputBin/Output Tray: PickOne\n*OrderDependency: 10 AnySetup *OutputBin\n"
            "*DefaultOutputBin: FaceUp\n*OutputBin FaceUp/Face Up: \"\"\n*CloseUI: *OutputBin\n\n"
            "*JCLOpenUI *ColorModel"), 1)
        us_only = "".join(
            line for line in ppd.splitlines(True)
            if not re.match(r"\*(PageSize|PageRegion|ImageableArea|PaperDimension) A4[./: ]", line))
        for name, text in (("desk", simplex), ("desk_up", face_up), ("us_only", us_only)):
            (folder / f"{name}.ppd").write_text(text, encoding="latin-1")
            server.run("lpadmin", "-p", name, "-E", "-v", "file:///dev/null",
                       "-P", str(folder / f"{name}.ppd"))
        server.run("lpadmin", "-p", "office", "-E", "-v", "file:///dev/null",
                   "-P", str(GENERIC_PDF_PPD))
        server.run("lpadmin", "-p", "broken", "-E", "-v", "file:///dev/null",
                   "-P", str(GENERIC_PDF_PPD))
        server.run("cupsdisable", "-r", "out of toner (test)", "broken")
        server.run("lpadmin", "-d", "office")
        yield server
    finally:
        server.stop()
        assert server.process is None or server.process.poll() is not None
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def printing_project(tmp_path_factory):
    """The fixture project; the riverside clinic prints on `office` by its profile, and a
    draft article sits beside the reviewed one."""
    root = copy_project(tmp_path_factory.mktemp("print"))
    toml = root / "handouts.toml"
    toml.write_text(toml.read_text() + 'printer = "us_only"\n')
    draft = root / "source" / "fictional-draft"
    shutil.copytree(root / "source" / SLUG, draft)
    text = (draft / "article.md").read_text()
    (draft / "article.md").write_text(text.replace("edition: 2\n", "edition: 2\ndraft: true\n", 1))
    return root


@pytest.fixture
def hand(cups, printing_project, monkeypatch, capsys):
    """Run `handouts --root PROJECT print …` in-process against the private CUPS, with
    `stdin` as standard input; -> (exit code, stdout, stderr, seconds)."""
    from handouts.cli import main

    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    monkeypatch.setenv("HANDOUTS_PRINT_TIMEOUT", "5")

    def run(*args: str, stdin: str = ""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        started = time.monotonic()
        code = main(["--root", str(printing_project), "print", *args])
        out, err = capsys.readouterr()
        return int(code), out, err, time.monotonic() - started

    return run


def _sent(out: str) -> list[tuple[str, int]]:
    return [(q, int(n)) for q, n in re.findall(r"as job (\S+?)-(\d+)", out)]


def _errors(err: str) -> list[str]:
    """The error lines (the build also prints the article's editorial warnings)."""
    return [line for line in err.splitlines() if re.search(r"(^|: )error: ", line)]


def _fingerprint(project: Path) -> str:
    import json

    manifest = json.loads((project / "dist" / "manifest.json").read_text())
    return manifest["articles"][SLUG]["content_sha256"][:12]


# ---------------------------------------------------------------------------------------
# Each variant, read back from CUPS


def test_handout_goes_long_edge_on_a4_at_actual_size(hand, cups, printing_project):
    code, out, err, _ = hand(SLUG, "--printer", "office", "--copies", "2")
    assert code == 0, err
    [(queue, job_id)] = _sent(out)
    job = cups.job(queue, job_id)
    pages = len(PdfReader(printing_project / "dist" / f"{SLUG}.pdf").pages)
    assert pages > 1
    assert job["sides"] == "two-sided-long-edge"
    assert job["media"] == "iso_a4_210x297mm"
    assert job["print-scaling"] == "none"
    assert job["copies"] == 2
    assert job["document-format"] == "application/pdf"
    assert job["job-name"] == f"{TITLE} · edition 2 · {_fingerprint(printing_project)}"
    assert job["job-state"] == 9  # completed: the filters took the file
    assert job["job-media-sheets-completed"] == math.ceil(pages / 2) * 2


def test_booklet_goes_short_edge_to_the_default_printer(hand, cups, printing_project):
    code, out, err, _ = hand(SLUG, "--variant", "booklet")
    assert code == 0, err
    [(queue, job_id)] = _sent(out)
    assert queue == "office"  # lpadmin -d office
    job = cups.job(queue, job_id)
    booklet = PdfReader(printing_project / "dist" / f"{SLUG}-booklet.pdf")
    assert float(booklet.pages[0].mediabox.width) > float(booklet.pages[0].mediabox.height)
    assert job["sides"] == "two-sided-short-edge"
    assert job["media"] == "iso_a4_210x297mm"  # the landscape sheet it is imposed on
    assert job["print-scaling"] == "none"
    assert job["copies"] == 1
    assert job["document-format"] == "application/pdf"
    assert job["job-name"].startswith(f"{TITLE} (booklet) · edition 2 · ")
    assert job["job-media-sheets-completed"] == len(booklet.pages) // 2


def test_large_print_on_letter_goes_to_the_clinics_printer(hand, cups, printing_project):
    code, out, err, _ = hand(SLUG, "--variant", "large-print", "--paper", "letter",
                             "--clinic", "riverside")
    assert code == 0, err
    [(queue, job_id)] = _sent(out)
    assert queue == "us_only"  # printer = "us_only" in [clinics.riverside]
    job = cups.job(queue, job_id)
    pdf = PdfReader(printing_project / "dist" / "clinics" / "riverside"
                    / f"{SLUG}-large-print-letter.pdf")
    assert job["sides"] == "two-sided-long-edge"
    assert job["media"] == "na_letter_8.5x11in"
    assert job["print-scaling"] == "none"
    assert job["document-format"] == "application/pdf"
    assert job["job-media-sheets-completed"] == math.ceil(len(pdf.pages) / 2)


def test_dry_run_shows_queue_file_and_attributes_and_sends_nothing(hand, cups):
    before = cups.job_ids("office")
    code, out, err, _ = hand(SLUG, "--printer", "office", "--variant", "booklet", "--dry-run")
    assert code == 0, err
    assert cups.job_ids("office") == before
    assert "queue: office (Generic PDF Printer)" in out
    assert f"{SLUG}-booklet.pdf" in out
    for line in ("sides: two-sided-short-edge", "media: iso_a4_210x297mm",
                 "print-scaling: none", "copies: 1", "document-format: application/pdf"):
        assert f"  {line}\n" in out
    assert "nothing was sent" in out


def test_an_unchanged_article_is_not_rebuilt_before_printing(hand, printing_project):
    hand(SLUG, "--printer", "office", "--dry-run")
    pdf = printing_project / "dist" / f"{SLUG}.pdf"
    before = pdf.stat().st_mtime_ns
    code, out, err, _ = hand(SLUG, "--printer", "office", "--dry-run")
    assert code == 0, err
    assert pdf.stat().st_mtime_ns == before
    assert "wrote" not in out


# ---------------------------------------------------------------------------------------
# A printer without duplex


def test_booklet_on_a_one_sided_printer_is_refused_with_the_fix(hand, cups):
    before = cups.job_ids("desk")
    code, out, err, _ = hand(SLUG, "--variant", "booklet", "--printer", "desk")
    assert code == 1
    [line] = _errors(err)
    assert "printer 'desk' cannot print two-sided" in line and "--manual-duplex" in line
    assert cups.job_ids("desk") == before


def test_manual_duplex_prints_fronts_then_backs_after_enter(hand, cups, printing_project):
    code, out, err, _ = hand(SLUG, "--variant", "booklet", "--printer", "desk",
                             "--manual-duplex", stdin="\n")
    assert code == 0, err
    booklet = PdfReader(printing_project / "dist" / f"{SLUG}-booklet.pdf")
    sheets = len(booklet.pages) // 2
    assert "turn the stack over like a page of a book" in out  # the DeskJet stacks face down
    assert "first sheet on top" in out
    assert "Press Enter" in err
    (q1, fronts_id), (q2, backs_id) = _sent(out)
    assert q1 == q2 == "desk" and fronts_id < backs_id
    fronts_job, backs_job = cups.job("desk", fronts_id), cups.job("desk", backs_id)
    for job in (fronts_job, backs_job):
        assert job["sides"] == "one-sided"
        assert job["media"] == "iso_a4_210x297mm"
        assert job["print-scaling"] == "none"
        assert job["job-media-sheets-completed"] == sheets
    assert fronts_job["job-name"].endswith(" · fronts")
    assert backs_job["job-name"].endswith(" · backs")
    # What CUPS received: the odd pages, then the even pages turned (short-edge flip)
    fronts, backs = PdfReader(cups.document(fronts_id)), PdfReader(cups.document(backs_id))
    assert [p.extract_text() for p in fronts.pages] == \
        [p.extract_text() for p in booklet.pages[0::2]]
    assert [p.extract_text() for p in backs.pages] == \
        [p.extract_text() for p in booklet.pages[1::2]]
    assert all(p.rotation == 180 for p in backs.pages)


def test_manual_duplex_on_a_face_up_printer_sends_the_backs_in_reverse(hand, cups,
                                                                       printing_project):
    code, out, err, _ = hand(SLUG, "--printer", "desk_up", "--manual-duplex", "--copies", "2",
                             stdin="\n")
    assert code == 0, err
    assert "as they lie (printed sides up, the last sheet on top)" in out
    handout = PdfReader(printing_project / "dist" / f"{SLUG}.pdf")
    texts = [p.extract_text() for p in handout.pages]
    fronts = texts[0::2] * 2
    backs = (texts[1::2] + [""] * (len(texts) % 2)) * 2  # an odd last sheet: a blank back
    (_, fronts_id), (_, backs_id) = _sent(out)
    assert [p.extract_text() for p in PdfReader(cups.document(fronts_id)).pages] == fronts
    sent = PdfReader(cups.document(backs_id)).pages
    assert [p.extract_text() for p in sent] == backs[::-1]
    assert all(p.rotation == 0 for p in sent)  # long-edge: the backs stay upright
    assert cups.job("desk_up", backs_id)["copies"] == 1  # the copies are in the files


def test_manual_duplex_without_enter_prints_only_the_fronts(hand, cups):
    before = cups.job_ids("desk")
    code, out, err, _ = hand(SLUG, "--variant", "booklet", "--printer", "desk",
                             "--manual-duplex", stdin="")
    assert code == 1
    assert len(cups.job_ids("desk")) == len(before) + 1
    assert "the backs were not printed" in err
    assert len(_errors(err)) == 1


def test_handout_on_a_one_sided_printer_prints_one_sided_and_says_so(hand, cups):
    code, out, err, _ = hand(SLUG, "--printer", "desk")
    assert code == 0, err
    assert "cannot print two-sided: printing one-sided" in out
    [(queue, job_id)] = _sent(out)
    assert cups.job(queue, job_id)["sides"] == "one-sided"


# ---------------------------------------------------------------------------------------
# Printers that cannot take the job; requests that are refused


def test_paper_the_printer_lacks_is_an_error_with_the_fix(hand, cups):
    before = cups.job_ids("us_only")
    code, out, err, _ = hand(SLUG, "--printer", "us_only")
    assert code == 1
    [line] = _errors(err)
    assert "printer 'us_only' has no A4 paper" in line and "--paper letter" in line
    assert cups.job_ids("us_only") == before


def test_a_stopped_printer_is_one_line(hand, cups):
    code, out, err, seconds = hand(SLUG, "--printer", "broken")
    assert code == 1
    [line] = _errors(err)
    assert "printer 'broken' is stopped: out of toner (test)" in line
    assert "cupsenable broken" in line
    assert cups.job_ids("broken") == []


def test_an_unknown_queue_gets_did_you_mean(hand, cups):
    code, out, err, _ = hand(SLUG, "--printer", "ofice")
    assert code == 1
    [line] = _errors(err)
    assert "printer 'ofice' does not exist" in line and "did you mean 'office'" in line


def test_an_unreachable_print_server_is_one_line_within_bounded_time(hand, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-cupsd-here.sock"))
    code, out, err, seconds = hand(SLUG, "--printer", "office")
    assert code == 1
    [line] = _errors(err)
    assert "cannot reach the print server" in line and "no-cupsd-here.sock" in line
    assert seconds < 10


def test_press_and_drafts_are_refused_in_one_line(hand, cups):
    before = cups.job_ids("office")
    code, out, err, _ = hand(SLUG, "--variant", "press", "--printer", "office")
    assert code == 1
    [line] = _errors(err)
    assert "print shop" in line
    code, out, err, _ = hand("fictional-draft", "--printer", "office")
    assert code == 1
    [line] = _errors(err)
    assert re.search(r"fictional-draft/article\.md:\d+: error: a draft", line)
    assert "not printed for patients" in line
    assert cups.job_ids("office") == before


def test_usage_errors_exit_2(hand):
    assert hand(SLUG, "--variant", "handout", "--variant", "booklet")[0] == 2
    assert hand(SLUG, "--variant", "all")[0] == 2
    assert hand()[0] == 2
    assert hand(SLUG, "--allow-draft")[0] == 2


def test_a_clinic_printer_that_is_no_queue_name_is_refused_at_its_line(tmp_path, cli):
    root = copy_project(tmp_path)
    toml = root / "handouts.toml"
    toml.write_text(toml.read_text() + 'printer = "front desk; rm -rf"\n')
    code, out, err = cli("--root", root, "check", SLUG)
    assert code == 1
    assert re.search(r"handouts\.toml:\d+: error: 'printer' in \[clinics\.riverside\] is not a "
                     "CUPS queue name", err)
