"""Exit codes of the ``rootstate`` command, one per failure an operator acts on differently.

The README's "Exit codes" table lists the same; scripts and supervisors may rely on them.
Which exception gives which code: :mod:`cli.failures`. Standard library only, like
:mod:`cli.main`, which must load fast.
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    #: Anything else the message explains: a store or node error, a failed verify.
    FAILED = 1
    #: Bad configuration or command line (argparse uses 2 as well).
    CONFIG = 2
    #: A reorg deeper than the kept undo: the store must be rebuilt (README, Reorgs).
    REORG_TOO_DEEP = 3
    #: The API could not listen on api_host:api_port (in use, or not permitted).
    API_BIND = 4
    #: The node rejected the RPC credentials, or the cookie file cannot be read.
    NODE_AUTH = 5
    #: The node did not answer (``status`` asks once, it does not wait).
    NODE_DOWN = 6
    #: The node, or the store, belongs to another chain than the configured network.
    WRONG_CHAIN = 7
    #: No store in the data directory (rollback, verify, serve): nothing was created.
    NO_STORE = 8
    #: Stopped by SIGINT/SIGTERM before a one-shot command (verify, status) finished.
    INTERRUPTED = 130


class ApiBindError(Exception):
    """The API's listening socket could not be bound."""
