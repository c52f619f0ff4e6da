"""``python -m plenty_events``: the command line."""

import sys

from .cli import main

sys.exit(main())
