"""References files and citations.

readers (the `References` model, `FORMATS`: one reader per suffix in csl, bibtex, ris,
medline; common and dates are what they share) -> citations (the syntax, scanning an
article) -> bibliography (citeproc-py, with the fixes in cslfix) -> inline (the Markdown
extension that writes the superscripts).
"""
