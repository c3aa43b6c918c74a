"""One reader of new blocks for every live stream, so a hundred subscribers cost one.

The hub polls the store's tip every ``stream_poll_seconds``. When blocks were added it reads
them once (:func:`api.sse.read_after`, in bounded reads, rendered in a heavy-work process so
the event loop only moves bytes) and offers the same encoded chunk to every live
subscriber's queue. A subscriber starts behind the hub (a resume cursor, or the hub moved
on while it said hello) and replays on its own, also through heavy-work processes, at most
``REPLAYS_AT_ONCE`` streams reading at a time and each read bounded in events: a crowd of
replaying clients cannot starve other requests, nor crowd compose out of the heavy-work
queue. Once its position equals the hub's it joins (checked and done without an ``await``
between, so no block is missed).

A subscriber's queue holds at most ``stream_queue_blocks`` blocks. One that fills it is a
consumer that does not read: it is dropped (sent an ``error`` message naming its last cursor)
instead of having blocks buffered for it without bound. The number of open streams is capped
at ``max_streams``; :meth:`StreamHub.open` returns None past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from api.context import ApiContext
from api.errors import ApiError
from api.heavy import HeavyWork
from api.render import Json
from api.sse import Position, message, read_job, resume

log = logging.getLogger(__name__)

#: Replaying streams reading the store at once; the others wait their turn.
REPLAYS_AT_ONCE = 2
#: Events per replay read (a block is never split, so a read can exceed this by one block).
REPLAY_EVENTS = 200
#: Events per read of the hub; it reads again at once while more blocks are waiting.
HUB_EVENTS = 2_000
#: How long a read waits when the heavy-work queue is full before asking again.
BUSY_RETRY_SECONDS = 0.05


class Idle:
    """No block came within the heartbeat interval."""


IDLE = Idle()


class Subscriber:
    def __init__(self, hub: StreamHub) -> None:
        self._hub = hub
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(hub.queue_blocks)
        self.dropped = False

    def offer(self, chunk: bytes) -> None:
        try:
            self.queue.put_nowait(chunk)
        except asyncio.QueueFull:
            self.drop()

    def drop(self) -> None:
        self.dropped = True
        self._hub.leave(self)
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def messages(
        self, position: Position, sequence: int, notice: Json | None
    ) -> AsyncIterator[bytes]:
        hub = self._hub
        heartbeat = hub.ctx.settings.stream_heartbeat_seconds
        try:
            if notice is not None:
                yield message("reorg", notice).encode()
            hello: Json = {"cursor": position.cursor, "height": position.height}
            yield message("hello", hello, position.cursor).encode()
            while not hub.join(self, position):
                async with hub.replays:
                    chunks, position, sequence = await hub.read(position, sequence, REPLAY_EVENTS)
                for chunk in chunks:
                    yield chunk
                if not chunks and not await hub.moved(heartbeat):
                    yield b": keep-alive\n\n"
            while True:
                got: bytes | Idle | None = IDLE
                # asyncio.timeout, not wait_for: no task per block per subscriber.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(heartbeat):
                        got = await self.queue.get()
                if isinstance(got, Idle):
                    yield b": keep-alive\n\n"
                    continue
                if got is None:
                    yield message(
                        "error",
                        {
                            "code": "slow_consumer",
                            "message": "this client read too slowly and was dropped; "
                            "resume with the id of the last block message received",
                        },
                    ).encode()
                    return
                # Everything already queued goes out in one write: one send per subscriber
                # per hub read, not one per block, when the hub hands out several at once.
                parts = [got]
                while not self.queue.empty():
                    more = self.queue.get_nowait()
                    if more is None:
                        self.queue.put_nowait(None)  # the drop notice, for the next turn
                        break
                    parts.append(more)
                yield b"".join(parts)
        finally:
            hub.close(self)


class StreamHub:
    def __init__(self, ctx: ApiContext, heavy: HeavyWork) -> None:
        self.ctx = ctx
        self.heavy = heavy
        self.max_streams = ctx.settings.max_streams
        self.queue_blocks = ctx.settings.stream_queue_blocks
        self.replays = asyncio.Semaphore(REPLAYS_AT_ONCE)
        self.open_streams = 0
        #: Blocks the hub has read from the store (each once, whatever the subscribers).
        self.blocks_read = 0
        self._live: set[Subscriber] = set()
        self._position: Position | None = None
        self._sequence = 0
        self._moved = asyncio.Event()

    @property
    def live(self) -> int:
        return len(self._live)

    def open(self) -> Subscriber | None:
        if self.open_streams >= self.max_streams:
            return None
        self.open_streams += 1
        return Subscriber(self)

    def close(self, subscriber: Subscriber) -> None:
        self.leave(subscriber)
        self.open_streams -= 1

    def join(self, subscriber: Subscriber, position: Position) -> bool:
        if self._position is None or position != self._position:
            return False
        self._live.add(subscriber)
        return True

    def leave(self, subscriber: Subscriber) -> None:
        self._live.discard(subscriber)

    async def moved(self, timeout: float) -> bool:
        """Wait until the hub's position changes; False if ``timeout`` passed first."""
        event = self._moved
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
            return True
        return False

    async def read(
        self, position: Position, sequence: int, max_events: int
    ) -> tuple[list[bytes], Position, int]:
        """The blocks after ``position``, read and rendered in a heavy-work process (waiting
        for room there rather than failing: a stream is a long request anyway)."""
        while True:
            try:
                return await self.heavy.run(read_job, position, sequence, max_events)
            except ApiError as exc:
                if exc.code != "busy":
                    raise
            await asyncio.sleep(BUSY_RETRY_SECONDS)

    async def run(self) -> None:
        while True:
            try:
                more = await self.step()
            except Exception:  # the hub must outlive any one failed read
                log.exception("the stream hub failed to read; retrying")
                more = False
            await asyncio.sleep(0 if more else self.ctx.settings.stream_poll_seconds)

    async def step(self) -> bool:
        """Read what is new (bounded) and hand it out; True if more is waiting."""
        tip, sequence, _ = resume(self.ctx, None)  # one short read on the loop
        if self._position is None or not self._live:
            # Nobody to hand blocks to: just follow the tip, so the next subscriber joins it.
            changed = tip != self._position
            self._position, self._sequence = tip, sequence
            if changed:
                self._announce()
            return False
        if tip == self._position and sequence == self._sequence:
            return False
        chunks, position, self._sequence = await self.read(
            self._position, self._sequence, HUB_EVENTS
        )
        if not chunks:
            return False
        self.blocks_read += len(chunks)
        for subscriber in list(self._live):
            for chunk in chunks:
                if subscriber.dropped:
                    break
                subscriber.offer(chunk)
        self._position = position
        self._announce()
        return True

    def _announce(self) -> None:
        self._moved.set()
        self._moved = asyncio.Event()
