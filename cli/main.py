"""The ``rootstate`` command: index, status, rollback, verify, serve and run.

Settings flags are accepted before or after the command (``rootstate status --network
regtest``). Exit codes: :class:`cli.exits.Exit`, listed in the README.

This module loads only the standard library, so SIGINT and SIGTERM are handled before the
command's modules (the node client, LMDB, the web server) take their second or so to import:
a Ctrl-C at any moment is a stop request, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cli.exits import Exit
from cli.parser import parser
from cli.signals import Shutdown


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with Shutdown.installed() as shutdown:
            args = parser().parse_args(argv)
            # Imported with the handlers in place (see the module docstring).
            from cli.dispatch import run  # noqa: PLC0415

            return run(args, shutdown)
    except KeyboardInterrupt:  # a signal before the handlers were installed
        return Exit.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
