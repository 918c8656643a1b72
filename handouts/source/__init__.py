"""The load stage: article.md and its front matter -> a validated Article."""
