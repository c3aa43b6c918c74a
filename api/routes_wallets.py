"""What wallets ask before they spend: balances of an address, of one outpoint, of many."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.body import json_object
from api.context import MAX_BATCH_OUTPOINTS, context
from api.errors import bad_request
from api.heavy import HeavyWork, Worker
from api.params import (
    encode_cursor,
    page,
    parse_address,
    parse_cursor,
    parse_flag,
    parse_limit,
    parse_outpoint,
)
from api.pending import render_address_pending, render_outpoint_pending, service
from api.render import Json, TokenNames, json_bytes, render_assets, render_script
from api.routes_proofs import anchor, state_proof
from indexer.store_schema import OUTPOINT_LEN
from indexer.store_view import StoreView
from protocol.state import UTXO_PREFIX

OUTPOINTS_CURSOR = 6
#: Batches up to this size are answered on the event loop (well under a millisecond); larger
#: ones go to a heavy-work process (1,000 outpoints take about 10 ms to look up and encode).
INLINE_BATCH = 100


async def address_balances(request: Request) -> Response:
    ctx = context(request)
    network = ctx.reader.identity.network
    address = request.path_params["address"]
    script = parse_address(address, network)
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    after = parse_cursor(request, OUTPOINTS_CURSOR, OUTPOINT_LEN)
    proofs = parse_flag(request, "proofs")
    pending = parse_flag(request, "pending")
    mempool = service(ctx) if pending else None
    with ctx.reader.read() as view:
        names = TokenNames(view)
        totals = [names.amount(token, amount) for token, amount in view.script_balances(script)]
        taken, more = page(view.outpoints_of_script_after(script, after), limit)
        outpoints = [render_assets(op, view.get(UTXO_PREFIX + op), names) for op in taken]
        if proofs:
            # spec §25: each outpoint's record proved against the root of this snapshot.
            against = anchor(view)
            for op, body in zip(taken, outpoints, strict=True):
                body["proof"] = state_proof(view, UTXO_PREFIX + op)
        if mempool is not None:
            # Kept apart: "balances" stay confirmed, the mempool's side is "pending".
            pending_side = render_address_pending(mempool, view, script, names)
            for op, body in zip(taken, outpoints, strict=True):
                body.update(render_outpoint_pending(mempool, op, names))
    result = {
        "address": address,
        "script_pubkey": script.hex(),
        "balances": totals,
        "outpoints": outpoints,
        "next": encode_cursor(OUTPOINTS_CURSOR, taken[-1]) if more else None,
    }
    if proofs:
        result["anchor"] = against
    if mempool is not None:
        result["pending"] = pending_side
    return JSONResponse(result)


async def outpoint_balances(request: Request) -> Response:
    ctx = context(request)
    outpoint = parse_outpoint(request.path_params["outpoint"])
    with ctx.reader.read() as view:
        names = TokenNames(view)
        body = render_assets(outpoint, view.get(UTXO_PREFIX + outpoint), names)
        script = view.script_of(outpoint)
        body.update(render_outpoint_pending(ctx.mempool, outpoint, names))
    body.update(
        render_script(script, ctx.reader.identity.network)
        if script is not None
        else {"script_pubkey": None, "address": None}
    )
    return JSONResponse(body)


async def batch_balances(request: Request) -> Response:
    ctx = context(request)
    body = await json_object(request)
    texts = body.get("outpoints")
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise bad_request("invalid_body", 'the body must be {"outpoints": ["TXID:VOUT", ...]}')
    if not 1 <= len(texts) <= MAX_BATCH_OUTPOINTS:
        raise bad_request(
            "too_many_outpoints",
            f"ask for 1 to {MAX_BATCH_OUTPOINTS:,} outpoints per request, not {len(texts):,}",
        )
    outpoints = [parse_outpoint(text) for text in texts]
    if len(outpoints) <= INLINE_BATCH:
        with ctx.reader.read() as view:
            body = _lookup(view, outpoints)
            for op, item in zip(outpoints, body["outpoints"], strict=True):
                item.update(render_outpoint_pending(ctx.mempool, op, TokenNames(view)))
            content = json_bytes(body)
    else:
        heavy: HeavyWork = request.app.state.heavy
        content = await heavy.run(batch_job, outpoints)
        # The heavy-work process has no pending view: its side is added here.
        decoded = json.loads(content)
        with ctx.reader.read() as view:
            names = TokenNames(view)
            for op, item in zip(outpoints, decoded["outpoints"], strict=True):
                item.update(render_outpoint_pending(ctx.mempool, op, names))
        content = json_bytes(decoded)
    return Response(content, media_type="application/json")


def _lookup(view: StoreView, outpoints: list[bytes]) -> Json:
    names = TokenNames(view)
    return {"outpoints": [render_assets(op, view.get(UTXO_PREFIX + op), names) for op in outpoints]}


def batch_job(worker: Worker, outpoints: list[bytes]) -> bytes:
    """A large batch, looked up and encoded in a heavy-work process."""
    with worker.store.read() as view:
        return json_bytes(_lookup(view, outpoints))


ROUTES = [
    Route("/v1/addresses/{address}/balances", address_balances, methods=["GET"]),
    Route("/v1/outpoints/{outpoint}", outpoint_balances, methods=["GET"]),
    Route("/v1/outpoints", batch_balances, methods=["POST"]),
]
