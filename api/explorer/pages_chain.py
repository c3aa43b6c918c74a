"""Pages of the chain as indexed: the tip and recent blocks, one block, one transaction,
and the search box that leads to any page."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.context import context
from api.errors import ApiError, not_found
from api.explorer.common import html, rows, token_names
from api.explorer.source import Json, api_url, get_json, seg
from api.explorer.templates import page
from api.params import HEX64, is_u32

#: Blocks listed on the home page, newest first.
RECENT_BLOCKS = 15
TOKEN_ID = re.compile(r"\d{1,10}:\d{1,10}")
OUTPOINT = re.compile(r"[0-9a-fA-F]{64}:\d{1,10}")
TICKER = re.compile(r"[A-Za-z][A-Za-z0-9]{2,11}")
HEX_KEY = re.compile(r"(?:[0-9a-f]{2}){1,256}")


@html
async def home(request: Request) -> Response:
    status = await get_json(request, "/v1/status")
    blocks: list[Json] = []
    indexed = status["indexed"]
    if indexed is not None:
        low = max(status["activation_height"], indexed["height"] - RECENT_BLOCKS + 1)
        for height in range(indexed["height"], low - 1, -1):
            try:
                blocks.append(await get_json(request, f"/v1/blocks/{height}"))
            except ApiError:  # rolled back since the status was read: list what remains
                break
    sources = ["/v1/status", *(f"/v1/blocks/{b['height']}" for b in blocks[:1])]
    return page(
        "home.html", title="rootstate explorer", status=status, blocks=blocks, sources=sources
    )


@html
async def block(request: Request) -> Response:
    ident: str = request.path_params["block"]
    record = await get_json(request, f"/v1/blocks/{seg(ident)}")
    height = record["height"]
    events_url = api_url(
        "/v1/events",
        {
            "from": height,
            "to": height,
            "limit": rows(request, 4),
            "cursor": request.query_params.get("cursor"),
        },
    )
    events = await get_json(request, events_url)
    return page(
        "block.html",
        title=f"Block {height:,}",
        block=record,
        events=events["events"],
        names=await token_names(request, events["events"]),
        next=events["next"],
        activation=context(request).reader.identity.activation_height,
        has_next=await _exists(request, f"/v1/blocks/{height + 1}"),
        sources=[f"/v1/blocks/{height}", events_url],
    )


@html
async def transaction(request: Request) -> Response:
    txid: str = request.path_params["txid"]
    url = f"/v1/txs/{seg(txid)}"
    body = await get_json(request, url)
    names = await token_names(request, body["events"])
    return page("tx.html", title=f"Transaction {txid[:16]}…", tx=body, names=names, sources=[url])


async def _exists(request: Request, url: str) -> bool:
    try:
        await get_json(request, url)
    except ApiError as exc:
        if exc.status in (400, 404):
            return False
        raise
    return True


async def _target(request: Request, query: str) -> str | None:
    """The page a search for ``query`` leads to, or None."""
    if is_u32(query):
        return f"/blocks/{query}"
    if HEX64.fullmatch(query):
        if await _exists(request, f"/v1/txs/{seg(query)}"):
            return f"/txs/{query.lower()}"
        if await _exists(request, f"/v1/blocks/{seg(query)}"):
            return f"/blocks/{query.lower()}"
        return None
    if OUTPOINT.fullmatch(query):
        return f"/outpoints/{query.lower()}"
    if TOKEN_ID.fullmatch(query):
        if await _exists(request, f"/v1/tokens/{seg(query)}"):
            return f"/tokens/{query}"
        if await _exists(request, f"/v1/contracts/{seg(query)}"):
            return f"/contracts/{query}"
        return None
    if TICKER.fullmatch(query) and await _exists(request, f"/v1/tokens/{seg(query.upper())}"):
        return f"/tokens/{query.upper()}"
    if await _exists(request, f"/v1/addresses/{seg(query)}/balances?limit=1"):
        return f"/addresses/{query}"
    if HEX_KEY.fullmatch(query.lower()):
        return f"/state/{query.lower()}"
    return None


@html
async def search(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()
    target = await _target(request, query) if 0 < len(query) <= 600 else None
    if target is None:
        raise not_found(
            "nothing_found",
            f"{query[:100]!r} is no indexed block, transaction, token, contract, outpoint, "
            "address or state key",
        )
    return RedirectResponse(target, status_code=303)
