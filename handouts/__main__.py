"""``python -m handouts``: the same command line as ``handouts``."""

import sys

from .cli import main

sys.exit(main())
