"""Status of the index and the node, block records, and the operators' health probes."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.context import ApiContext, context
from api.errors import bad_request, error_response, not_found
from api.params import is_u32
from api.render import Json, json_bytes, render_block
from protocol.params import PROTOCOL_VERSION

HEX64 = re.compile(r"[0-9a-fA-F]{64}")


#: /v1/status is built at most this often per worker; polled by every dashboard and load
#: balancer, it is the API's most frequent request (and the index moves once a block).
STATUS_CACHE_SECONDS = 0.1


async def status(request: Request) -> Response:
    cache: StatusCache = request.app.state.status_cache
    now = time.monotonic()
    if cache.body is None or now - cache.built_at > STATUS_CACHE_SECONDS:
        cache.body, cache.built_at = json_bytes(_status(context(request))), now
    return Response(cache.body, media_type="application/json")


@dataclass
class StatusCache:
    body: bytes | None = None
    built_at: float = 0.0


def _status(ctx: ApiContext) -> Json:
    identity = ctx.reader.identity
    with ctx.reader.read() as view:
        tip = view.tip()
        oldest_undo = view.oldest_undo_height()
        last_reorg = view.last_reorg()
    monitor = ctx.monitor
    start = identity.activation_height
    indexed_height = None if tip is None else tip.height
    progress = None
    if monitor.node_height is not None:
        done = 0 if tip is None else tip.height - start + 1
        total = monitor.node_height - start + 1
        progress = 1.0 if total <= 0 else round(min(max(done / total, 0.0), 1.0), 6)
    return {
        "network": identity.network.value,
        "protocol_version": PROTOCOL_VERSION,
        "activation_height": start,
        "indexed": None
        if tip is None
        else {
            "height": tip.height,
            "hash": tip.block_hash[::-1].hex(),
            "state_hash": tip.state_hash.hex(),
        },
        "node": {
            "height": monitor.node_height,
            "error": monitor.node_error,
            "checked_at": monitor.node_checked_at,
        },
        "lag_blocks": monitor.lag(indexed_height),
        "sync_progress": progress,
        "undo": {"depth": ctx.settings.undo_depth, "oldest_height": oldest_undo},
        "last_reorg": None
        if last_reorg is None
        else {
            "first_height": last_reorg.first_height,
            "last_height": last_reorg.last_height,
            "depth": last_reorg.depth,
        },
    }


async def block(request: Request) -> Response:
    ctx = context(request)
    ident: str = request.path_params["block"]
    with ctx.reader.read() as view:
        if is_u32(ident):
            record = view.block(int(ident))
        elif HEX64.fullmatch(ident):
            record = view.block_by_hash(bytes.fromhex(ident)[::-1])
        else:
            raise bad_request(
                "invalid_block_id",
                f"{ident[:80]!r} is neither a block height (0 to 2^32-1, no leading zeros) "
                "nor a block hash",
            )
    if record is None:
        raise not_found("block_not_found", f"no indexed block {ident}")
    return JSONResponse(render_block(record))


async def healthz(request: Request) -> Response:
    """Alive: the store answers, and the in-process indexer (``run``) has not died."""
    ctx = context(request)
    ctx.reader.tip()
    if ctx.indexer is not None and not ctx.indexer.alive():
        return error_response(503, "indexer_stopped", "the indexer thread has stopped; see logs")
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready: the node answered within ``node_fresh`` seconds, a tip is indexed, and it is
    within ``ready_lag_blocks`` of the node's."""
    ctx = context(request)
    tip = ctx.reader.tip()
    if ctx.indexer is not None and not ctx.indexer.alive():
        return error_response(503, "indexer_stopped", "the indexer thread has stopped; see logs")
    if ctx.node_height is not None:
        silent = ctx.monitor.node_silent_for()
        fresh = ctx.settings.node_fresh
        if silent is None or silent > fresh:
            since = "has not answered yet" if silent is None else f"silent for {silent:,.0f} s"
            detail = ctx.monitor.node_error or "no answer"
            return error_response(
                503,
                "node_unreachable",
                f"the node {since} (readiness needs an answer within {fresh:g} s): {detail}",
            )
    if tip is None:
        return error_response(503, "not_synced", "no block is indexed yet")
    lag = ctx.monitor.lag(tip.height)
    if lag is not None and lag > ctx.settings.ready_lag_blocks:
        return error_response(
            503, "not_synced", f"the index is {lag:,} blocks behind the node; syncing"
        )
    return JSONResponse({"status": "ready", "height": tip.height, "lag_blocks": lag})


ROUTES = [
    Route("/v1/status", status, methods=["GET"]),
    Route("/v1/blocks/{block}", block, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
]
