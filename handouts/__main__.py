"""``python -m handouts``: the same command line as ``handouts``."""

import sys

from handouts.cli import main

sys.exit(main())
