"""Which exit code each failure gives (the codes: :class:`cli.exits.Exit`)."""

from __future__ import annotations

from cli.exits import ApiBindError, Exit
from indexer.follow import NodeInconsistencyError
from indexer.node import NodeAuthError, NodeChainError, NodeError, NodeUnavailableError
from indexer.node_thread import StopRequestedError
from indexer.store_errors import (
    ChainMismatchError,
    RollbackTooDeepError,
    StoreError,
    StoreNotFoundError,
)

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
