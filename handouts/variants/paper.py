"""Paper geometry the variants lay out on: sheet sizes, booklet pages, bleed, units."""

#: Sheet sizes a clinic prints on, (width, height) in mm, portrait.
SHEETS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
#: Booklet pages: half of the sheet.
HALF_SHEETS = {"a4": (148.0, 210.0), "letter": (139.7, 215.9)}
#: Default bleed per paper family: 3 mm for ISO, 1/8 inch for US.
DEFAULT_BLEED = {"a4": 3.0, "letter": 3.175}
#: Points per millimetre.
MM = 72 / 25.4
