"""Translations: the ``translation_of`` line names an original the project has (checked
across ``source/``, `handouts.source.translations`), and a published translation is not
behind its original's published edition (`handouts.dist.translations`, from
dist/manifest.json). A translation that is behind keeps its own review credit: the
finding is for the editors who commission the update."""

from __future__ import annotations

from handouts.checks.registry import Hit, rule


@rule("translations/original", severity="error")
def original(ctx, opts):
    """``translation_of`` names an article of the project, with no loop, and the family
    holds each language once."""
    from handouts.source.translations import translation_problems

    if not ctx.article.translation_of:
        return
    for problem in translation_problems(ctx.config).get(ctx.article.slug, ()):
        yield Hit(problem.line, problem.message, problem.hint)


@rule("translations/outdated")
def outdated(ctx, opts):
    """The original got a newer edition (or other content) after this translation was
    published: "vi/dengue translates en/dengue edition 2; edition 3 is out since …"."""
    from handouts.dist.manifest import read_manifest
    from handouts.dist.translations import stale_translations

    if not ctx.article.translation_of:
        return
    try:
        manifest = read_manifest(ctx.config.output_dir, limits=ctx.config.limits)
    except OSError:  # an unreadable dist/ is not the article's problem
        return
    for stale in stale_translations(manifest):
        if stale.slug == ctx.article.slug:
            yield Hit(ctx.article.line_of("translation_of"), stale.message,
                      f"update the translation from '{stale.source}', have it reviewed, and "
                      "publish it as a new edition")
