"""Any state entry with its proof, checked in the browser (``static/proof.js``), and a page
that checks any proof a user pastes against any root (one other indexers agree on)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from api.context import context
from api.errors import ApiError
from api.explorer.common import html
from api.explorer.source import Json, get_json, seg
from api.explorer.templates import page
from api.params import format_outpoint
from protocol.fields import format_token_id
from protocol.state import (
    CODE_PREFIX,
    CONTRACT_PREFIX,
    STORAGE_PREFIX,
    TICKER_PREFIX,
    TOKEN_PREFIX,
    UTXO_PREFIX,
)

ZERO_HASH = "00" * 32
#: Form fields are echoed into the page only up to a proof's greatest length (spec §25.2).
MAX_FIELD = 2 * (3 + 64 + 32 + 256 * 32)
HEXISH = re.compile(r"[0-9a-fA-F]*")


def describe(key: bytes) -> tuple[str, str | None]:
    """What the state key ``key`` (spec §9.2, §14.3) names, and the page showing it."""
    prefix, rest = key[:1], key[1:]
    if prefix == UTXO_PREFIX and len(rest) == 36:
        text = format_outpoint(rest)
        return f"assets on outpoint {text}", f"/outpoints/{text}"
    if prefix == TOKEN_PREFIX and len(rest) == 8:
        text = format_token_id(rest)
        return f"token record {text}", f"/tokens/{text}"
    if prefix == TICKER_PREFIX and len(rest) == 12:
        ticker = rest.rstrip(b"\x00").decode("ascii", "replace")
        return f"ticker {ticker}", None
    if prefix == CONTRACT_PREFIX and len(rest) == 8:
        text = format_token_id(rest)
        return f"contract record {text}", f"/contracts/{text}"
    if prefix == CODE_PREFIX and len(rest) == 32:
        return f"contract code {rest.hex()}", None
    if prefix == STORAGE_PREFIX and len(rest) == 40:
        text = format_token_id(rest[:8])
        return f"storage slot {rest[8:].hex()} of contract {text}", f"/contracts/{text}"
    return "a state entry", None


async def commitment(request: Request, anchor: Json) -> Json | None:
    """What the page needs to check that the anchor's state hash commits to its root
    (spec §11.2); None when the previous block is not indexed (a store from a snapshot)."""
    height = anchor["height"]
    record = await get_json(request, f"/v1/blocks/{height}")
    if height <= context(request).reader.identity.activation_height:
        previous = ZERO_HASH
    else:
        try:
            previous = (await get_json(request, f"/v1/blocks/{height - 1}"))["state_hash"]
        except ApiError:  # below a snapshot's first block: nothing to check against
            return None
    return {
        "previous": previous,
        "block_hash": anchor["block_hash"],
        "events_hash": record["events_hash"],
        "state_root": record["state_root"],
        "state_hash": record["state_hash"],
    }


@html
async def state(request: Request) -> Response:
    key_text: str = request.path_params["key"]
    url = f"/v1/proofs/state/{seg(key_text)}"
    body = await get_json(request, url)
    anchor = body["anchor"]
    what, link = describe(bytes.fromhex(key_text))
    proof = body["proof"]
    claim = {
        "root": anchor["state_root"],
        "key": proof["key"],
        "present": proof["value"] is not None,
        "value": proof["value"] or "",
        "proof": proof["proof"],
    }
    return page(
        "state.html",
        title=f"State entry {key_text[:16]}…",
        anchor=anchor,
        claim=claim,
        what=what,
        link=link,
        commitment=await commitment(request, anchor),
        sources=[url, f"/v1/blocks/{anchor['height']}"],
    )


def _field(request: Request, name: str) -> str:
    text = request.query_params.get(name, "").strip()
    return text if len(text) <= MAX_FIELD and HEXISH.fullmatch(text) else ""


@html
async def verify(request: Request) -> Response:
    """The check of a proof given in the URL: nothing is read from the store."""
    claim = {
        "root": _field(request, "root"),
        "key": _field(request, "key"),
        "present": request.query_params.get("claim", "present") != "absent",
        "value": _field(request, "value"),
        "proof": _field(request, "proof"),
    }
    return page("verify.html", title="Verify a proof", claim=claim, sources=[])
