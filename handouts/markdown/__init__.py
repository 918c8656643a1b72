"""The Markdown stage: body -> sanitized HTML fragment and outline."""
