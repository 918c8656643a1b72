"""Editions: which sign-offs cover the content, and when a review is due.

- A review credit covers one text. Each reviewer entry binds to a content fingerprint
  (`article.content_fingerprint`): its ``content:``, or, for an entry without one, the
  content first published after it, as the manifest's ``signoffs`` (or an archived
  edition) recorded it. `review_status` binds them; `publish_gate` refuses content no
  sign-off covers, and reviewed content that would reuse a published edition's number.
- An edition is one reviewed fingerprint: all of an article's outputs belong to it (the
  batch rebuilds every output the manifest lists for an article together).
- ``Next review due`` = the latest reviewer's date + ``review_interval_months``
  (handouts.toml, default 36: the cycle MedlinePlus and HSE use); a build warns when
  the review is overdue (``--strict``: an error).

The archive of earlier editions and the publishing of an article's set are in
`handouts.dist.archive`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from handouts.errors import Diagnostic, warning
from handouts.dist.archive import archived_editions, archived_entry, article_path
from handouts.dist.records import ArticleRecord, Manifest


def review_warnings(config, slug: str, new_entry: ArticleRecord, *, today: dt.date | None = None,
                    path=None) -> list[Diagnostic]:
    """Warnings for the article about to be published (`new_entry` is its
    `manifest.article_entry`): the review is overdue. (Content that no sign-off covers
    never gets here: the build refuses it, see `publish_gate`.)"""
    today = today or dt.date.today()
    where = article_path(config, slug, path)
    due, reviewed = new_entry.next_review_due, new_entry.reviewed
    if due and dt.date.fromisoformat(due) < today:
        return [warning(where, None, f"review overdue: the medical review of {reviewed} was due "
                        f"for renewal on {due}",
                        "have the article re-reviewed and add the new date under 'reviewers:'")]
    return []


# ---------------------------------------------------------------------------------------
# Sign-offs: which reviewers' approval covers the content


@dataclass(frozen=True)
class Published:
    """One edition as it was published (the manifest's entry, or an archived one)."""

    edition: int
    content: str  # the full content fingerprint ("" from a version without fingerprints)
    parts: tuple[tuple[str, str], ...]  # (part, sha256), see `article.CONTENT_PARTS`
    signoffs: tuple[tuple[str, str, str], ...]  # (reviewer, reviewed date, fingerprint bound)
    draft: bool
    archived: bool  # in dist/archive (else the edition now in dist/)
    reviewed: str = ""  # the latest review date it was published with
    v1_sha256: str = ""  # `manifest.content_sha256` (what versions without fingerprints kept)


def _published(entry: ArticleRecord, archived: bool) -> Published:
    return Published(entry.edition, entry.content_fingerprint, entry.content_parts,
                     tuple((s.name, s.reviewed, s.content) for s in entry.signoffs), entry.draft,
                     archived, entry.reviewed or "", entry.content_sha256)


def history(config, slug: str, manifest: Manifest) -> tuple[Published, ...]:
    """What `slug` published, oldest first: its archived editions, then the edition now
    in dist/ (from the manifest)."""
    archived = (archived_entry(config, slug, n) for n in archived_editions(config, slug))
    out = [_published(e.article, True) for e in archived if e is not None]
    if slug in manifest.articles:
        out.append(_published(manifest.articles[slug], False))
    return tuple(out)


@dataclass(frozen=True)
class SignOff:
    """A reviewer entry and the fingerprint it approved."""

    reviewer: object  # article.Reviewer
    content: str  # the fingerprint (or prefix) it binds to
    legacy: bool = False  # no 'content:' key: bound through what was published
    recorded: bool = True  # a legacy binding found in the manifest or archive (else: now)


@dataclass(frozen=True)
class ReviewStatus:
    """Whose sign-off covers an article's current content."""

    content: object  # article.Fingerprint
    signoffs: tuple[SignOff, ...]
    draft: bool

    @property
    def covering(self) -> tuple:
        """The reviewers whose sign-off covers the current content (the credit)."""
        return tuple(s.reviewer for s in self.signoffs if self.content.matches(s.content))

    @property
    def latest(self) -> SignOff | None:
        """The most recent sign-off (the last listed among those of the latest date)."""
        return max(reversed(self.signoffs), key=lambda s: s.reviewer.reviewed, default=None)

    @property
    def reviewed(self) -> bool:
        return bool(self.covering)

    @property
    def unbound(self) -> tuple[SignOff, ...]:
        """Legacy entries bound for the first time now (the one-time note)."""
        return tuple(s for s in self.signoffs if s.legacy and not s.recorded)


def review_status(article, past: tuple[Published, ...] = ()) -> ReviewStatus:
    """Bind each reviewer entry of `article` to a fingerprint: its ``content:``; else (an
    entry written before fingerprints) the content first published with that sign-off,
    as the manifest or archive recorded it; else the current content (it is being
    published for the first time after the review)."""
    out = []
    v1 = None
    for r in article.reviewers:
        if r.content:
            out.append(SignOff(r, r.content))
            continue
        day = r.reviewed.isoformat()
        bound = next((c for p in past for name, when, c in p.signoffs
                      if name == r.name and when == day and c), None)
        if bound is None:  # published by a version that kept only `content_sha256`
            old = next((p for p in past if not p.content and p.v1_sha256 and p.reviewed == day), None)
            if old is not None:
                if v1 is None:
                    v1 = content_sha256(article)
                bound = article.content.digest if old.v1_sha256 == v1 else UNKNOWN
        out.append(SignOff(r, bound or article.content.digest, legacy=True, recorded=bool(bound)))
    return ReviewStatus(article.content, tuple(out), bool(article.draft))


#: A legacy sign-off of a text published before fingerprints, which differs from today's.
UNKNOWN = "(published before fingerprints)"


def _names(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def publish_gate(article, status: ReviewStatus, past: tuple[Published, ...]) -> Diagnostic | None:
    """Why `article` may not be published as reviewed (None: it may).

    - content that no sign-off covers: "body changed since Dr X's review of 2025-03-10";
    - reviewed content other than the published edition's, under the same edition number:
      "set 'edition: N+1'".
    A draft is never published as reviewed, so it passes (it prints no credit).
    """
    if status.draft or not article.reviewers:
        return None
    latest = status.latest
    if not status.reviewed:
        signed = latest.content
        record = next((p for p in reversed(past) if p.content and p.content.startswith(signed)), None)
        what = (_names(article.content.changed_since(dict(record.parts))) + " changed"
                if record and record.parts else "the content changed")
        r = latest.reviewer
        signed_text = (f"content {signed[:12]} signed" if signed != UNKNOWN
                       else "the text signed was published before fingerprints")
        return Diagnostic(article.path, r.line, f"{what} since {r.name}'s review of "
                          f"{r.reviewed.isoformat()} ({signed_text}, content "
                          f"{article.content.short} now): nothing was published",
                          f"make the reviewer's packet (handouts review {article.slug}), add the "
                          "sign-off it prints under 'reviewers:', or build a stamped proof with "
                          "--allow-unreviewed")
    current = next((p for p in reversed(past) if not p.archived), None)
    if (current is not None and not current.draft and current.content
            and current.edition == article.edition and current.content != article.content.digest):
        return Diagnostic(article.path, article.edition_line or latest.reviewer.line,
                          f"newly reviewed content (content {article.content.short}) differs from "
                          f"edition {article.edition} as published (content {current.content[:12]})",
                          f"set 'edition: {article.edition + 1}': an edition is one reviewed text, "
                          f"and edition {article.edition} stays in the archive as published")
    return None


def content_sha256(article) -> str:
    """The digest versions without fingerprints recorded (title, subtitle, summary, body,
    the references file's bytes): kept to match sign-offs they published. The content
    fingerprint proper is `article.content_fingerprint`."""
    h = hashlib.sha256()
    body = "\n".join(line.rstrip() for line in article.body.strip("\n").split("\n"))
    for part in (article.title, article.subtitle, article.summary, body):
        h.update(part.encode() + b"\0")
    path = article.references.path
    if path:
        try:
            h.update(Path(path).read_bytes())
        except OSError:
            pass
    return h.hexdigest()
