"""Template and render stages: HTML document -> PDF bytes, with WeasyPrint fixes."""
