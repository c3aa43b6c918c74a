"""State proofs (spec §25): any answer of the state, with a proof against the tip's root.

Every proof names the block it is against — height, block hash, state hash and state root
(spec §11.2) — read in the same snapshot as the entry, so they always agree. A client that
trusts the root (several independent indexers report the same one at that height) checks
the proof with :func:`protocol.tree_proof.verify` and needs to trust nobody else; the key a
proof is for is also sent, but a careful client derives it itself from what it asked for.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.context import context
from api.errors import ApiError, bad_request
from api.params import parse_outpoint, parse_token_id_param
from api.render import Json, TokenNames, render_assets
from indexer.store_view import StoreView
from protocol.state import UTXO_PREFIX, token_key
from protocol.tree import prove

#: spec §9.2 and the contract prefixes: contract storage is 06 + contract id + 32-byte slot.
STORAGE_PREFIX = b"\x06"
HEX_SLOT = re.compile(r"[0-9a-f]{64}")
HEX_KEY = re.compile(r"(?:[0-9a-f]{2}){1,256}")


def anchor(view: StoreView) -> Json:
    """The block a proof is against: the tip of ``view``'s snapshot."""
    tip = view.tip()
    record = None if tip is None else view.block(tip.height)
    if record is None:
        raise ApiError(503, "not_synced", "no block is indexed yet: there is no state to prove")
    return {
        "height": record.height,
        "block_hash": record.block_hash[::-1].hex(),
        "state_hash": record.state_hash.hex(),
        "state_root": record.state_root.hex(),
    }


def state_proof(view: StoreView, key: bytes) -> Json:
    """``key``, its value (or null: absent) and the proof, in hex."""
    value = view.get(key)
    return {
        "key": key.hex(),
        "value": None if value is None else value.hex(),
        "proof": prove(view, key).hex(),
    }


async def outpoint_proof(request: Request) -> Response:
    ctx = context(request)
    outpoint = parse_outpoint(request.path_params["outpoint"])
    key = UTXO_PREFIX + outpoint
    with ctx.reader.read() as view:
        against = anchor(view)
        body = render_assets(outpoint, view.get(key), TokenNames(view))
        body.update(anchor=against, proof=state_proof(view, key))
    return JSONResponse(body)


async def token_proof(request: Request) -> Response:
    ctx = context(request)
    token = parse_token_id_param(request.path_params["token"])
    key = token_key(token)
    with ctx.reader.read() as view:
        against = anchor(view)
        proof = state_proof(view, key)
    body: Json = {"token": request.path_params["token"], "anchor": against, "proof": proof}
    return JSONResponse(body)


async def storage_proof(request: Request) -> Response:
    ctx = context(request)
    contract = parse_token_id_param(request.path_params["contract"], what="contract")
    slot_text: str = request.path_params["slot"]
    if not HEX_SLOT.fullmatch(slot_text):
        raise bad_request("invalid_slot", "a storage slot is 32 bytes: 64 lower-case hex digits")
    key = STORAGE_PREFIX + contract + bytes.fromhex(slot_text)
    with ctx.reader.read() as view:
        against = anchor(view)
        proof = state_proof(view, key)
    body: Json = {
        "contract": request.path_params["contract"],
        "slot": slot_text,
        "anchor": against,
        "proof": proof,
    }
    return JSONResponse(body)


async def key_proof(request: Request) -> Response:
    ctx = context(request)
    key_text: str = request.path_params["key"]
    if not HEX_KEY.fullmatch(key_text):
        raise bad_request(
            "invalid_key", "a state key is 1 to 256 bytes in lower-case hex (spec §9.2)"
        )
    with ctx.reader.read() as view:
        body: Json = {"anchor": anchor(view), "proof": state_proof(view, bytes.fromhex(key_text))}
    return JSONResponse(body)


ROUTES = [
    Route("/v1/proofs/outpoints/{outpoint}", outpoint_proof, methods=["GET"]),
    Route("/v1/proofs/tokens/{token}", token_proof, methods=["GET"]),
    Route("/v1/proofs/contracts/{contract}/storage/{slot}", storage_proof, methods=["GET"]),
    Route("/v1/proofs/state/{key}", key_proof, methods=["GET"]),
]
