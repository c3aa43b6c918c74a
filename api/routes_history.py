"""History: one transaction's message and events; events by block range and by address."""

from __future__ import annotations

from itertools import takewhile

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.context import context
from api.errors import not_found, unprocessable
from api.messages import render_message
from api.params import (
    choice,
    encode_cursor,
    page,
    parse_address,
    parse_cursor,
    parse_height,
    parse_limit,
    parse_txid,
)
from api.pending import pending_tx
from api.render import Json, render_event, render_reason
from indexer.store_schema import EVENT_KEY
from protocol.events import EventType

EVENTS_CURSOR = 7
ADDRESS_CURSORS = {"asc": 8, "desc": 9}


async def transaction(request: Request) -> Response:
    ctx = context(request)
    txid = parse_txid(request.path_params["txid"])
    with ctx.reader.read() as view:
        entries = view.transaction(txid)
        if not entries:
            pending = pending_tx(ctx, txid)
            if pending is not None:
                return JSONResponse(pending)
            raise not_found(
                "tx_not_found",
                f"{request.path_params['txid']} has no protocol message or events in an "
                "indexed block"
                + ("" if ctx.mempool is None else ", nor is it a pending protocol transaction"),
            )
        entry = entries[-1]
        record = view.block(entry.height)
        events = [
            render_event(entry.height, index, raw)
            for index in range(entry.first_event, entry.first_event + entry.event_count)
            if (raw := view.event(entry.height, index)) is not None
        ]
    rejected = [e for e in events if e["type"] == EventType.REJECTED.label]
    message, decode_error = (None, None)
    if entry.payload is not None:
        message, decode_error = render_message(entry.payload)
    if rejected:
        status = "rejected"
    elif entry.payload is not None:
        status = "accepted"
    else:
        status = "no_message"
    body: Json = {
        "txid": request.path_params["txid"].lower(),
        "confirmation": "confirmed",
        "block": {
            "height": entry.height,
            "hash": None if record is None else record.block_hash[::-1].hex(),
        },
        "status": status,
        "reason": rejected[0]["reason"] if rejected else None,
        "payload": None if entry.payload is None else entry.payload.hex(),
        "message": message,
        "decode_error": None if decode_error is None else render_reason(decode_error),
        "events": events,
    }
    return JSONResponse(body)


async def events_by_height(request: Request) -> Response:
    ctx = context(request)
    first = parse_height(request.query_params.get("from"), "from")
    last = parse_height(request.query_params.get("to"), "to")
    if first is not None and last is not None and first > last:
        raise unprocessable("invalid_range", f"from ({first:,}) is above to ({last:,})")
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    cursor = parse_cursor(request, EVENTS_CURSOR, EVENT_KEY.size)
    if cursor is not None:
        after: tuple[int, int] | None = EVENT_KEY.unpack(cursor)
    elif first is not None and first > 0:
        after = (first - 1, 2**32 - 1)
    else:
        after = None
    with ctx.reader.read() as view:
        items = view.events_after(after)
        if last is not None:
            items = takewhile(lambda item: item[0] <= last, items)
        taken, more = page(items, limit)
    events = [render_event(height, index, raw) for height, index, raw in taken]
    cursor_out = encode_cursor(EVENTS_CURSOR, EVENT_KEY.pack(*taken[-1][:2])) if more else None
    return JSONResponse({"events": events, "next": cursor_out})


async def address_events(request: Request) -> Response:
    ctx = context(request)
    script = parse_address(request.path_params["address"], ctx.reader.identity.network)
    order = choice(request, "order", ("desc", "asc"))
    kind = ADDRESS_CURSORS[order]
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    cursor = parse_cursor(request, kind, EVENT_KEY.size)
    after = None if cursor is None else EVENT_KEY.unpack(cursor)
    with ctx.reader.read() as view:
        taken, more = page(view.script_events(script, after, reverse=order == "desc"), limit)
        events = [
            render_event(height, index, raw)
            for height, index in taken
            if (raw := view.event(height, index)) is not None
        ]
    cursor_out = encode_cursor(kind, EVENT_KEY.pack(*taken[-1])) if more else None
    return JSONResponse(
        {"address": request.path_params["address"], "events": events, "next": cursor_out}
    )


ROUTES = [
    Route("/v1/txs/{txid}", transaction, methods=["GET"]),
    Route("/v1/events", events_by_height, methods=["GET"]),
    Route("/v1/addresses/{address}/events", address_events, methods=["GET"]),
]
