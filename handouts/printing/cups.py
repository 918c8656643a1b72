"""The CUPS client: the default queue, a printer's attributes, submitting a job.

CUPS is reached only through its own command-line clients (Debian's cups-client and
cups-ipp-utils; macOS ships them): ``lpstat -d`` names the default queue, ``ipptool``
asks the printer (IPP Get-Printer-Attributes), ``lp`` submits. They find the server as
every CUPS program does (``CUPS_SERVER``, then client.conf, then the local scheduler), so
``CUPS_SERVER`` points the whole command at another CUPS. Each call is bounded by
``HANDOUTS_PRINT_TIMEOUT`` seconds (default 10) and runs in the C locale, since its
messages are parsed.
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
from urllib.parse import quote

from handouts.errors import InputError, did_you_mean, shown
from handouts.project.clinics import QUEUE_NAME

#: printer-state values (RFC 8011).
STOPPED = 5
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



def _same_size(a: str, b: str) -> bool:
    ma, mb = _PWG_SIZE.search(a), _PWG_SIZE.search(b)
    if not (ma and mb) or "fullbleed" in b or "fullbleed" in a:
        return False

    def mm(m):
        k = 25.4 if m.group(3) == "in" else 1.0
        return sorted((float(m.group(1)) * k, float(m.group(2)) * k))

    return all(abs(x - y) < 1.0 for x, y in zip(mm(ma), mm(mb)))



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



def tell_dry_run(tell, printer: Printer, jobs: list[Submission], path: Path) -> None:
    """What a dry run shows: the queue, then each job's file and attributes."""
    tell(f"queue: {printer.queue} ({printer.make_and_model or 'printer'}) at {printer.uri}")
    for number, job in enumerate(jobs, start=1):
        label = f"job {number} of {len(jobs)}: " if len(jobs) > 1 else ""
        tell(f"{label}file: {shown(job.file if len(jobs) > 1 else path)} ({job.pages} pages)")
        tell(f"  job-name: {job.job_name}")
        for name, value in job.attributes:
            tell(f"  {name}: {value}")
    tell("dry run: nothing was sent")
