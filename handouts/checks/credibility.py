"""Credibility: a complete medical review credit, a review that is not overdue, content
that a sign-off covers (its fingerprint, see `handouts.dist.editions`), a disclaimer, and an
``updated`` date that is not before the review.
"""

from __future__ import annotations


from handouts.checks.registry import Hit, rule
from handouts.source.dates import latest_review


@rule("credibility/reviewer", severity="error")
def reviewer(ctx, opts):
    """A medical reviewer with name, credential, specialty and review date (a draft may
    have none yet: then this is a warning of what is missing before printing)."""
    a = ctx.article
    if not a.reviewers:
        yield Hit(ctx.article.line_of("reviewers") or 1,
                  "no medical reviewer" + (" (draft: needed before printing)" if a.draft else ""),
                  "add 'reviewers:' with name, credential, specialty and reviewed date",
                  severity="warning" if a.draft else None)
        return
    for r in a.reviewers:
        missing = [f for f, value in (("name", r.name), ("credential", r.credential),
                                      ("specialty", r.specialty), ("reviewed", r.reviewed)) if not value]
        if missing:
            yield Hit(ctx.article.line_of("reviewers"), f"reviewer {r.name or '?'} has no "
                      + ", ".join(missing), "complete the reviewer's entry")


@rule("credibility/review-overdue", interval_months=36)
def review_overdue(ctx, opts):
    """The latest review is older than `interval_months` (default 36, or the project's
    ``review_interval_months``)."""
    from handouts.source.dates import add_months

    last = latest_review(ctx.article.reviewers)
    if last is None:
        return
    months = ctx.config.review_interval_months or opts["interval_months"]
    due = ctx.article.next_review_due or add_months(last, months)
    if due < ctx.today:
        yield Hit(ctx.article.reviewers[0].line,
                  f"review overdue: reviewed {last.isoformat()}, due again {due.isoformat()}",
                  "have the article re-reviewed and add the new date under 'reviewers:'")


@rule("credibility/content-changed", severity="error")
def content_changed(ctx, opts):
    """The content is not what the reviewers signed: no sign-off covers its fingerprint
    (the build refuses it), or reviewed content would reuse a published edition's number.
    Sign-offs are bound as the build binds them (`handouts.dist.editions`, from
    dist/manifest.json and the archive)."""
    from handouts.dist.editions import history, publish_gate, review_status
    from handouts.dist.manifest import read_manifest

    if not ctx.article.reviewers or ctx.article.draft:
        return
    try:
        past = history(ctx.config, ctx.article.slug, read_manifest(ctx.config.output_dir))
    except OSError:  # an unreadable dist/ is not the article's problem
        past = ()
    problem = publish_gate(ctx.article, review_status(ctx.article, past), past)
    if problem is not None:
        yield Hit(problem.line, problem.message, problem.hint)


@rule("credibility/disclaimer", severity="error")
def disclaimer(ctx, opts):
    """No medical disclaimer (front matter or handouts.toml)."""
    if not (ctx.article.disclaimer or "").strip():
        yield Hit(1, "no medical disclaimer" + (" (draft: needed before printing)" if ctx.article.draft else ""),
                  "add 'disclaimer: …' to the front matter or to handouts.toml",
                  severity="warning" if ctx.article.draft else None)


@rule("credibility/updated-before-review")
def updated_before_review(ctx, opts):
    """``updated`` is earlier than the latest review (the handout would show a review of
    text newer than its own date)."""
    last, updated = latest_review(ctx.article.reviewers), ctx.article.updated
    if last and updated and updated < last:
        yield Hit(ctx.article.line_of("updated"),
                  f"'updated' ({updated.isoformat()}) is before the medical review ({last.isoformat()})",
                  f"set 'updated: {last.isoformat()}' or later")
