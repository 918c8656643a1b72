#!/usr/bin/env python3
"""Build the handouts: ``python build_pdf.py --help``."""

import sys

from handouts.cli import main

if __name__ == "__main__":
    sys.exit(main())
