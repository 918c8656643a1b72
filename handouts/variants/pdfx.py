"""PDF/X-4 for the press variant: an OutputIntent with an embedded CMYK output profile,
the PDF/X identification in the XMP metadata, and fixed dates.

WeasyPrint 70's own ``pdf/x-4`` writes the XMP identification but no OutputIntent,
stamps the current time, draws a random xmpMM:DocumentID, and drops the PDF/UA-1
identification. So the press PDF is rendered like the others (tagged, PDF/UA-1) and made
PDF/X-4 here, with pypdf:

- ``/OutputIntents``: one ``/GTS_PDFX`` intent whose ``/DestOutputProfile`` is the CMYK
  profile (Ghostscript's ``default_cmyk.icc`` from Debian's libgs-common unless
  handouts.toml names a print shop's own with ``press_profile``). Its
  OutputConditionIdentifier is ``Custom`` (it is not a registered characterization) and
  its OutputCondition the profile's own description.
- ``/DefaultRGB``: WeasyPrint paints text and boxes in DeviceRGB; an ICC-based sRGB
  default colour space on every resource dictionary makes that colour defined (sRGB),
  so the print shop's RIP converts it to its press with the output profile.
- XMP: ``pdfxid:GTS_PDFXVersion`` = ``PDF/X-4``, ``pdf:Trapped`` False, xmp dates equal to
  the Info dates (the article's `updated` date, else SOURCE_DATE_EPOCH), an
  xmpMM:DocumentID derived from the file identifier (the same input, the same bytes);
  the metadata stream stays uncompressed, as PDF/X-4 asks.
- Info ``/Trapped /False``; the header says PDF 1.6 (PDF/X-4's base).
- No annotations in the printable area (PDF/X): WeasyPrint's link annotations are
  removed, with their OBJR references in the structure tree (a Link becomes a Span).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from handouts.errors import InputError

PDFX_VERSION = "PDF/X-4"
OUTPUT_CONDITION_IDENTIFIER = "Custom"

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "pdfxid": "http://www.npes.org/pdfx/ns/id/",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class OutputProfile:
    """A CMYK output (printer) ICC profile, ready to embed."""

    data: bytes
    description: str
    path: Path


def read_output_profile(path: Path, setting_file: Path | None = None) -> OutputProfile:
    """Read and check the CMYK output profile at `path`.

    `setting_file` is handouts.toml when the profile was named there (``press_profile``);
    errors then point at that line. A missing default profile says how to install it.
    """
    path = Path(path)
    where, line = (setting_file, _line_of(setting_file, "press_profile")) if setting_file else (path, None)
    shown = path
    if setting_file is not None:
        root = setting_file.parent.resolve()
        shown = Path(os.path.relpath(path, setting_file.parent))
        if not path.resolve().is_relative_to(root):
            raise InputError.at(where, line, f"press_profile {shown} is outside the project",
                                "copy the print shop's .icc file into the project folder "
                                "and give its path relative to handouts.toml")
    try:
        data = path.read_bytes()
    except OSError as exc:
        hint = ("check the path of press_profile in handouts.toml (relative to the project)"
                if setting_file else
                "install Debian's libgs-common (setup.sh does), or set press_profile = "
                "\"shop.icc\" in handouts.toml to the print shop's CMYK profile")
        raise InputError.at(where, line, f"cannot read the press variant's CMYK output profile "
                            f"{shown}: {exc.strerror or exc}", hint) from None
    problem = _icc_problem(data)
    if problem:
        raise InputError.at(where, line, f"{shown} is not a CMYK output profile: {problem}",
                            "ask the print shop for its ICC output profile (a CMYK printer profile)")
    return OutputProfile(data, _description(data) or path.stem, path)


def _icc_problem(data: bytes) -> str:
    if len(data) < 132 or data[36:40] != b"acsp":
        return "not an ICC profile"
    if data[16:20] != b"CMYK":
        return f"its colour space is {data[16:20].decode('latin-1').strip() or '?'}, not CMYK"
    if data[12:16] not in (b"prtr",):
        return f"its device class is {data[12:16].decode('latin-1')}, not an output (printer) profile"
    return ""


def _description(data: bytes) -> str:
    try:
        from PIL import ImageCms

        profile = ImageCms.ImageCmsProfile(io.BytesIO(data)).profile
        return (profile.profile_description or profile.model or "").strip()
    except Exception:  # Pillow without LittleCMS, or a profile it cannot read: the file name
        return ""


def _line_of(path: Path, key: str) -> int | None:
    try:
        for number, text in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            if text.strip().startswith(key) and text.split("=")[0].strip() == key:
                return number
    except OSError:
        pass
    return None


def _srgb_profile() -> bytes:
    """The ICC's sRGB profile WeasyPrint ships (free to copy and embed)."""
    from importlib.resources import files

    return files("weasyprint.pdf").joinpath("sRGB2014.icc").read_bytes()


def document_date(article, info_date: str | None = None) -> dt.datetime:
    """The date the PDF carries: the article's `updated` date, else SOURCE_DATE_EPOCH,
    else the date WeasyPrint wrote, else 1 January 1980 (never the clock)."""
    updated = article.updated
    if updated:
        return dt.datetime(updated.year, updated.month, updated.day, tzinfo=dt.timezone.utc)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    if info_date and len(info_date) >= 10 and info_date[2:10].isdigit():
        day = info_date[2:10]
        return dt.datetime(int(day[:4]), int(day[4:6]), int(day[6:8]), tzinfo=dt.timezone.utc)
    return dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)


def make_pdfx(data: bytes, profile: OutputProfile, article=None) -> bytes:
    """`data` (a finished press PDF) as PDF/X-4 with `profile` as its output intent."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (ArrayObject, DictionaryObject, NameObject, NumberObject,
                               StreamObject, TextStringObject)

    from handouts.variants.impose import flate_stream

    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = b"%PDF-1.6"
    info = reader.metadata or {}
    when = document_date(article, info.get("/CreationDate"))
    pdf_date = when.strftime("D:%Y%m%d%H%M%S") + "Z"
    xmp_date = when.strftime("%Y-%m-%dT%H:%M:%SZ")

    # Output intent with the embedded CMYK profile.
    dest = writer._add_object(flate_stream(profile.data, **{"/N": NumberObject(4)}))
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFX"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(OUTPUT_CONDITION_IDENTIFIER),
        NameObject("/OutputCondition"): TextStringObject(profile.description),
        NameObject("/Info"): TextStringObject(profile.description),
        NameObject("/DestOutputProfile"): dest,
    })
    root = writer._root_object
    root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])

    # PDF/X allows no annotations in the printable area: links are dropped (paper has none).
    _drop_annotations(writer)

    # DeviceRGB means sRGB: a DefaultRGB colour space wherever content is drawn.
    srgb = writer._add_object(flate_stream(_srgb_profile(), **{"/N": NumberObject(3)}))
    default_rgb = ArrayObject([NameObject("/ICCBased"), srgb])
    seen: set = set()
    for page in writer.pages:
        _add_default_rgb(page, default_rgb, seen)

    # Document information and XMP identification, with the same fixed dates.
    writer.add_metadata({"/CreationDate": pdf_date, "/ModDate": pdf_date})
    writer._info.get_object()[NameObject("/Trapped")] = NameObject("/False")
    file_id = b""
    if reader.trailer.get("/ID"):
        first = reader.trailer["/ID"][0].get_object()
        file_id = getattr(first, "original_bytes", None) or bytes(first)
    xmp = _xmp(root, xmp_date, file_id, article.edition)
    stream = StreamObject()
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    stream.set_data(xmp)
    root[NameObject("/Metadata")] = writer._add_object(stream)

    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _drop_annotations(writer) -> int:
    """Remove the pages' annotations (WeasyPrint's links) and their traces in the
    structure tree: the OBJR kids, the parent-tree entries; a Link element left with only
    its text becomes a Span, so the file stays well tagged. Returns how many went."""
    from pypdf.generic import ArrayObject, NameObject

    gone_ids, gone_parents = set(), set()
    for page in writer.pages:
        if "/Annots" not in page:
            continue
        for ref in page.raw_get("/Annots").get_object():
            annotation = ref.get_object()
            if hasattr(ref, "idnum"):
                gone_ids.add(ref.idnum)
            if "/StructParent" in annotation:
                gone_parents.add(int(annotation["/StructParent"]))
        del page["/Annots"]
    tree = writer._root_object.get("/StructTreeRoot")
    if tree is None or not gone_ids:
        return len(gone_ids)
    tree = tree.get_object()

    def is_gone(kid) -> bool:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if not isinstance(kid, dict) or kid.get("/Type") != "/OBJR":
            return False
        target = kid.raw_get("/Obj") if "/Obj" in kid else None
        return getattr(target, "idnum", None) in gone_ids

    seen: set = set()
    stack = [tree]
    while stack:
        element = stack.pop()
        element = element.get_object() if hasattr(element, "get_object") else element
        if not isinstance(element, dict) or id(element) in seen or "/K" not in element:
            continue
        seen.add(id(element))
        kids = element["/K"]
        listed = isinstance(kids, list)
        kids = list(kids) if listed else [kids]
        kept = [kid for kid in kids if not is_gone(kid)]
        if len(kept) != len(kids):
            if element.get("/S") == "/Link":
                element[NameObject("/S")] = NameObject("/Span")
            if not kept:
                del element["/K"]
            else:
                element[NameObject("/K")] = ArrayObject(kept) if listed or len(kept) > 1 else kept[0]
        stack.extend(kept)
    parents = tree.get("/ParentTree")
    if parents is not None and "/Nums" in parents.get_object():
        parents = parents.get_object()
        nums = list(parents["/Nums"])
        kept_nums = []
        for key, value in zip(nums[::2], nums[1::2]):
            if int(key) not in gone_parents:
                kept_nums += [key, value]
        parents[NameObject("/Nums")] = ArrayObject(kept_nums)
    return len(gone_ids)


def _add_default_rgb(holder, default_rgb, seen: set) -> None:
    """Put /DefaultRGB in the colour spaces of `holder`'s resources and of its forms'."""
    from pypdf.generic import DictionaryObject, NameObject

    resources = holder.get("/Resources")
    if resources is None:
        return
    resources = resources.get_object()
    if id(resources) in seen:
        return
    seen.add(id(resources))
    spaces = resources.get("/ColorSpace")
    if spaces is None:
        spaces = DictionaryObject()
        resources[NameObject("/ColorSpace")] = spaces
    spaces = spaces.get_object()
    spaces[NameObject("/DefaultRGB")] = default_rgb
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            _add_default_rgb(xobject, default_rgb, seen)
    for pattern in (resources.get("/Pattern") or {}).values():
        pattern = pattern.get_object()
        if "/Resources" in pattern:
            _add_default_rgb(pattern, default_rgb, seen)


def _xmp(root, date: str, file_id: bytes, edition: int) -> bytes:
    """The document's XMP packet with the PDF/X-4 identification and fixed dates added."""
    old = root.get("/Metadata")
    rdf = None
    if old is not None:
        text = old.get_object().get_data()
        start, end = text.find(b"<rdf:RDF"), text.rfind(b"</rdf:RDF>")
        if start >= 0 and end > start:
            try:
                rdf = ET.fromstring(text[start:end + len(b"</rdf:RDF>")])
            except ET.ParseError:
                rdf = None
    if rdf is None:
        rdf = ET.Element(f"{{{NS['rdf']}}}RDF")
    about = f"{{{NS['rdf']}}}about"
    replaced = {f"{{{NS['xmp']}}}CreateDate", f"{{{NS['xmp']}}}ModifyDate",
                f"{{{NS['xmp']}}}MetadataDate", f"{{{NS['pdfxid']}}}GTS_PDFXVersion",
                f"{{{NS['pdf']}}}Trapped"} | {f"{{{NS['xmpMM']}}}{k}" for k in
                                               ("DocumentID", "InstanceID", "VersionID", "RenditionClass")}
    for description in list(rdf):
        for child in list(description):
            if child.tag in replaced:
                description.remove(child)
        for key in list(description.attrib):
            if key in replaced:
                del description.attrib[key]
        if not len(description) and set(description.attrib) <= {about}:
            rdf.remove(description)
    ident = uuid.UUID(bytes=(file_id + bytes(16))[:16])
    description = ET.SubElement(rdf, f"{{{NS['rdf']}}}Description", {about: ""})
    for ns, key, value in (("pdfxid", "GTS_PDFXVersion", PDFX_VERSION),
                           ("pdf", "Trapped", "False"),
                           ("xmp", "CreateDate", date), ("xmp", "ModifyDate", date),
                           ("xmp", "MetadataDate", date),
                           ("xmpMM", "DocumentID", f"uuid:{ident}"),
                           ("xmpMM", "InstanceID", f"uuid:{ident}"),
                           ("xmpMM", "VersionID", str(edition)),
                           ("xmpMM", "RenditionClass", "default")):
        ET.SubElement(description, f"{{{NS[ns]}}}{key}").text = value
    body = ET.tostring(rdf, encoding="utf-8")
    return (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/">\n' + body +
            b'\n</x:xmpmeta>\n<?xpacket end="r"?>')
