"""The dates and edition numbers an article's front matter sets: when the next review is
due, the date a PDF carries, and the highest edition number."""

from __future__ import annotations

import calendar
import datetime as dt
import os

#: Months between reviews unless handouts.toml sets ``review_interval_months``.
DEFAULT_INTERVAL = 36
#: The highest edition number (it names files: ``<slug>-edition-<N>.pdf``).
MAX_EDITION = 9999


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus `months` calendar months (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_review(reviewers) -> dt.date | None:
    return max((r.reviewed for r in reviewers), default=None)


def next_review_due(reviewers, config=None) -> dt.date | None:
    """The latest reviewer's date + ``review_interval_months`` (None: never reviewed)."""
    last = latest_review(reviewers)
    months = (config.review_interval_months if config is not None else 0) or DEFAULT_INTERVAL
    return add_months(last, months) if last else None


def document_date(article) -> str | None:
    """The date the PDF's metadata carries, as a W3C date: the article's ``updated``
    date ("2024-03-02"), else — a draft without a date — ``SOURCE_DATE_EPOCH``
    ("2026-11-26T05:00:00Z"), else None (no date at all: the bytes stay the same)."""
    if article.updated:
        return article.updated.isoformat()
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None
