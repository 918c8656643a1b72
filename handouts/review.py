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
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

from handouts.guard import paths
from handouts.errors import InputError
from handouts.dist.manifest import html_to_text
from handouts.dist.records import ArticleRecord, ReferenceRecord
from handouts.markdown.body import footnote_letter

# --------------------------------------------------------------------------------------
# Text -> blocks -> tokens

MARK = "\x00"  # block markers among the word tokens: "\x00h2", "\x00p", "\x00li", …


@dataclass(frozen=True)
class Block:
    kind: str  # h2…h6, p, li, callout, quote, code, table
    text: str


def blocks_of(body: str, numbers: dict[str, int] | None = None) -> list[Block]:
    """The body as the patient reads it, block by block: rendered by the handout's own
    Markdown stage (`numbers`: citation key -> number, by default in order of first
    citation), then read back — headings, paragraphs, numbered and bulleted items with
    their numbers and depth, callouts, quotes, tables with their captions, figures with
    alt text and caption, code, and footnotes."""
    from handouts.markdown.body import convert

    reader = _BlockReader()
    reader.feed(convert(body, numbers if numbers is not None else _numbers_of(body)).html)
    reader.close()
    return reader.blocks


def _numbers_of(body: str) -> dict[str, int]:
    """Citation keys numbered in order of first citation, as the handout numbers them."""
    from handouts.references.citations import CITATION_RE, parse_citation_group

    numbers: dict[str, int] = {}
    for group in CITATION_RE.finditer(body):
        for item in parse_citation_group(group.group(1)):
            numbers.setdefault(item.key, len(numbers) + 1)
    return numbers


class _BlockReader(HTMLParser):
    """Rendered body HTML -> `Block`s (see `blocks_of`)."""

    _BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "caption", "tr",
               "figcaption"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.text: list[str] = []
        self.kind: str | None = None
        self.lists: list[list] = []  # per open list: [tag, next number]
        self.context: list[str] = []  # callout, quote, table, figure, footnotes
        self.cells: list[str] = []
        self.sup = ""

    def _flush(self) -> None:
        text = "".join(self.text)
        text = text if self.kind in ("code",) else " ".join(text.split())
        if text.strip() and self.kind:
            self.blocks.append(Block(self.kind, text))
        self.text, self.kind = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "div" and "callout" in classes:
            self.context.append("callout")
        elif tag == "div" and "footnote" in classes:
            self.context.append("footnotes")
        elif tag in ("blockquote", "table", "figure"):
            self.context.append(tag)
        elif tag in ("ol", "ul"):
            self._flush()
            self.lists.append([tag, int(a.get("start") or 1)])
        elif tag == "li":
            self._flush()
            kind, number = self.lists[-1] if self.lists else ("ul", 1)
            if self.lists:
                self.lists[-1][1] += 1
            depth = len(self.lists) - 1
            self.kind = "li" if depth == 0 else f"li-{min(depth, 3)}"
            if "footnotes" in self.context:
                self.kind, marker = "footnote", f"{footnote_letter(number)}."
            else:
                marker = f"{number}." if kind == "ol" else ("•" if depth == 0 else "–")
            self.text = [marker + " "]
        elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "caption", "figcaption",
                     "tr"):
            if tag == "p" and self.kind in ("li", "footnote") or (
                    tag == "p" and self.kind and self.kind.startswith("li-")):
                return  # a loose item's paragraph stays in its item
            self._flush()
            self.kind = self._kind_of(tag, classes)
            self.cells = []
        elif tag == "img":
            image = "[image: " + (a.get("alt") or "") + (f" — {a['title']}" if a.get("title") else "") + "]"
            if "figure" in self.context:
                self._flush()
                self.kind, self.text = "figure", [image]
            else:
                self.text.append(image)
        elif tag == "sup":
            self.sup = "citation" if "citation" in classes else "note"
            self.text.append("[")
        elif tag == "br":
            self.text.append(" ")

    def _kind_of(self, tag: str, classes: list[str]) -> str:
        if tag.startswith("h") and tag[1:].isdigit():
            return f"h{max(2, int(tag[1]))}"
        if tag == "pre":
            return "code"
        if tag == "caption":
            return "table"
        if tag == "figcaption":
            return "figure"
        if tag == "tr":
            return "table-row"
        if "callout-title" in classes:
            return "callout"
        if "callout" in self.context:
            return "callout-body"
        if "blockquote" in self.context:
            return "quote"
        return "p"

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.cells.append(" ".join("".join(self.text).split()))
            self.text = []
        elif tag == "tr":
            self.text, self.kind = [" · ".join(self.cells)], "table"
            self._flush()
        elif tag == "caption":
            self.text.insert(0, "Table: ")
            self._flush()
        elif tag == "figcaption":
            self.text.insert(0, "— ")
            if self.blocks and self.blocks[-1].kind == "figure":
                last = self.blocks.pop()
                self.text.insert(0, last.text + " ")
            self._flush()
        elif tag == "sup":
            self.text.append("]")
            self.sup = ""
        elif tag in ("ol", "ul"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "li"):
            if tag == "p" and self.kind and (self.kind.startswith("li") or self.kind == "footnote"):
                return
            self._flush()
        elif tag in ("div", "blockquote", "table", "figure") and self.context:
            self._flush()
            self.context.pop()

    def handle_data(self, data):
        if self.kind is None and data.strip():
            self.kind = self._kind_of("p", [])
        if data.strip() == "\u21a9":  # a footnote's way back: not text a reader reads
            return
        self.text.append(data.replace("\u21a9", ""))


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


def _references(config, path: Path, fallback: tuple[ReferenceRecord, ...] = ()) -> list[str]:
    """The formatted references of the article at `path` (as printed on the handout)."""
    from handouts.source import article as load
    from handouts.references.bibliography import format_bibliography

    try:
        art = load.load_article(path, config)
        bib = format_bibliography(art.references, art.cited, config.csl_style, lang=art.lang)
        return [html_to_text(e.html) for e in bib.entries]
    except InputError:
        return [r.text or html_to_text(r.html) for r in fallback]


@dataclass(frozen=True)
class Basis:
    """What the packet compares the current text with, and why."""

    version: Version | None  # the text compared with (None: the full text is shown)
    signer: object | None  # the latest sign-off (`editions.SignOff`), None: first review
    signed: bool  # `version` is the very text that sign-off approved
    where: str  # the folder of its sources, relative to the project
    content: str  # its fingerprint (12 hex digits), "" when unknown


def _version(config, path: Path, n: int, entry: ArticleRecord | None) -> Version:
    meta, body = _front(path)
    return Version(n, path, meta, body, _references(config, path, entry.references if entry else ()))


def basis(config, slug: str, art) -> Basis:
    """The text the reviewer last signed: the published (dist/source/<slug>/) or archived
    edition whose fingerprint the latest sign-off names. When that text was never
    published, the latest published edition; with no sign-off at all, a first review."""
    from handouts.dist import archive, editions
    from handouts.dist.manifest import read_manifest

    manifest = read_manifest(Path(config.output_dir))
    past = editions.history(config, slug, manifest)
    latest = editions.review_status(art, past).latest
    if latest is None:
        return Basis(None, None, False, "", "")
    out = Path(config.output_dir)
    current = manifest.articles.get(slug)

    def located(p) -> tuple[Path, ArticleRecord | None]:
        if p.archived:
            archived = archive.archived_entry(config, slug, p.edition)
            return (archive.archive_dir(config, slug, p.edition) / archive.SOURCE / "article.md",
                    archived.article if archived else None)
        return out / archive.SOURCE / slug / "article.md", current

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
    from handouts.theme import template_cache
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
        for key, label, now in (("title", "Title", art.title), ("subtitle", "Subtitle", art.subtitle),
                                ("summary", "Summary", art.summary)):
            old, new = str(base.meta.get(key) or "").strip(), now.strip()
            if old != new:
                parts, _ = redline([Block("p", old)] if old else [], [Block("p", new)] if new else [])
                meta_changes.append((label, parts[0].parts if parts else []))
        added = [r for r in current_refs if r not in base.references]
        removed = [r for r in base.references if r not in current_refs]
    report = check_article(config, path, today=today)
    findings = [format_finding(f, Path(config.root)) for f in report.findings]
    env = jinja2.Environment(loader=config.theme.loader(),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=template_cache())
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
