"""References files (one reader per format), citations, CSL formatting."""
