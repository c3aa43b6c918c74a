"""Exit codes of the ``rootstate`` command, one per failure an operator acts on differently.

The README's "Exit codes" table lists the same; scripts and supervisors may rely on them.
"""

from __future__ import annotations

from enum import IntEnum

from indexer.follow import NodeInconsistencyError
from indexer.node import NodeAuthError, NodeChainError, NodeError, NodeUnavailableError
from indexer.node_thread import StopRequestedError
from indexer.store_errors import (
    ChainMismatchError,
    RollbackTooDeepError,
    StoreError,
    StoreNotFoundError,
)


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


#: Most specific first: the first class the exception is an instance of decides.
_CODES: tuple[tuple[type[BaseException], Exit], ...] = (
    (RollbackTooDeepError, Exit.REORG_TOO_DEEP),
    (ApiBindError, Exit.API_BIND),
    (NodeAuthError, Exit.NODE_AUTH),
    (NodeUnavailableError, Exit.NODE_DOWN),
    (NodeChainError, Exit.WRONG_CHAIN),
    (ChainMismatchError, Exit.WRONG_CHAIN),
    (StoreNotFoundError, Exit.NO_STORE),
    (StopRequestedError, Exit.INTERRUPTED),
    (StoreError, Exit.FAILED),
    (NodeError, Exit.FAILED),
    (NodeInconsistencyError, Exit.FAILED),
)
HANDLED = tuple(kind for kind, _ in _CODES)


def exit_code(exc: BaseException) -> Exit:
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    raise TypeError(f"no exit code for {type(exc).__name__}") from exc
