"""Pages of the state: tokens and their holders, contracts with their storage, custody and
recent calls, addresses and outpoints with their balances."""

from __future__ import annotations

import cbor2
from starlette.requests import Request
from starlette.responses import Response

from api.context import context
from api.explorer.common import html, rows, token_names
from api.explorer.source import Json, api_url, get_json, seg
from api.explorer.templates import page
from api.params import parse_outpoint, parse_token_id_param
from api.render import render_event
from protocol.events import EventType, Field
from protocol.state import CONTRACT_PREFIX, STORAGE_PREFIX, UTXO_PREFIX, token_key

#: A contract's recent calls are found by reading events back from the tip (no index names a
#: contract's calls): at most this many events per page view, so the page's cost is bounded.
CALL_SCAN_EVENTS = 2_000
RECENT_CALLS = 10


def _cursor(request: Request) -> str | None:
    return request.query_params.get("cursor")


@html
async def tokens(request: Request) -> Response:
    sort = request.query_params.get("sort", "deploy")
    order = request.query_params.get("order")
    url = api_url(
        "/v1/tokens",
        {"sort": sort, "order": order, "limit": rows(request), "cursor": _cursor(request)},
    )
    body = await get_json(request, url)
    return page(
        "tokens.html",
        title="Tokens",
        tokens=body["tokens"],
        next=body["next"],
        sort=sort,
        order=order,
        sources=[url],
    )


@html
async def token(request: Request) -> Response:
    ref: str = request.path_params["token"]
    url = f"/v1/tokens/{seg(ref)}"
    body = await get_json(request, url)
    holders_url = api_url(
        f"/v1/tokens/{body['id']}/holders", {"limit": rows(request), "cursor": _cursor(request)}
    )
    holders = await get_json(request, holders_url)
    key = token_key(parse_token_id_param(body["id"])).hex()
    return page(
        "token.html",
        title=f"{body['ticker']} ({body['id']})",
        token=body,
        holders=holders["holders"],
        next=holders["next"],
        state_key=key,
        sources=[url, holders_url, f"/v1/proofs/tokens/{body['id']}"],
    )


@html
async def contracts(request: Request) -> Response:
    url = api_url("/v1/contracts", {"limit": rows(request), "cursor": _cursor(request)})
    body = await get_json(request, url)
    return page(
        "contracts.html",
        title="Contracts",
        contracts=body["contracts"],
        next=body["next"],
        sources=[url],
    )


def recent_calls(request: Request, contract: bytes) -> tuple[list[Json], int | None, int | None]:
    """The latest ``call`` events of ``contract``, newest first, reading back from the tip at
    most CALL_SCAN_EVENTS events; and the heights read (for the /v1/events link)."""
    ctx = context(request)
    found: list[Json] = []
    scanned = 0
    low = top = None
    with ctx.reader.read() as view:
        tip = view.tip()
        height = -1 if tip is None else tip.height
        top = None if tip is None else tip.height
        while height >= ctx.reader.identity.activation_height and scanned < CALL_SCAN_EVENTS:
            raw_events = view.events(height)
            scanned += len(raw_events)
            low = height
            for index in range(len(raw_events) - 1, -1, -1):
                event = cbor2.loads(raw_events[index])
                if (
                    event[Field.TYPE] == EventType.CALL
                    and bytes(event.get(Field.CONTRACT, b"")) == contract
                ):
                    found.append(render_event(height, index, raw_events[index]))
            if len(found) >= RECENT_CALLS:
                break
            height -= 1
    return found[:RECENT_CALLS], low, top


@html
async def contract(request: Request) -> Response:
    ident: str = request.path_params["contract"]
    url = f"/v1/contracts/{seg(ident)}"
    body = await get_json(request, url)
    storage_url = api_url(
        f"/v1/contracts/{body['id']}/storage", {"limit": rows(request), "cursor": _cursor(request)}
    )
    storage = await get_json(request, storage_url)
    contract_id = parse_token_id_param(body["id"], what="contract")
    prefix = (STORAGE_PREFIX + contract_id).hex()
    calls, low, top = recent_calls(request, contract_id)
    events_url = None if low is None else api_url("/v1/events", {"from": low, "to": top})
    sources = [url, storage_url, *([events_url] if events_url else [])]
    return page(
        "contract.html",
        title=f"Contract {body['id']}",
        contract=body,
        storage=storage["entries"],
        next=storage["next"],
        storage_prefix=prefix,
        record_key=(CONTRACT_PREFIX + contract_id).hex(),
        calls=calls,
        calls_from=low,
        calls_to=top,
        events_url=events_url,
        sources=sources,
    )


@html
async def address(request: Request) -> Response:
    text: str = request.path_params["address"]
    url = api_url(
        f"/v1/addresses/{seg(text)}/balances", {"limit": rows(request), "cursor": _cursor(request)}
    )
    body = await get_json(request, url)
    events_url = api_url(f"/v1/addresses/{seg(text)}/events", {"limit": rows(request)})
    events = await get_json(request, events_url)
    return page(
        "address.html",
        title=f"Address {text}",
        address=body,
        events=events["events"],
        names=await token_names(request, events["events"]),
        more_events=events["next"] is not None,
        next=body["next"],
        sources=[url, events_url],
    )


@html
async def outpoint(request: Request) -> Response:
    text: str = request.path_params["outpoint"]
    url = f"/v1/outpoints/{seg(text)}"
    body = await get_json(request, url)
    proof_url = f"/v1/proofs/outpoints/{seg(text)}"
    proved = await get_json(request, proof_url)
    key = (UTXO_PREFIX + parse_outpoint(text)).hex()
    return page(
        "outpoint.html",
        title=f"Outpoint {text[:16]}…",
        outpoint=body,
        proved=proved,
        state_key=key,
        sources=[url, proof_url],
    )
