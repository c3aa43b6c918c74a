"""The mempool as the pending view sees it: ``GET /v1/mempool`` and its live stream.

``/v1/mempool`` lists the pending protocol transactions in arrival order (paged), each with
its simulated status and fee rate. ``/v1/mempool/stream`` is Server-Sent Events: ``hello``
(the view), then per change ``pending`` (a transaction entered the view: its simulated
events or rejection), ``replaced`` (RBF: ``by`` names the replacement), ``evicted``
(``reason``: ``conflict_confirmed``, ``memory_cap`` or ``removed``) and ``confirmed`` (mined
at ``height``). Each message's ``id`` is its sequence number; ``Last-Event-ID`` resumes from
the notices still kept (the last 10,000).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from api.context import context
from api.errors import bad_request, error_response
from api.params import encode_cursor, format_txid, page, parse_cursor, parse_limit
from api.pending import render_entry, render_view, service
from api.render import Json
from api.sse import message
from api.stream_hub import StreamHub, Subscriber
from indexer.mempool_layer import Notice
from indexer.mempool_service import MempoolService

MEMPOOL_CURSOR = 20
#: How often a stream looks for new notices.
STREAM_POLL_SECONDS = 0.25


async def mempool(request: Request) -> Response:
    ctx = context(request)
    pool = service(ctx)
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    cursor = parse_cursor(request, MEMPOOL_CURSOR, 8)
    after = 0 if cursor is None else int.from_bytes(cursor, "big")
    with pool.layer.reading() as state:
        ordered = sorted((e for e in state.entries.values() if e.seq > after), key=lambda e: e.seq)
        taken, more = page(ordered, limit)
        body = {
            "view": render_view(pool, state),
            "txs": [render_entry(state, entry, events=False) for entry in taken],
            "next": encode_cursor(MEMPOOL_CURSOR, taken[-1].seq.to_bytes(8, "big"))
            if more
            else None,
        }
    return JSONResponse(body)


def _notice(pool: MempoolService, notice: Notice) -> str:
    data: Json = {"txid": format_txid(notice.txid)}
    if notice.kind == "pending" and notice.entry is not None:
        with pool.layer.reading() as state:
            data = render_entry(state, notice.entry, events=True)
    elif notice.kind == "replaced" and notice.by is not None:
        data["by"] = format_txid(notice.by)
    elif notice.kind == "evicted":
        data["reason"] = notice.reason
    elif notice.kind == "confirmed":
        data["height"] = notice.height
    return message(notice.kind, data, str(notice.seq))


async def _messages(
    pool: MempoolService, after: int, heartbeat: float, hub: StreamHub, slot: Subscriber
) -> AsyncIterator[bytes]:
    try:
        async for chunk in _notices(pool, after, heartbeat):
            yield chunk
    finally:
        hub.close(slot)


async def _notices(pool: MempoolService, after: int, heartbeat: float) -> AsyncIterator[bytes]:
    with pool.layer.reading() as state:
        hello = render_view(pool, state)
    newest = pool.layer.notice_seq if after < 0 else after
    yield message("hello", {**hello, "cursor": newest}, str(newest)).encode()
    idle = 0.0
    while True:
        notices, newest_now = pool.layer.notices_after(newest)
        if notices:
            yield "".join(_notice(pool, n) for n in notices).encode()
            newest = notices[-1].seq
            idle = 0.0
        else:
            # A number above the newest is one from before a restart of the server, whose
            # numbering started again: follow the new numbering.
            newest = min(newest, newest_now)
            idle += STREAM_POLL_SECONDS
            if idle >= heartbeat:
                yield b": keep-alive\n\n"
                idle = 0.0
        await asyncio.sleep(STREAM_POLL_SECONDS)


async def mempool_stream(request: Request) -> Response:
    ctx = context(request)
    pool = service(ctx)
    token = request.query_params.get("cursor") or request.headers.get("last-event-id")
    after = -1
    if token:
        if not token.isdigit() or len(token) > 19:
            raise bad_request("invalid_cursor", "a mempool stream cursor is a notice number")
        after = int(token)
    # One cap for every live stream: a mempool stream takes a slot of /v1/stream's limit.
    hub: StreamHub = request.app.state.streams
    slot = hub.open()
    if slot is None:
        return error_response(
            503,
            "too_many_streams",
            f"the server holds its limit of {ctx.settings.max_streams:,} streams; retry later",
            headers={"Retry-After": "5"},
        )
    return StreamingResponse(
        _messages(pool, after, ctx.settings.stream_heartbeat_seconds, hub, slot),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


ROUTES = [
    Route("/v1/mempool", mempool, methods=["GET"]),
    Route("/v1/mempool/stream", mempool_stream, methods=["GET"]),
]
