"""Handout, booklet, press and large print: layout and finishing of each."""
