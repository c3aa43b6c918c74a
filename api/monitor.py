"""The API's view of the world outside the store: the node's height and the indexing rate.

One background task (started with the app) asks the node for its tip every
``node_poll_seconds`` and samples how far the store has come, so requests read cached
figures and never wait for the node. With the indexer in the same process the rate counts
the blocks it applied; otherwise it follows the store's tip height.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.context import ApiContext

log = logging.getLogger(__name__)

#: The rate is averaged over this many seconds of samples.
RATE_WINDOW_SECONDS = 60.0


class Monitor:
    def __init__(self, ctx: ApiContext) -> None:
        self._ctx = ctx
        self.node_height: int | None = None
        self.node_error: str | None = None
        self.node_checked_at: float | None = None
        #: time.monotonic() of the node's last answer.
        self.node_answered_at: float | None = None
        self._samples: deque[tuple[float, int]] = deque()

    async def run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._ctx.settings.node_poll_seconds)

    async def tick(self) -> None:
        fetch = self._ctx.node_height
        if fetch is not None:
            timeout = max(self._ctx.settings.node_poll_seconds, 1.0)
            try:
                self.node_height = await asyncio.wait_for(fetch(), timeout)
                self.node_error = None
                self.node_answered_at = time.monotonic()
            except Exception as exc:  # any failure of the node is reported, never raised
                error = str(exc) or type(exc).__name__
                if self.node_error is None:
                    log.warning("cannot get the node's height: %s", error)
                self.node_error = error
            self.node_checked_at = time.time()
        self._sample()

    def _sample(self) -> None:
        indexer = self._ctx.indexer
        if indexer is not None:
            count = indexer.stats.blocks
        else:
            tip = self._ctx.reader.tip()
            count = -1 if tip is None else tip.height
        now = time.monotonic()
        self._samples.append((now, count))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_SECONDS:
            self._samples.popleft()

    @property
    def blocks_per_second(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        return max(n1 - n0, 0) / (t1 - t0) if t1 > t0 else 0.0

    def node_silent_for(self) -> float | None:
        """Seconds since the node last answered (None: it never has)."""
        if self.node_answered_at is None:
            return None
        return time.monotonic() - self.node_answered_at

    def lag(self, indexed_height: int | None) -> int | None:
        """Blocks the store is behind the node, when the node's height is known."""
        if self.node_height is None:
            return None
        start = self._ctx.reader.identity.activation_height - 1
        return max(self.node_height - (start if indexed_height is None else indexed_height), 0)
