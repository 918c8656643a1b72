"""Clinic profiles: ``[clinics.<id>]`` tables of handouts.toml -> `Clinic`.

A clinic prints the handouts under its own name: its name, address, phone, website and
logo go on the first and the last page (a booklet's cover and back cover), and the footer
says "Questions? Call <clinic> at <phone>" in the article's language.

```toml
[clinics.riverside]
name = "Riverside Family Clinic"          # required
address = "12 River Road, Springfield"
phone = "+1 555 0100"
website = "https://riverside.example.org" # a QR code when the article has no source_url
logo = "clinics/riverside.svg"            # PNG or SVG inside the project, relative to handouts.toml
questions = "Questions? Ask at the front desk or call +1 555 0100."   # replaces the footer line
languages = ["en", "fil"]                 # the languages it hands out (default: all)
printer = "Front_Desk"                    # its CUPS queue for `handouts print` (default: the system's)
```

Every problem is reported with the line of the key (or of the table's header) in
handouts.toml. The logo is read here and embedded as a ``data:`` URI, so rendering never
reads outside the article's folder; an SVG logo is sanitized first.
"""

from __future__ import annotations

import base64
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from handouts.guard import limits as limits_mod
from handouts.guard import paths
from handouts.errors import BIDI, INVISIBLE, Diagnostic

KEYS = ("name", "address", "phone", "website", "logo", "questions", "languages", "printer")
TEXT_KEYS = ("name", "address", "phone", "website", "logo", "questions", "printer")
LOGO_TYPES = (".png", ".svg")
_LANG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
#: A CUPS queue name: printable, no space, '/', '#', '\\' or quotes; never an option.
QUEUE_NAME = re.compile(r"[^\s/#\\'\"\x00-\x1f\x7f-]([^\s/#\\'\"\x00-\x1f\x7f]{0,126})")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Clinic:
    """A clinic's own details, printed on its copies of the handouts."""

    id: str
    name: str
    address: str = ""
    phone: str = ""
    website: str = ""
    logo: str = ""  # as written in handouts.toml (relative to the project)
    logo_uri: str = ""  # the logo, embedded: data:image/png or data:image/svg+xml
    questions: str = ""  # replaces the "Questions? Call <clinic> at <phone>" line
    languages: tuple[str, ...] = ()  # empty: every language
    printer: str = ""  # its CUPS queue for `handouts print` ("": the system default)

    def serves(self, lang: str) -> bool:
        """Whether the clinic hands out articles in `lang` (``vi-VN`` matches ``vi``)."""
        if not self.languages:
            return True
        tags = {lang.lower(), lang.split("-")[0].lower()}
        return any(t.lower() in tags for t in self.languages)


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


class _Lines:
    """Line numbers of ``[clinics.<id>]`` headers and their keys (tomllib keeps none)."""

    def __init__(self, text: str):
        self.lines = text.split("\n")

    def header(self, clinic_id: str) -> int | None:
        pattern = re.compile(rf"^\s*\[\s*clinics\s*\.\s*[\"']?{re.escape(clinic_id)}[\"']?\s*\]")
        for i, line in enumerate(self.lines):
            if pattern.match(line):
                return i + 1
        for i, line in enumerate(self.lines):  # clinics.<id> = { … } or a [clinics] table
            if re.match(rf"^\s*(clinics\s*\.\s*)?[\"']?{re.escape(clinic_id)}[\"']?\s*=", line):
                return i + 1
        return None

    def key(self, clinic_id: str, key: str) -> int | None:
        start = self.header(clinic_id)
        if start is None:
            return None
        if not re.match(r"^\s*\[", self.lines[start - 1]):
            return start  # an inline table: the whole profile is on that line
        for i in range(start, len(self.lines)):
            line = self.lines[i]
            if re.match(r"^\s*\[", line):
                break
            if re.match(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
                return i + 1
        return start


def clean_svg(text: str) -> str:
    """Sanitize an SVG logo as article SVGs are (no scripts, styles, fonts, outside refs)."""
    from handouts.guard.svg import clean_svg as clean

    return clean(text)


def _read_logo(value: str, root: Path, fail, limits=None) -> str:
    """The logo as a data: URI, or "" after reporting what is wrong with it via `fail`.
    The file is opened only once it is known to be a regular file inside the project; a
    PNG is judged by its header against the article images' `Limits.image_pixels`."""
    path = root / value
    if len(urlsplit(value).scheme) > 1:  # https:, data: (a one-letter scheme is a drive)
        fail(f"logo '{value}' must be a file inside the project",
             "give a path relative to handouts.toml, e.g. logo = \"clinics/logo.svg\"")
        return ""
    if path.suffix.lower() not in LOGO_TYPES:
        fail(f"logo '{value}' is not a PNG or SVG file", "save the logo as .png or .svg")
        return ""
    if not path.exists() and not path.is_symlink():
        fail(f"logo '{value}' not found", "check the path (relative to handouts.toml; names are case-sensitive)")
        return ""
    max_bytes = limits_mod.get(limits, "style_bytes" if path.suffix.lower() == ".png" else "svg_bytes")
    data = paths.read_checked(path, [root], what=f"logo '{value}'", max_bytes=max_bytes, links=False)
    if isinstance(data, Diagnostic):
        hint = data.hint
        if "outside" in data.message:
            hint = "copy the logo into the project folder and name it relative to handouts.toml"
        fail(data.message.replace("(a symbolic link?)", "(a symbolic link or '..'?)"), hint)
        return ""
    if len(data) > max_bytes:
        name = "style_bytes" if path.suffix.lower() == ".png" else "svg_bytes"
        fail(f"logo '{value}' is " + limits_mod.over(name, path.stat().st_size, limits, "bytes"),
             limits_mod.hint(name, "make the logo smaller"))
        return ""
    if path.suffix.lower() == ".png":
        if not data.startswith(_PNG_MAGIC):
            fail(f"logo '{value}' is not a PNG image", "export the logo again as PNG or SVG")
            return ""
        if problem := limits_mod.pixel_problem(data, limits, f"logo '{value}'"):
            fail(*problem)
            return ""
        return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    try:
        svg = clean_svg(data.decode("utf-8"))
    except Exception as exc:  # an XML parser's error, a decode error: the file is bad
        reason = str(exc).split("\n")[0] or type(exc).__name__
        fail(f"logo '{value}' is not a usable SVG ({reason})",
             getattr(exc, "hint", "export the logo again as plain SVG or PNG"))
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def parse_clinics(entries, path: Path, text: str, root: Path,
                  limits=None) -> tuple[dict[str, Clinic], list[Diagnostic]]:
    """The ``clinics`` table of handouts.toml -> ({id: Clinic}, problems).

    Text values are held to the front matter's rules: control characters (TOML escapes
    such as ``\\u001b``) and bidi overrides are errors here -- handouts.toml is the
    project's own file, edited once, so it is fixed rather than cleaned silently."""
    lines = _Lines(text)
    problems: list[Diagnostic] = []
    clinics: dict[str, Clinic] = {}
    if entries is None:
        return clinics, problems
    if not isinstance(entries, dict):
        problems.append(Diagnostic(path, None, "'clinics' must be tables [clinics.<id>]",
                                   "write [clinics.riverside] followed by name = \"…\""))
        return clinics, problems
    for clinic_id, entry in entries.items():
        where = f"[clinics.{clinic_id}]"
        header = lines.header(clinic_id)

        def fail(message, hint, key=None):
            line = lines.key(clinic_id, key) if key else header
            problems.append(Diagnostic(path, line, message, hint))

        if not isinstance(entry, dict):
            fail(f"{where} must be a table", "name = \"…\"")
            continue
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", clinic_id):
            fail(f"clinic id '{clinic_id}' is not usable in a folder name",
                 "use letters, digits, '-' and '_' only")
        ok = True
        for key, value in entry.items():
            if key not in KEYS:
                fail(f"unknown key '{key}' in {where}",
                     _did_you_mean(key, KEYS) or f"use {', '.join(KEYS)}", key)
                ok = False
            elif key == "languages":
                if not isinstance(value, list) or not all(isinstance(v, str) and _LANG.match(v) for v in value):
                    fail(f"'languages' in {where} must be a list of language tags",
                         "write e.g. languages = [\"en\", \"fil\"]", key)
                    ok = False
            elif not isinstance(value, str):
                fail(f"'{key}' in {where} must be text", f"got {value!r}", key)
                ok = False
            elif m := (INVISIBLE.search(value) or BIDI.search(value)):
                fail(f"invisible character U+{ord(m.group()):04X} in '{key}' of {where}",
                     "delete it (escapes such as \\u001b or \\u202e are not allowed here)", key)
                ok = False
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            fail(f"{where} has no name", "add name = \"…\"")
            continue
        values = {k: entry[k].strip() for k in TEXT_KEYS if isinstance(entry.get(k), str)}
        website = values.get("website", "")
        if website and (too_long := limits_mod.qr_url_problem(website)):
            fail(f"'website' in {where} {too_long[0]}", too_long[1], "website")
            ok = False
        elif website and urlsplit(website).scheme not in ("http", "https"):
            fail(f"'website' in {where} must be an http(s) address",
                 "write the full address, e.g. https://clinic.example.org", "website")
            ok = False
        printer = values.get("printer", "")
        if printer and not QUEUE_NAME.fullmatch(printer):
            fail(f"'printer' in {where} is not a CUPS queue name",
                 "give the queue's name as `lpstat -p` lists it, e.g. printer = \"Front_Desk\"",
                 "printer")
            ok = False
        logo_uri = ""
        if values.get("logo"):
            before = len(problems)
            logo_uri = _read_logo(values["logo"], root,
                                  lambda m, h: fail(f"{where} {m}", h, "logo"), limits)
            ok = ok and len(problems) == before
        if ok:
            languages = tuple(entry.get("languages") or ())
            clinics[clinic_id] = Clinic(clinic_id, logo_uri=logo_uri, languages=languages, **values)
    return clinics, problems
