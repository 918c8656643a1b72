"""The content fingerprint: a sha256 over what a patient reads, which a reviewer's
sign-off names (`Reviewer.content`) and the handout prints."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from handouts.guard import limits as limits_mod
from handouts.guard import paths


#: What a patient reads, in the order the fingerprint hashes it. Not content: the dates,
#: edition, reviewers, authors, keywords, publisher, disclaimer (project-wide boilerplate).
CONTENT_PARTS = ("title", "subtitle", "summary", "body", "references", "images")
SHORT = 12  # hex digits printed on the handout and asked for in a sign-off
MIN_SIGNOFF_HEX = 8


@dataclass(frozen=True)
class Fingerprint:
    """The content fingerprint: sha256 over the `CONTENT_PARTS`, and each part's own
    sha256 (to say what changed between two versions)."""

    digest: str
    parts: tuple[tuple[str, str], ...]

    @property
    def short(self) -> str:
        return self.digest[:SHORT]

    def matches(self, signed: str) -> bool:
        """`signed` (a full fingerprint or a prefix of 8+ hex digits) names this content."""
        return len(signed) >= MIN_SIGNOFF_HEX and self.digest.startswith(signed)

    def changed_since(self, parts: dict) -> list[str]:
        """The parts that differ from `parts` ({part: sha256}); all of them when unknown."""
        own = dict(self.parts)
        return [p for p in CONTENT_PARTS if parts.get(p) != own.get(p)]


def content_fingerprint(title: str, subtitle: str, summary: str, body: str, references,
                        cited, folder: Path, images, limits=None) -> Fingerprint:
    """The fingerprint of what a patient reads: the title, subtitle and summary, the body
    (trailing spaces and blank lines at the ends ignored), the cited references' data
    (CSL items, so a reformatted file with the same references is the same content) and
    the bytes of the local images the body shows."""
    body = "\n".join(line.rstrip() for line in body.strip("\n").split("\n"))
    refs = [[key, references.csl(key)] for key in cited if key in references.items]
    image_digests = []
    for name in sorted(set(images)):
        data = paths.read_checked(folder / name, [folder], what=f"image '{name}'",
                                  where="the article's folder",
                                  max_bytes=limits_mod.get(limits, "image_bytes"))
        image_digests.append([name, hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else None])
    texts = {"title": title, "subtitle": subtitle, "summary": summary, "body": body,
             "references": json.dumps(refs, sort_keys=True, ensure_ascii=False, default=str),
             "images": json.dumps(image_digests)}
    parts = tuple((p, hashlib.sha256(texts[p].encode()).hexdigest()) for p in CONTENT_PARTS)
    whole = hashlib.sha256("".join(f"{p}:{d}\n" for p, d in parts).encode()).hexdigest()
    return Fingerprint(whole, parts)
