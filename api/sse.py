"""Live blocks and events as Server-Sent Events, resumable, with reorg notices.

``GET /v1/stream`` sends, in order:

- ``hello`` once, with the position the stream starts after (its ``id`` is a cursor);
- per new block, one ``event`` message per protocol event, then a ``block`` message whose
  ``id`` is the cursor ``HEIGHT-BLOCKHASH`` of that block;
- ``reorg`` when blocks the client was sent have been rolled back, naming the heights
  removed; the stream then goes on from the fork with the new branch.

A client resumes with ``?cursor=`` or the standard ``Last-Event-ID`` header. A cursor naming a
block that has since been rolled back gets a ``reorg`` first (found through the store's log of
rollbacks); one naming a block the index never had is refused with 400 before streaming.
Streams share the work (see :mod:`api.stream_hub`): one poller reads each new block once and
hands the same bytes to every live subscriber; a client resuming from an old cursor replays
on its own in reads of a bounded number of events, a few replays at a time, until it reaches
the poller's position and joins it. The number of open streams is capped (503 past it), and a
subscriber that does not keep up is sent an ``error`` message and closed rather than buffered
without bound; it resumes with its last cursor. No read transaction is held while a client is
written to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from api.context import ApiContext, context
from api.errors import bad_request, error_response
from api.heavy import Worker
from api.render import Json, render_block, render_event
from indexer.store_reader import StoreReader
from indexer.store_view import StoreView
from protocol.params import U32_MAX

if TYPE_CHECKING:
    from api.stream_hub import StreamHub

CURSOR = re.compile(r"(\d{1,10})-([0-9a-f]{64})")
#: Blocks read per store snapshot while catching up, so no read transaction grows long.
BLOCKS_PER_READ = 20


@dataclass
class Position:
    """The last block the client has been sent (hash None: before the first block)."""

    height: int
    block_hash: bytes | None

    @property
    def cursor(self) -> str | None:
        if self.block_hash is None:
            return None
        return f"{self.height}-{self.block_hash[::-1].hex()}"


def message(kind: str, data: Json, event_id: str | None = None) -> str:
    head = f"event: {kind}\n" + (f"id: {event_id}\n" if event_id else "")
    return head + f"data: {json.dumps(data, separators=(',', ':'))}\n\n"


def _fork_after(view: StoreView, sequence: int, default: int) -> tuple[int, int]:
    """(fork height, newest log sequence): below the fork no rollback since ``sequence``."""
    fork, newest = default, sequence
    for reorg in view.reorgs(sequence):
        fork = min(fork, reorg.first_height - 1)
        newest = reorg.sequence
    return fork, newest


def _position(view: StoreView, height: int) -> Position:
    record = view.block(height)
    return Position(height, None if record is None else record.block_hash)


def _reorg_notice(fork: int, last_sent: int) -> Json:
    return {"fork_height": fork, "rolled_back": {"from": fork + 1, "to": last_sent}}


def resume(ctx: ApiContext, token: str | None) -> tuple[Position, int, Json | None]:
    """Where a stream starts: (position, reorg log sequence seen, reorg notice to send)."""
    start = ctx.reader.identity.activation_height
    with ctx.reader.read() as view:
        last = view.last_reorg()
        sequence = 0 if last is None else last.sequence
        if token is None:
            tip = view.tip()
            if tip is None:
                return Position(start - 1, None), sequence, None
            return Position(tip.height, tip.block_hash), sequence, None
        match = CURSOR.fullmatch(token)
        if match is None or int(match.group(1)) > U32_MAX:
            raise bad_request("invalid_cursor", "a stream cursor is HEIGHT-BLOCKHASH (hex)")
        height, block_hash = int(match.group(1)), bytes.fromhex(match.group(2))[::-1]
        record = view.block(height)
        if record is not None and record.block_hash == block_hash:
            return Position(height, block_hash), sequence, None
        for reorg in view.reorgs():
            if block_hash in reorg.block_hashes:
                fork, _ = _fork_after(view, reorg.sequence - 1, height - 1)
                return _position(view, fork), sequence, _reorg_notice(fork, height)
    raise bad_request("invalid_cursor", f"block {match.group(2)} was never in this index")


def read_after(
    reader: StoreReader, position: Position, sequence: int, max_events: int
) -> tuple[list[bytes], Position, int]:
    """The next blocks after ``position`` as wire-ready chunks, one per block (a reorg notice
    first if ``position`` was rolled back), stopping once ``max_events`` events are read so
    no single read holds the event loop for long."""
    out: list[bytes] = []
    events = 0
    with reader.read() as view:
        if position.block_hash is not None:
            record = view.block(position.height)
            if record is None or record.block_hash != position.block_hash:
                fork, sequence = _fork_after(view, sequence, position.height - 1)
                out.append(message("reorg", _reorg_notice(fork, position.height)).encode())
                position = _position(view, fork)
        tip = view.tip()
        top = -1 if tip is None else min(tip.height, position.height + BLOCKS_PER_READ)
        for height in range(position.height + 1, top + 1):
            block = view.block(height)
            if block is None:
                break
            raw_events = view.events(height)
            parts = [
                message("event", render_event(height, index, raw))
                for index, raw in enumerate(raw_events)
            ]
            position = Position(height, block.block_hash)
            parts.append(message("block", render_block(block), position.cursor))
            out.append("".join(parts).encode())
            events += len(raw_events) + 1
            if events >= max_events:
                break
    return out, position, sequence


def read_job(
    worker: Worker, position: Position, sequence: int, max_events: int
) -> tuple[list[bytes], Position, int]:
    """:func:`read_after` in a heavy-work process: rendering events is the costly part."""
    return read_after(worker.store, position, sequence, max_events)


async def stream(request: Request) -> Response:
    ctx = context(request)
    hub: StreamHub = request.app.state.streams
    token = request.query_params.get("cursor") or request.headers.get("last-event-id")
    position, sequence, notice = resume(ctx, token)
    opened = hub.open()
    if opened is None:
        return error_response(
            503,
            "too_many_streams",
            f"the server holds its limit of {ctx.settings.max_streams:,} streams; retry later",
            headers={"Retry-After": "5"},
        )
    return StreamingResponse(
        opened.messages(position, sequence, notice),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


ROUTES = [Route("/v1/stream", stream, methods=["GET"])]
