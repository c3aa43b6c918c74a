"""What every route needs: the store, the settings, and what is known about node and indexer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from starlette.requests import Request

from api.guard import ConnectionLimits
from api.monitor import Monitor
from engine.config import WasmtimeConfig
from indexer.follow import FollowStats
from indexer.module_cache import ModuleCacheConfig
from indexer.store_reader import StoreReader
from protocol.params import Network

if TYPE_CHECKING:  # the service pulls in the contract engine; only its type is needed here
    from indexer.mempool_service import MempoolService

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
    #: /readyz needs the node to have answered within this many seconds (0: node_poll * 3).
    node_fresh_seconds: float = 0.0
    #: Open /v1/stream connections at most; past it a new one gets 503.
    max_streams: int = 500
    #: Blocks queued for a live stream before it counts as too slow and is dropped.
    stream_queue_blocks: int = 256
    #: Compose refuses fee rates below this (sat/vB): Bitcoin Core's default minrelaytxfee.
    min_fee_rate: Fraction = Fraction(1)
    #: Processes running CPU-heavy requests (compose, large batches), and how many such
    #: requests may wait for one before new ones get 503.
    heavy_processes: int = 1
    heavy_queue: int = 16
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    #: The contract engine heavy-work processes run calls with (compose, simulate).
    engine: WasmtimeConfig = field(default_factory=WasmtimeConfig)
    #: The indexer's compiled-module cache, which heavy-work processes load from read-only
    #: (never writing to it); None, or a bound of 0 (the cache off): they compile every module.
    module_cache: ModuleCacheConfig | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ValueError("default_page_size must be 1 to max_page_size")
        if self.stream_poll_seconds <= 0 or self.node_poll_seconds <= 0:
            raise ValueError("poll intervals must be positive")
        if self.max_streams < 1 or self.stream_queue_blocks < 1:
            raise ValueError("max_streams and stream_queue_blocks must be at least 1")
        if not 0 < self.min_fee_rate <= 1_000:
            raise ValueError("min_fee_rate must be above 0 and at most 1,000 sat/vB")
        if self.heavy_processes < 1 or self.heavy_queue < 0:
            raise ValueError("heavy_processes must be at least 1, heavy_queue at least 0")

    @property
    def node_fresh(self) -> float:
        return self.node_fresh_seconds or 3 * self.node_poll_seconds


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
    #: The pending view of the node's mempool (indexer.mempool_service), or None: off.
    mempool: MempoolService | None = None
    monitor: Monitor = field(init=False)

    def __post_init__(self) -> None:
        self.monitor = Monitor(self)


def context(request: Request) -> ApiContext:
    """The context of the app serving ``request``."""
    ctx: ApiContext = request.app.state.ctx
    return ctx
