"""Contracts (spec/CONTRACTS.md §14): the listing, one contract, and its storage.

Everything here is read from the state map of §14.3 in one read transaction per request:
the contract record (``04``), its module (``05``, for the size), its custody (``07``), the
assets it issued (``08``, whose ids start with the contract id) and its storage (``06``).
"""

from __future__ import annotations

import re

import cbor2
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.body import json_object
from api.context import context
from api.errors import bad_request, not_found, unprocessable
from api.heavy import HeavyWork
from api.params import (
    encode_cursor,
    format_txid,
    page,
    parse_cursor,
    parse_limit,
    parse_token_id_param,
)
from api.render import Json
from api.simulate import parse_call, simulate_job
from indexer.store_view import StoreView
from protocol.contracts.wasm.records import (
    AssetRecord,
    ContractRecord,
    code_key,
    narrow_asset,
    storage_key,
)
from protocol.fields import format_token_id
from protocol.state import ASSET_PREFIX, CONTRACT_PREFIX, CUSTODY_PREFIX, STORAGE_PREFIX

# Cursor kinds continue those of the other listings (1 to 7).
CONTRACTS_CURSOR = 8
STORAGE_CURSOR = 9
CONTRACT_KEY_LEN = 1 + 8
STORAGE_KEY_LEN = 1 + 8 + 32
HEX_SLOT = re.compile(r"[0-9a-f]{64}")
#: §16.1/§16.2: the operation code that created a contract, as the API names it.
CREATED_BY = {5: "publish", 6: "instantiate"}


def load(view: StoreView, text: str) -> tuple[bytes, ContractRecord]:
    """A contract by id; 400 if the id is malformed, 404 if no contract has it."""
    contract = parse_token_id_param(text, what="contract")
    raw = view.get(CONTRACT_PREFIX + contract)
    if raw is None:
        raise not_found("contract_not_found", f"no contract {text} exists")
    return contract, ContractRecord.decode(raw)


def render_contract(view: StoreView, contract: bytes, record: ContractRecord) -> Json:
    code = view.get(code_key(record.code_hash))
    return {
        "id": format_token_id(contract),
        "code_hash": record.code_hash.hex(),
        "code_size": 0 if code is None else len(code),
        "created_by": CREATED_BY.get(record.opcode, f"op_{record.opcode}"),
        "txid": format_txid(record.txid),
        "height": int.from_bytes(contract[:4], "big"),
        "index": int.from_bytes(contract[4:], "big"),
    }


def custody_of(view: StoreView, contract: bytes, most: int) -> tuple[list[Json], bool]:
    """§14.3 ``07``: what the contract holds, by asset id (8-byte ids narrowed back), at most
    ``most`` entries (anyone may deposit any asset), and whether there are more."""
    prefix = CUSTODY_PREFIX + contract
    taken, more = page(view.state_items(prefix), most)
    held = [
        {"asset": format_token_id(narrow_asset(key[len(prefix) :])), "amount": str(cbor2.loads(v))}
        for key, v in taken
    ]
    return held, more


def issued_by(view: StoreView, contract: bytes, most: int) -> tuple[list[Json], bool]:
    """§14.3 ``08``: the contract's own assets (their ids start with its id), at most
    ``most``, and whether there are more."""
    out = []
    taken, more = page(view.state_items(ASSET_PREFIX + contract), most)
    for key, raw in taken:
        record = AssetRecord.decode(raw)
        out.append(
            {
                "asset": format_token_id(key[1:]),
                "minted": str(record.minted),
                "burned": str(record.burned),
                "supply": str(record.minted - record.burned),
            }
        )
    return out, more


async def list_contracts(request: Request) -> Response:
    ctx = context(request)
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    with ctx.reader.read() as view:
        after = parse_cursor(request, CONTRACTS_CURSOR, CONTRACT_KEY_LEN)
        taken, more = page(view.state_after(CONTRACT_PREFIX, after), limit)
        contracts = [
            render_contract(view, key[1:], ContractRecord.decode(raw)) for key, raw in taken
        ]
    cursor = encode_cursor(CONTRACTS_CURSOR, taken[-1][0]) if more else None
    return JSONResponse({"contracts": contracts, "next": cursor})


async def get_contract(request: Request) -> Response:
    ctx = context(request)
    with ctx.reader.read() as view:
        contract, record = load(view, request.path_params["contract"])
        body = render_contract(view, contract, record)
        most = ctx.settings.max_page_size
        held, more_held = custody_of(view, contract, most)
        issued, more_issued = issued_by(view, contract, most)
    body.update(assets_held=held, issued=issued, truncated=more_held or more_issued)
    return JSONResponse(body)


async def get_storage(request: Request) -> Response:
    ctx = context(request)
    slot: str = request.path_params["key"]
    if not HEX_SLOT.fullmatch(slot):
        raise bad_request("invalid_key", "a storage key is 32 bytes: 64 lower-case hex digits")
    with ctx.reader.read() as view:
        contract, _ = load(view, request.path_params["contract"])
        value = view.get(storage_key(contract, bytes.fromhex(slot)))
    body: Json = {
        "contract": format_token_id(contract),
        "key": slot,
        "value": None if value is None else value.hex(),
    }
    return JSONResponse(body)


async def list_storage(request: Request) -> Response:
    ctx = context(request)
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    with ctx.reader.read() as view:
        contract, _ = load(view, request.path_params["contract"])
        prefix = STORAGE_PREFIX + contract
        after = parse_cursor(request, STORAGE_CURSOR, STORAGE_KEY_LEN)
        if after is not None and not after.startswith(prefix):
            raise unprocessable("invalid_cursor", "the cursor belongs to another contract")
        taken, more = page(view.state_after(prefix, after), limit)
    entries = [{"key": key[len(prefix) :].hex(), "value": value.hex()} for key, value in taken]
    return JSONResponse(
        {
            "contract": format_token_id(contract),
            "entries": entries,
            "next": encode_cursor(STORAGE_CURSOR, taken[-1][0]) if more else None,
        }
    )


async def simulate_call(request: Request) -> Response:
    ctx = context(request)
    body = await json_object(request)
    call = parse_call(request.path_params["contract"], body, ctx.settings.network)
    heavy: HeavyWork = request.app.state.heavy
    return Response(await heavy.run(simulate_job, call), media_type="application/json")


ROUTES = [
    Route("/v1/contracts", list_contracts, methods=["GET"]),
    Route("/v1/contracts/{contract}", get_contract, methods=["GET"]),
    Route("/v1/contracts/{contract}/storage", list_storage, methods=["GET"]),
    Route("/v1/contracts/{contract}/storage/{key}", get_storage, methods=["GET"]),
    Route("/v1/contracts/{contract}/simulate", simulate_call, methods=["POST"]),
]
