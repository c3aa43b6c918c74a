"""The node client on a background event loop, for the synchronous follow loop.

LMDB write transactions belong to the thread that opened them, and scanning and applying
a block is CPU work, so the follow loop runs synchronously on one thread. Block fetching
runs here, on another, with ``prefetch`` blocks in flight: their network I/O proceeds while
the follow loop applies the block before them. A long range (a catch-up) is fetched by a child
process instead (:mod:`indexer.fetch_process`): on a thread the fetch competes with the
follow loop for the GIL. A short one (following the tip) stays here, where starting a process
would cost more than the blocks.

A stop request must not wait for a node that is down (retried forever) or slow: ``interrupt``
cancels every call in flight, ends the fetch processes and refuses new calls, each raising
:class:`StopRequestedError`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Coroutine, Generator, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar, cast

from indexer.fetch_process import (
    FetchedBlock,
    Fetchers,
    FetchStoppedError,
    fetch_blocks_in_process,
)
from indexer.node import NodeClient, NodeError, NodeSettings

T = TypeVar("T")
_DONE = object()
#: From this many blocks on, a range is fetched by a child process (starting one takes
#: about half a second; a big block takes 10-20 ms to fetch and as long to scan).
PROCESS_MIN_BLOCKS = 64
#: How long ``close`` waits for cancelled calls to unwind and the connections to close.
CLOSE_SECONDS = 10.0
#: How often a consumer waiting for the next block looks for an interrupt.
INTERRUPT_POLL_SECONDS = 0.2


class StopRequestedError(Exception):
    """A stop request cancelled this call to the node (see :meth:`NodeThread.interrupt`)."""


class NodeThread:
    """Owns a NodeClient and the event loop it runs on; every method blocks the caller."""

    def __init__(self, settings: NodeSettings, *, fetch_soon: bool = False) -> None:
        """With ``fetch_soon`` (a catch-up is likely next), the process that will fetch the
        next long range starts first: its start-up (0.1 s) then overlaps this client's own
        (70 ms, httpx's) and whatever the caller does next."""
        self._fetchers = Fetchers()
        if fetch_soon:
            self._fetchers.prepare()
        try:
            self._interrupted = threading.Event()
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="node", daemon=True)
            self._thread.start()
            self._settings = settings
            self.client: NodeClient = self._run(self._make_client(settings))
        except BaseException:
            self._fetchers.close()
            raise

    async def _make_client(self, settings: NodeSettings) -> NodeClient:
        return NodeClient(settings)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            return self._submit(coro).result()
        except concurrent.futures.CancelledError:
            raise StopRequestedError("stopped while waiting for the node") from None

    def _submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        async def guarded() -> T:
            # Checked on the loop, where interrupt() cancels: a call starting after the
            # cancellation pass sees the flag, one starting before it is cancelled by it.
            if self._interrupted.is_set():
                coro.close()
                raise asyncio.CancelledError
            return await coro

        return asyncio.run_coroutine_threadsafe(guarded(), self._loop)

    def interrupt(self) -> None:
        """Cancel every call in flight and refuse new ones; safe from any thread."""
        self._interrupted.set()
        self._fetchers.stop()
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._cancel_all)

    def _cancel_all(self) -> None:
        for task in asyncio.all_tasks(self._loop):
            task.cancel()

    def call(self, method: str, *params: Any) -> Any:
        return self._run(self.client.call(method, *params))

    def call_many(
        self, calls: Sequence[tuple[str, tuple[Any, ...]]], concurrency: int = 16
    ) -> list[Any]:
        """Several calls at once (at most ``concurrency`` in flight), answers in order; a
        call that failed gives its NodeError in its place instead of raising, so one
        transaction that left the mempool meanwhile does not void the others."""
        gate = asyncio.Semaphore(concurrency)

        async def one(method: str, params: tuple[Any, ...]) -> Any:
            async with gate:
                try:
                    return await self.client.call(method, *params)
                except NodeError as exc:
                    return exc

        async def every() -> list[Any]:
            return list(await asyncio.gather(*(one(m, p) for m, p in calls)))

        return self._run(every())

    def tip_height(self) -> int:
        return self._run(self.client.tip_height())

    def block_hash(self, height: int) -> bytes:
        return self._run(self.client.block_hash(height))

    def genesis_hash(self) -> bytes:
        return self.block_hash(0)

    def chain(self) -> str:
        """The node's chain name from ``getblockchaininfo`` (Core: main, test, testnet4,
        signet, regtest; btcd: mainnet, testnet3, signet, regtest, simnet)."""
        return str(self.call("getblockchaininfo")["chain"])

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
            return self._fetch_in_process(first, last, window, layout)
        return self._fetch_here(first, last, window)

    def _fetch_in_process(
        self, first: int, last: int, window: int, layout: bool
    ) -> Generator[FetchedBlock, None, None]:
        try:
            yield from fetch_blocks_in_process(
                self._settings, first, last, window, layout=layout, fetchers=self._fetchers
            )
        except FetchStoppedError:
            raise StopRequestedError("stopped while fetching blocks") from None

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

        async def deliver(item: object) -> bool:
            """Hand ``item`` to the consumer; False once it has gone (closed the iterator).
            Never a blocking put: that would stall every other call on this loop."""
            while not stop.is_set():
                try:
                    out.put_nowait(item)
                    return True
                except queue.Full:
                    await asyncio.sleep(0.005)
            return False

        async def pump() -> None:
            try:
                async for item in self.client.blocks(first, last, window):
                    if not await deliver(item):
                        return
            except BaseException as exc:  # delivered to the consumer, re-raised there
                await deliver(exc)
                return
            await deliver(_DONE)

        future: Future[None] = self._submit(pump())
        try:
            while True:
                try:
                    item = out.get(timeout=INTERRUPT_POLL_SECONDS)
                except queue.Empty:
                    # However the pump ended on an interrupt, the consumer stops too.
                    if self._interrupted.is_set():
                        raise StopRequestedError("stopped while fetching blocks") from None
                    continue
                if item is _DONE:
                    return
                if isinstance(item, asyncio.CancelledError):
                    raise StopRequestedError("stopped while fetching blocks")
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
        """Cancel what is still running, close the connections, stop the loop: no task is
        left pending for the garbage collector to complain about."""
        try:
            self._fetchers.close()
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(CLOSE_SECONDS)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()

    async def _shutdown(self) -> None:
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await self.client.close()
