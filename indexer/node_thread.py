"""The node client on a background event loop, for the synchronous follow loop.

LMDB write transactions belong to the thread that opened them, and scanning and applying
a block is CPU work, so the follow loop runs synchronously on one thread. Block fetching
runs here, on another, with ``prefetch`` blocks in flight: their network I/O proceeds while
the follow loop applies the block before them. A long range (a catch-up) is fetched by a child
process instead (:mod:`indexer.fetch_process`): on a thread the fetch competes with the
follow loop for the GIL. A short one (following the tip) stays here, where starting a process
would cost more than the blocks.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Coroutine, Generator
from concurrent.futures import Future
from typing import Any, TypeVar, cast

from indexer.fetch_process import FetchedBlock, Fetchers, fetch_blocks_in_process
from indexer.node import NodeClient, NodeSettings

T = TypeVar("T")
_DONE = object()
#: From this many blocks on, a range is fetched by a child process (starting one takes
#: about half a second; a big block takes 10-20 ms to fetch and as long to scan).
PROCESS_MIN_BLOCKS = 64


class NodeThread:
    """Owns a NodeClient and the event loop it runs on; every method blocks the caller."""

    def __init__(self, settings: NodeSettings) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="node", daemon=True)
        self._thread.start()
        self._settings = settings
        self._fetchers = Fetchers()
        self.client: NodeClient = self._run(self._make_client(settings))

    async def _make_client(self, settings: NodeSettings) -> NodeClient:
        return NodeClient(settings)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def call(self, method: str, *params: Any) -> Any:
        return self._run(self.client.call(method, *params))

    def tip_height(self) -> int:
        return self._run(self.client.tip_height())

    def block_hash(self, height: int) -> bytes:
        return self._run(self.client.block_hash(height))

    def genesis_hash(self) -> bytes:
        return self.block_hash(0)

    def blocks(
        self, first: int, last: int, window: int
    ) -> Generator[tuple[int, bytes, bytes], None, None]:
        """(height, hash, raw block) for ``first..last`` in order, fetched ``window`` ahead."""
        for block in self.fetch(first, last, window, layout=False):
            yield block.height, block.block_hash, block.raw

    def fetch(
        self, first: int, last: int, window: int, *, layout: bool = True
    ) -> Generator[FetchedBlock, None, None]:
        """The blocks ``first..last`` in order, fetched ``window`` ahead.

        With ``layout``, a long range comes with each block's scan.BlockLayout, walked by
        the fetching process. Closing the iterator early (a reorg, a stop request) cancels
        the fetches in flight.
        """
        if last - first + 1 >= PROCESS_MIN_BLOCKS:
            return fetch_blocks_in_process(
                self._settings, first, last, window, layout=layout, fetchers=self._fetchers
            )
        return self._fetch_here(first, last, window)

    def stop_fetching(self) -> None:
        """End the fetch processes of long ranges, now and from now on; safe from any thread.

        A reader waiting on one raises :class:`~indexer.fetch_process.FetchStoppedError`.
        """
        self._fetchers.stop()

    def _fetch_here(
        self, first: int, last: int, window: int
    ) -> Generator[FetchedBlock, None, None]:
        out: queue.Queue[object] = queue.Queue(maxsize=window)
        stop = threading.Event()

        async def pump() -> None:
            try:
                async for item in self.client.blocks(first, last, window):
                    while not stop.is_set():
                        try:
                            out.put_nowait(item)
                            break
                        except queue.Full:
                            await asyncio.sleep(0.005)
                    if stop.is_set():
                        return
            except BaseException as exc:  # delivered to the consumer, re-raised there
                out.put(exc)
                return
            out.put(_DONE)

        future: Future[None] = asyncio.run_coroutine_threadsafe(pump(), self._loop)
        try:
            while True:
                item = out.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                height, block_hash, raw = cast(tuple[int, bytes, bytes], item)
                yield FetchedBlock(height, block_hash, raw, None)
        finally:
            stop.set()
            future.cancel()

    def __enter__(self) -> NodeThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._run(self.client.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
