"""``python -m cli``: the ``rootstate`` command without the console script."""

from __future__ import annotations

import sys

from cli.main import main

sys.exit(main())
