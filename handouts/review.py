"""The medical reviewer's packet: ``dist/review/<slug>-edition-<N>.pdf``.

What changed since the last reviewed edition in the archive (kept by
`handouts.dist.editions`: ``dist/archive/<slug>/edition-<N>/source/article.md``), as a
word-level redline of the text (difflib on word tokens; deletions red and struck
through, insertions green and underlined, so the marks survive black-and-white
printing), the references added and removed, a list of the changes, the check report,
and a sign-off block. With no earlier reviewed edition, the full text marked "first
review". Every page carries a "REVIEW COPY — NOT FOR PATIENTS" stamp, so the packet is
never mistaken for a handout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from handouts.guard import paths
from handouts.errors import InputError
from handouts.guard.textscan import (LINK as _LINK, HTML_TAG as _TAG, HTML_COMMENT as _COMMENT,
                                     FENCE as _FENCE)

# --------------------------------------------------------------------------------------
# Text -> blocks -> tokens

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_ITEM = re.compile(r"^\s*(?:[*+-]|\d{1,9}[.)])[ \t]+(.*)$")
_ADMONITION = re.compile(r'^ {0,3}!!![ \t]*([\w-]+)(?:[ \t]+"([^"]*)")?')
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*(?:<[^>]*>|[^)\s]*)(?:\s+\"([^\"]*)\")?\s*\)(?:\{[^}\n]*\})?")
_AUTOLINK = re.compile(r"<((?:https?|mailto|tel):[^>\s]*)>", re.I)
_ATTRIBUTES = re.compile(r"\{:?\s*[#.\w][^}\n]*\}")
_CITATION = re.compile(r"\[((?:[^\[\]]*?)-?@[^\[\]]*)\](?![(\[:])")
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1")

MARK = "\x00"  # block markers among the word tokens: "\x00h2", "\x00p", "\x00li", …


@dataclass(frozen=True)
class Block:
    kind: str  # h2…h6, p, li, callout, quote, code, table
    text: str


def _inline(text: str) -> str:
    text = _COMMENT.sub("", text)
    text = _IMAGE.sub(lambda m: f"[image: {m.group(1)}" + (f" — {m.group(2)}" if m.group(2) else "") + "]",
                      text)
    # <tel:+15550100>, <https://…>: the address is the text a patient reads.
    text = _AUTOLINK.sub(lambda m: re.sub(r"^(?:tel|mailto):", "", m.group(1), flags=re.I), text)
    text = _ATTRIBUTES.sub("", text)
    text = _CITATION.sub(lambda m: "[" + m.group(1).replace("@", "") + "]", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub("", text)
    for _ in range(2):
        text = _EMPHASIS.sub(lambda m: m.group(2), text)
    return " ".join(text.replace("`", "").split())


def blocks_of(body: str) -> list[Block]:
    """A Markdown body as the blocks a reviewer reads (headings, paragraphs, list items,
    callouts, quotes, tables and code as text)."""
    out: list[Block] = []
    para: list[str] = []
    kind = "p"
    fence = None

    def flush():
        nonlocal kind
        if para:
            text = _inline(" ".join(para)) if kind not in ("code", "table") else "\n".join(para)
            if text.strip():
                out.append(Block(kind, text))
        para.clear()
        kind = "p"

    for line in body.split("\n"):
        m = _FENCE.match(line)
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
                flush()
            else:
                para.append(line)
            continue
        if m:
            flush()
            fence, kind = m.group(1)[0] * len(m.group(1)), "code"
            continue
        if not line.strip():
            flush()
            continue
        if h := _HEADING.match(line):
            flush()
            out.append(Block(f"h{max(2, len(h.group(1)))}", _inline(h.group(2))))
            continue
        if a := _ADMONITION.match(line):
            flush()
            out.append(Block("callout", _inline(a.group(2) or a.group(1).title())))
            kind = "callout"
            continue
        if line.lstrip().startswith("|"):
            if kind != "table":
                flush()
                kind = "table"
            if not re.fullmatch(r"[\s|:-]+", line):
                para.append(" · ".join(c.strip() for c in line.strip().strip("|").split("|")))
            continue
        if i := _ITEM.match(line):
            flush()
            kind = "li"
            para.append(i.group(1))
            continue
        if line.lstrip().startswith(">"):
            if kind not in ("quote", "callout"):
                flush()
                kind = "quote"
            para.append(re.sub(r"^\s*(>\s?)+", "", line).replace("[!", "[").strip())
            continue
        para.append(line.strip())
    flush()
    return out


def tokens_of(blocks: list[Block]) -> list[str]:
    out = []
    for b in blocks:
        out.append(MARK + b.kind)
        out.extend(b.text.split("\n") if b.kind in ("table", "code") else b.text.split())
    return out


# --------------------------------------------------------------------------------------
# The redline


@dataclass
class RedBlock:
    kind: str
    parts: list[tuple[str, str]] = field(default_factory=list)  # (equal|insert|delete, text)

    def add(self, op: str, text: str) -> None:
        if self.parts and self.parts[-1][0] == op:
            sep = "\n" if self.kind in ("table", "code") else " "
            self.parts[-1] = (op, self.parts[-1][1] + sep + text)
        else:
            self.parts.append((op, text))


@dataclass(frozen=True)
class Change:
    where: str  # the heading of the section it is in
    removed: str
    added: str


def redline(old: list[Block], new: list[Block]) -> tuple[list[RedBlock], list[Change]]:
    """Word-level differences between two versions, laid out in the new version's blocks."""
    a, b = tokens_of(old), tokens_of(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    blocks: list[RedBlock] = []
    changes: list[Change] = []
    heading = "(beginning)"

    def emit(op: str, token: str, follow_new: bool) -> None:
        nonlocal heading
        if token.startswith(MARK):
            if follow_new:
                blocks.append(RedBlock(token[1:]))
            elif blocks:
                blocks[-1].add(op, "¶")
            return
        if not blocks:
            blocks.append(RedBlock("p"))
        blocks[-1].add(op, token)
        if blocks[-1].kind.startswith("h") and op == "equal":
            heading = " ".join(t for o, t in blocks[-1].parts)

    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for t in b[j1:j2]:
                emit("equal", t, True)
            continue
        removed = [t for t in a[i1:i2] if not t.startswith(MARK)]
        added = [t for t in b[j1:j2] if not t.startswith(MARK)]
        for t in a[i1:i2]:
            emit("delete", t, False)
        for t in b[j1:j2]:
            emit("insert", t, True)
        if removed or added:
            where = heading
            for blk in reversed(blocks):
                if blk.kind.startswith("h"):
                    where = " ".join(t for o, t in blk.parts if o != "delete")
                    break
            changes.append(Change(where, " ".join(removed), " ".join(added)))
    return blocks, changes


# --------------------------------------------------------------------------------------
# Editions


@dataclass
class Version:
    edition: int
    path: Path
    meta: dict
    body: str
    references: list[str]  # formatted references, in order (plain text)


def _front(path: Path) -> tuple[dict, str]:
    from handouts.source.article import _read_text
    from handouts.source.frontmatter import split_front_matter

    text = _read_text(path)
    yaml_text, body, _ = split_front_matter(path, text)
    try:
        meta = yaml.safe_load(yaml_text) or {}
    except yaml.YAMLError:
        meta = {}
    return (meta if isinstance(meta, dict) else {}), body


def _plain(html: str) -> str:
    import html as _html

    return " ".join(_html.unescape(re.sub(r"<[^>]+>", "", html)).split())


def _references(config, path: Path, fallback: list[dict] | None = None) -> list[str]:
    """The formatted references of the article at `path` (as printed on the handout)."""
    from handouts.source import article as load
    from handouts.references.bibliography import format_bibliography

    try:
        art = load.load_article(path, config)
        try:
            bib = format_bibliography(art.references, art.cited, config.csl_style, lang=art.lang)
        except TypeError:  # an older signature without lang
            bib = format_bibliography(art.references, art.cited, config.csl_style)
        return [_plain(e.html) for e in bib.entries]
    except InputError:
        return [r.get("text") or _plain(r.get("html", "")) for r in (fallback or [])]


@dataclass(frozen=True)
class Basis:
    """What the packet compares the current text with, and why."""

    version: Version | None  # the text compared with (None: the full text is shown)
    signer: object | None  # the latest sign-off (`editions.SignOff`), None: first review
    signed: bool  # `version` is the very text that sign-off approved
    where: str  # the folder of its sources, relative to the project
    content: str  # its fingerprint (12 hex digits), "" when unknown


def _version(config, path: Path, n: int, entry: dict) -> Version:
    meta, body = _front(path)
    return Version(n, path, meta, body, _references(config, path, entry.get("references")))


def basis(config, slug: str, art) -> Basis:
    """The text the reviewer last signed: the published (dist/source/<slug>/) or archived
    edition whose fingerprint the latest sign-off names. When that text was never
    published, the latest published edition; with no sign-off at all, a first review."""
    from handouts.dist import editions
    from handouts.dist.manifest import read_manifest

    manifest = read_manifest(Path(config.output_dir))
    past = editions.history(config, slug, manifest)
    latest = editions.review_status(art, past).latest
    if latest is None:
        return Basis(None, None, False, "", "")
    out = Path(config.output_dir)
    current = (manifest.get("articles") or {}).get(slug) or {}

    def located(p) -> tuple[Path, dict]:
        if p.archived:
            return (editions.archive_dir(config, slug, p.edition) / editions.SOURCE / "article.md",
                    editions.archived_entry(config, slug, p.edition))
        return out / editions.SOURCE / slug / "article.md", current

    candidates = [p for p in reversed(past) if not p.draft]
    signed = next((p for p in candidates if p.content and p.content.startswith(latest.content)), None)
    chosen = signed or next(iter(candidates), None)
    if chosen is not None:
        path, entry = located(chosen)
        if path.is_file():
            if problem := paths.check_file(path, [config.output_dir], what=f"edition {chosen.edition}'s "
                                           "sources", where="the output folder", links=False):
                raise InputError(problem)
            where = path.parent.resolve()
            with contextlib.suppress(ValueError):
                where = where.relative_to(Path(config.root).resolve())
            return Basis(_version(config, path, chosen.edition, entry), latest, signed is not None,
                         where.as_posix() if isinstance(where, Path) else str(where),
                         chosen.content[:12])
    return Basis(None, latest, False, "", "")


# --------------------------------------------------------------------------------------
# The packet


def packet_html(config, slug: str, *, today: dt.date | None = None) -> tuple[str, int, dict]:
    """The packet's HTML, the edition number, and facts for the caller (changes, …)."""
    import jinja2

    from handouts.source import article as load
    from handouts.source.discover import ARTICLE_FILE, find_articles
    from handouts.checks.report import check_article, format_finding

    today = today or dt.date.today()
    path = Path(config.source_dir) / slug / ARTICLE_FILE
    if not path.is_file():
        slugs = [p.parent.name for p in find_articles(Path(config.source_dir))]
        from handouts.errors import did_you_mean

        raise InputError.at(path, None, f"no article '{slug}'",
                            did_you_mean(slug, slugs) or "give the slug of a folder under source/")
    art = load.load_article(path, config)
    current_refs = _references(config, path)
    compared = basis(config, slug, art)
    base = compared.version
    new_blocks = blocks_of(art.body)
    if base is None:
        blocks = [RedBlock(b.kind, [("equal", b.text)]) for b in new_blocks]
        changes: list[Change] = []
        meta_changes = []
        added, removed = [], []
    else:
        blocks, changes = redline(blocks_of(base.body), new_blocks)
        meta_changes = []
        for key, label in (("title", "Title"), ("subtitle", "Subtitle"), ("summary", "Summary")):
            old, new = str(base.meta.get(key) or "").strip(), str(getattr(art, key) or "").strip()
            if old != new:
                parts, _ = redline([Block("p", old)] if old else [], [Block("p", new)] if new else [])
                meta_changes.append((label, parts[0].parts if parts else []))
        added = [r for r in current_refs if r not in base.references]
        removed = [r for r in base.references if r not in current_refs]
    report = check_article(config, path, today=today)
    findings = [format_finding(f, Path(config.root)) for f in report.findings]
    env = jinja2.Environment(loader=config.theme.loader(),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    html = env.get_template("review.html.j2").render(
        article=art, slug=slug, base=base, blocks=blocks, changes=changes,
        meta_changes=meta_changes, added=added, removed=removed, references=current_refs,
        findings=findings, readability=report.readability, today=today,
        reviewers=art.reviewers, basis=compared, content=art.content.short,
        signoff=signoff_lines(art, today))
    return html, art.edition, {"changes": changes, "added": added, "removed": removed,
                               "base": base.edition if base else None, "article": art,
                               "basis": compared, "signoff": signoff_lines(art, today)}


def signoff_lines(art, today: dt.date) -> str:
    """The YAML to paste under ``reviewers:`` once the reviewer signs: each current
    reviewer (or a blank entry) dated today, bound to the content the packet shows."""
    people = [(r.name, r.credential, r.specialty) for r in art.reviewers] or [
        ("<the reviewer's name>", "<credential, e.g. MD>", "<specialty>")]
    seen = dict.fromkeys(people)
    lines = []
    for name, credential, specialty in seen:
        lines += [f"  - name: {_yaml_text(name)}", f"    credential: {_yaml_text(credential)}",
                  f"    specialty: {_yaml_text(specialty)}", f"    reviewed: {today.isoformat()}",
                  f"    content: {art.content.short}"]
    return "\n".join(lines)


def _yaml_text(value: str) -> str:
    """`value` as a YAML scalar that reads back as the same text."""
    dumped = yaml.safe_dump(value, allow_unicode=True, default_style=None, width=10_000).strip()
    return dumped.removesuffix("\n...").removesuffix("...").strip()


@dataclass(frozen=True)
class Packet:
    """A written packet, and the sign-off lines to paste once the reviewer signs."""

    path: Path
    content: str  # the fingerprint of the text it shows
    signoff: str  # YAML lines for 'reviewers:'


def make_packet(config, slug: str, *, today: dt.date | None = None) -> Packet:
    """Write ``dist/review/<slug>-edition-<N>.pdf``."""
    from handouts.dist.publish import output_lock, write_atomic
    from handouts.pdf.render import render_pdf

    html, edition, facts = packet_html(config, slug, today=today)
    art = facts["article"]
    pdf = render_pdf(html, base_dir=art.folder, theme=config.theme,
                     stylesheets=[config.theme.path("review.css")])
    target = Path(config.output_dir) / "review" / f"{slug}-edition-{edition}.pdf"
    with output_lock(config.output_dir):
        write_atomic(target, pdf.data, within=Path(config.output_dir))
    return Packet(target, art.content.short, facts["signoff"])


def write_packet(config, slug: str, *, today: dt.date | None = None) -> Path:
    """Write ``dist/review/<slug>-edition-<N>.pdf`` and return its path."""
    return make_packet(config, slug, today=today).path
