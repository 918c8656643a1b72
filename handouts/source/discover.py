"""Finding articles: the project a folder belongs to, its articles, and what a command
line's targets name. The one home of these rules."""

from __future__ import annotations

#: The file that makes a folder under ``source/`` an article.
ARTICLE_FILE = "article.md"
