"""``handouts print``: build one output and send it to a CUPS printer (engine.py), through
CUPS's own clients (cups.py), on one-sided printers in two passes (duplex.py)."""

from handouts.printing.engine import PrintOptions, print_article

__all__ = ["PrintOptions", "print_article"]
