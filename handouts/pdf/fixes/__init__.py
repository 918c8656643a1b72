"""Work-arounds for WeasyPrint 70 defects, applied while or after rendering."""
