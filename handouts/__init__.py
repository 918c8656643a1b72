"""Patient-education handout builder: Markdown article -> print-ready PDF."""

__version__ = "0.1.0"
