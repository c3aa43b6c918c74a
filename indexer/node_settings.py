"""What the node client is configured with and the errors it raises, without its HTTP stack.

Split from :mod:`indexer.node` so that the block fetch process (:mod:`indexer.fetch_process`)
starts without importing httpx: on Bitcoin Core it fetches over REST with the standard library
and needs the JSON-RPC client only when REST fails, and those imports were half of the
0.3-0.6 s between starting a catch-up and its first block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class NodeError(Exception):
    """The node could not give what was asked; the message says why."""


class NodeAuthError(NodeError):
    pass


class NodeUnavailableError(NodeError):
    """Raised only when retries are exhausted (a bounded deadline was given)."""


class NodeChainError(NodeError):
    """The node follows another chain than the configured network."""


class BlockPrunedError(NodeError):
    pass


class BlockNotFoundError(NodeError):
    pass


@dataclass(frozen=True)
class NodeSettings:
    #: May carry ``user:password@``; they are split off before use and never shown.
    rpc_url: str = field(repr=False)
    user: str | None
    password: str | None = field(repr=False)
    cookie_file: Path | None
    rest: str = "auto"  # auto | on | off
    timeout: float = 60.0
    retry_deadline: float | None = None  # None: retry transient errors forever
