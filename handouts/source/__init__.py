"""The load stage: article.md -> a validated Article.

discover (finding projects and articles), frontmatter (YAML fields, each with its line),
bounds (body sizes and nesting), images (the one image scanner), fingerprint (what a
patient reads), dates (review and edition rules), article (the model and `load_article`).
"""
