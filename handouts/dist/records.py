"""The manifest's records checked as read: what ``dist/manifest.json`` may hold, and what
is rebuilt from the files in ``dist/`` when it cannot be trusted (format v1, see
`handouts.dist.manifest`).

Everything under ``dist/`` is untrusted: an entry of the wrong type is dropped or
defaulted, an output whose path is not its article's is dropped, an article whose
record is unusable is recovered from its published sources (`recover_manifest`), and the
archive section is always read from ``dist/archive/`` itself (`scan_archive`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path

from handouts.errors import warning
from handouts.guard import limits as limits_mod
from handouts.guard.paths import inside, slug_problem
from handouts.dist.archive import ARCHIVE, edition_number
from handouts.source.dates import MAX_EDITION
from handouts.dist.publish import TooLarge, read_regular

FORMAT = "handouts-manifest"
VERSION = 1
NAME = "manifest.json"


def _generator() -> str:
    from handouts import __version__

    return f"handouts {__version__}"


def empty_manifest() -> dict:
    return {"format": FORMAT, "version": VERSION, "generator": _generator(),
            "articles": {}, "outputs": [], "archive": {}}


def manifest_path(output_dir: Path) -> Path:
    return Path(output_dir) / NAME


# ---------------------------------------------------------------------------------------
# Checking what was read


_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}")
_TEXT_FIELDS = ("title", "subtitle", "summary", "publisher", "disclaimer", "source_url", "source",
                "content_sha256", "variant", "paper", "inputs_sha256")
_DATE_FIELDS = ("reviewed", "updated", "next_review_due")


def _edition(value) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_EDITION
    return value if ok else None


def _date(value) -> str | None:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def _texts(value) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _common(entry: dict) -> dict:
    """The fields articles and outputs share, each of its type or dropped/defaulted."""
    out = dict(entry)
    for key in _TEXT_FIELDS:
        if key in out and not isinstance(out[key], str):
            out[key] = "" if key in ("title", "subtitle", "summary") else None
    for key in _DATE_FIELDS:
        if key in out:
            out[key] = _date(out[key])
    if "lang" in out and not (isinstance(out["lang"], str) and _LANG.fullmatch(out["lang"])):
        out["lang"] = "en"
    if "edition" in out:
        out["edition"] = _edition(out["edition"])
    return out


def _valid_article(entry) -> dict | None:
    if not isinstance(entry, dict):
        return None
    out = _common(entry)
    if out.get("edition") is None:
        return None  # the published edition decides archiving: never guessed
    out["keywords"] = _texts(out.get("keywords"))
    out["authors"] = _texts(out.get("authors"))
    out["draft"] = out.get("draft") is True
    out["reviewers"] = [{"name": r["name"], **{k: r[k] for k in ("credential", "specialty", "content")
                                                if isinstance(r.get(k), str)},
                         **({"covers": r["covers"]} if isinstance(r.get("covers"), bool) else {}),
                         "reviewed": _date(r.get("reviewed"))}
                        for r in out.get("reviewers") or () if isinstance(r, dict)
                        and isinstance(r.get("name"), str)] if isinstance(out.get("reviewers"), list) else []
    out["references"] = [{"number": r["number"], "html": r["html"],
                          "text": r["text"] if isinstance(r.get("text"), str) else ""}
                         for r in out.get("references") or ()
                         if isinstance(r, dict) and isinstance(r.get("html"), str)
                         and isinstance(r.get("number"), int) and not isinstance(r["number"], bool)
                         ] if isinstance(out.get("references"), list) else []
    out["source_files"] = [f for f in _texts(out.get("source_files")) if safe_relative(f)]
    if not slug_ok(out.get("translation_of")):
        out["translation_of"] = None
    made = out.get("translates")
    if made is not None and not (isinstance(made, dict) and slug_ok(made.get("slug"))
                                 and _edition(made.get("edition"))
                                 and all(isinstance(made.get(k), (str, type(None)))
                                         for k in ("content_fingerprint", "content", "bound_to"))):
        out["translates"] = None
    base = out.get("review_baseline")
    if base is not None and not (isinstance(base, dict) and _edition(base.get("edition"))
                                 and _date(base.get("reviewed"))
                                 and isinstance(base.get("content_sha256"), str)):
        out["review_baseline"] = None
    return out


def output_path_ok(path, slug) -> bool:
    """An output's path: ``<slug>….pdf`` at the top of dist/ or ``clinics/<id>/<slug>….pdf``,
    never in another article's name space or the archive, sources or review packets."""
    if not (safe_relative(path) and isinstance(slug, str) and slug_ok(slug)):
        return False
    parts = path.split("/")
    if len(parts) not in (1, 3) or (len(parts) == 3 and (parts[0] != "clinics" or not slug_ok(parts[1]))):
        return False
    from handouts.variants.kinds import output_suffixes

    name = parts[-1]
    return name.endswith(".pdf") and name.startswith(slug) and \
        name[len(slug):-4] in {"", *output_suffixes()}


def _valid_output(entry) -> dict | None:
    if not isinstance(entry, dict) or not output_path_ok(entry.get("path"), entry.get("slug")):
        return None
    out = _common(entry)
    for key in ("pages", "bytes"):
        value = out.get(key)
        out[key] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
    if not (isinstance(out.get("sha256"), str) and _SHA256.fullmatch(out["sha256"])):
        out["sha256"] = None  # never "unchanged" (see `output_intact`)
    if out.get("clinic") is not None and not (isinstance(out["clinic"], str) and slug_ok(out["clinic"])):
        return None
    out["warnings"] = _texts(out.get("warnings"))
    return out


def slug_ok(name) -> bool:
    return isinstance(name, str) and slug_problem(name) is None


def valid_manifest(output_dir: Path, data: dict, warnings: list | None = None) -> dict:
    """`data` with every entry checked: an article under a valid slug with a valid edition,
    outputs whose paths are theirs (`output_path_ok`), fields of their types (texts,
    ISO dates, language tags; others dropped or defaulted). The archive section is read
    from ``dist/archive/`` itself (`scan_archive`). An article whose record is unusable
    is recovered from its published sources, as when there is no manifest."""
    manifest = empty_manifest()
    articles = data.get("articles") if isinstance(data.get("articles"), dict) else {}
    outputs = data.get("outputs") if isinstance(data.get("outputs"), list) else []
    lost = []
    for slug, entry in articles.items():
        if slug_ok(slug):
            if (checked := _valid_article(entry)) is not None:
                manifest["articles"][slug] = checked
            else:
                lost.append(slug)
    manifest["outputs"] = [o for o in map(_valid_output, outputs)
                           if o is not None and o["slug"] in manifest["articles"]]
    if lost:
        if warnings is not None:
            warnings.append(warning(manifest_path(output_dir), None, "unusable record(s) of "
                                    + ", ".join(f"'{slug}'" for slug in lost[:5]),
                                    "they were rebuilt from the files in the output folder"))
        found = recover_manifest(output_dir, only=set(lost))
        manifest["articles"].update(found["articles"])
        manifest["outputs"] += found["outputs"]
    manifest["archive"] = scan_archive(output_dir)
    return manifest


def recover_manifest(output_dir: Path, only: set[str] | None = None) -> dict:
    """A manifest rebuilt from the files in `output_dir`: for each published
    ``source/<slug>/article.md`` (its front matter gives the edition, title, language),
    the article's PDFs found under their output names. Outputs carry no inputs hash, so
    the next build rebuilds them (after archiving them if the edition went up)."""
    from handouts.variants.kinds import output_suffixes

    output_dir = Path(output_dir)
    manifest = empty_manifest()
    sources = output_dir / "source"
    if not sources.is_dir() or not inside_output(sources, output_dir):
        return manifest
    pdfs = _pdfs_on_disk(output_dir)
    ends = {"", *output_suffixes()}
    for folder in sorted(os.scandir(sources), key=lambda e: e.name):
        slug = folder.name
        if (only is not None and slug not in only) or not slug_ok(slug) \
                or not folder.is_dir(follow_symlinks=False):
            continue
        meta = _front_matter(Path(folder.path) / "article.md")
        edition = _edition(meta.get("edition", 1))
        if edition is None:
            continue
        files = sorted(Path(d, n).relative_to(folder.path).as_posix()
                       for d, _, names in os.walk(folder.path) for n in names)
        manifest["articles"][slug] = _common({
            "title": meta.get("title"), "lang": meta.get("lang"), "edition": edition,
            "draft": meta.get("draft") is True, "source": f"source/{slug}/article.md",
            "source_files": files})
        for rel in pdfs:
            stem = rel.rsplit("/", 1)[-1][:-4]
            if stem.startswith(slug) and stem[len(slug):] in ends:
                manifest["outputs"].append(_recovered_output(output_dir, rel, slug, edition))
    return manifest


def _pdfs_on_disk(output_dir: Path) -> list[str]:
    """The regular ``*.pdf`` files at the top of dist/ and in ``clinics/<id>/``."""
    found = []
    folders = [(output_dir, "")]
    clinics = output_dir / "clinics"
    if clinics.is_dir() and not clinics.is_symlink():
        folders += [(Path(e.path), f"clinics/{e.name}/") for e in os.scandir(clinics)
                    if e.is_dir(follow_symlinks=False) and slug_ok(e.name)]
    for folder, prefix in folders:
        for e in os.scandir(folder):
            if e.name.endswith(".pdf") and e.is_file(follow_symlinks=False):
                found.append(prefix + e.name)
    return sorted(found)


def _recovered_output(output_dir: Path, rel: str, slug: str, edition: int) -> dict:
    from handouts.project.config import PAPERS

    stem = rel.rsplit("/", 1)[-1][len(slug):-4]
    paper = next((p for p in PAPERS if stem.endswith(f"-{p}")), None)
    piece = stem[:-len(paper) - 1] if paper else stem
    variant = piece.lstrip("-").removesuffix("-pages") or "handout"
    data = (output_dir / rel).read_bytes()
    return {"path": rel, "slug": slug, "edition": edition, "variant": variant, "paper": paper,
            "clinic": rel.split("/")[1] if rel.startswith("clinics/") else None, "pages": 0,
            "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "inputs_sha256": None,
            "warnings": []}


def _front_matter(path: Path) -> dict:
    """The front matter of a published article.md as a dict ({} when it cannot be read)."""
    import yaml

    try:
        text = read_regular(path, limits_mod.DEFAULT.article_bytes).decode("utf-8", "replace")
    except (OSError, TooLarge):
        return {}
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    head = text[3:end] if end != -1 else ""
    if limits_mod.yaml_preflight(head, max_depth=limits_mod.DEFAULT.front_matter_depth,
                                 max_nodes=limits_mod.DEFAULT.front_matter_nodes):
        return {}
    try:
        meta = yaml.safe_load(head)
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def inside_output(path: Path, output_dir: Path) -> bool:
    """True when `path`, symbolic links resolved, lies inside the output folder."""
    return inside(path, [output_dir])


def safe_relative(path) -> bool:
    """A posix path relative to the output folder that cannot leave it."""
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        return False
    parts = path.split("/")
    return not path.startswith("/") and ".." not in parts and "" not in parts and ":" not in parts[0]


def scan_archive(output_dir: Path) -> dict:
    """``{slug: [{edition, path, files}]}`` from the folders under ``dist/archive/``
    (symbolic links are not followed; an archive folder leading outside dist/ is empty)."""
    root = Path(output_dir) / ARCHIVE
    out: dict = {}
    if not _real_dir(root) or not inside_output(root, output_dir):
        return out
    for slug_dir in sorted(p for p in root.iterdir() if slug_ok(p.name) and _real_dir(p)):
        editions = []
        for ed in slug_dir.iterdir():
            number = edition_number(ed.name)
            if not (number is not None and _real_dir(ed) and _edition(number)):
                continue
            files = sorted(Path(d, n).relative_to(ed).as_posix() for d, _, names in os.walk(ed)
                           for n in names if Path(d, n).is_file() and not Path(d, n).is_symlink())
            editions.append({"edition": number, "path": ed.relative_to(output_dir).as_posix(),
                             "files": files})
        if editions:
            out[slug_dir.name] = sorted(editions, key=lambda e: e["edition"])
    return out


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


