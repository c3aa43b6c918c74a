"""What every route needs: the store, the settings, and what is known about node and indexer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from api.monitor import Monitor
from indexer.follow import FollowStats
from indexer.store_reader import StoreReader
from protocol.params import Network

#: The batch outpoint endpoint answers at most this many outpoints per request.
MAX_BATCH_OUTPOINTS = 1_000


@dataclass(frozen=True)
class ApiSettings:
    """The API's own settings, validated by :class:`indexer.config.Config` when read from it."""

    network: Network
    undo_depth: int = 1_000
    default_page_size: int = 100
    max_page_size: int = 1_000
    max_body_bytes: int = 1 << 20
    cors_origins: tuple[str, ...] = ()
    #: /readyz answers 200 only when the store is at most this many blocks behind the node.
    ready_lag_blocks: int = 2
    #: How often live streams look for new blocks, and send a keep-alive comment.
    stream_poll_seconds: float = 0.5
    stream_heartbeat_seconds: float = 15.0
    #: How often the node's height is asked for (the answer is cached in between).
    node_poll_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ValueError("default_page_size must be 1 to max_page_size")
        if self.stream_poll_seconds <= 0 or self.node_poll_seconds <= 0:
            raise ValueError("poll intervals must be positive")


@dataclass(frozen=True)
class IndexerLink:
    """The indexer running in the same process (``rootstate run``), if any."""

    stats: FollowStats
    alive: Callable[[], bool]


@dataclass
class ApiContext:
    reader: StoreReader
    settings: ApiSettings
    #: Asks the node for its tip height; None when the API runs without a node.
    node_height: Callable[[], Awaitable[int]] | None = None
    indexer: IndexerLink | None = None
    monitor: Monitor = field(init=False)

    def __post_init__(self) -> None:
        self.monitor = Monitor(self)


def context(request: Request) -> ApiContext:
    """The context of the app serving ``request``."""
    ctx: ApiContext = request.app.state.ctx
    return ctx
