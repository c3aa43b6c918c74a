"""Store records to JSON: amounts as decimal strings (they exceed 2^53), ids in text form.

txids and block hashes are shown reversed, as RPC and explorers show them; outpoints as
``TXID:VOUT``; token ids as ``HEIGHT:INDEX``; scripts in hex, with the address when the
script has one on the configured network.
"""

from __future__ import annotations

import json
from typing import Any

import cbor2

from api.address import script_to_address
from api.params import format_outpoint, format_txid
from indexer.store_schema import BlockRecord
from indexer.store_view import StoreView
from protocol.contracts.token import MintTerms, TokenRecord
from protocol.events import BurnCause, EventType, Field
from protocol.fields import format_token_id
from protocol.params import Network
from protocol.reasons import Reason
from protocol.records import UtxoAssets
from protocol.state import token_key

Json = dict[str, Any]


def json_bytes(body: Json) -> bytes:
    """``body`` encoded as Starlette's JSONResponse encodes it."""
    return json.dumps(
        body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def render_block(record: BlockRecord) -> Json:
    return {
        "height": record.height,
        "hash": record.block_hash[::-1].hex(),
        "state_hash": record.state_hash.hex(),
        "events_hash": record.events_hash.hex(),
        "event_count": record.event_count,
        "state_root": record.state_root.hex(),
    }


def render_script(script: bytes, network: Network) -> Json:
    return {"script_pubkey": script.hex(), "address": script_to_address(script, network)}


def render_terms(terms: MintTerms | dict[int, int] | None) -> Json | None:
    if terms is None:
        return None
    if isinstance(terms, dict):
        terms = MintTerms.decode(terms)
    return {"amount": str(terms.amount), "cap": terms.cap, "start": terms.start, "end": terms.end}


class TokenNames:
    """Ticker and decimals per token, read once per request."""

    def __init__(self, view: StoreView) -> None:
        self._view = view
        self._known: dict[bytes, tuple[str, int] | None] = {}

    def get(self, token: bytes) -> tuple[str, int] | None:
        if token not in self._known:
            raw = self._view.get(token_key(token))
            record = None if raw is None else TokenRecord.decode(raw)
            self._known[token] = None if record is None else (record.ticker, record.decimals)
        return self._known[token]

    def amount(self, token: bytes, amount: int) -> Json:
        named = self.get(token)
        return {
            "token": format_token_id(token),
            "ticker": None if named is None else named[0],
            "decimals": None if named is None else named[1],
            "amount": str(amount),
        }


def render_token(token: bytes, record: TokenRecord, stats: tuple[int, int] | None) -> Json:
    holders, outpoints = stats or (0, 0)
    return {
        "id": format_token_id(token),
        "ticker": record.ticker,
        "decimals": record.decimals,
        "kind": "open_mint" if record.terms is not None else "issuer",
        "max_supply": str(record.max_supply),
        "minted": str(record.minted),
        "burned": str(record.burned),
        "supply": str(record.minted - record.burned),
        "mints": record.mints,
        "holders": holders,
        "outpoints": outpoints,
        "terms": render_terms(record.terms),
        "authority": None if record.authority is None else format_outpoint(record.authority),
        "deploy": {
            "txid": format_txid(record.deploy_txid),
            "height": int.from_bytes(token[:4], "big"),
            "index": int.from_bytes(token[4:], "big"),
        },
    }


def render_assets(outpoint: bytes, raw: bytes | None, names: TokenNames) -> Json:
    assets = UtxoAssets() if raw is None else UtxoAssets.decode(raw)
    return {
        "outpoint": format_outpoint(outpoint),
        "balances": [names.amount(token, amount) for token, amount in assets.balances],
        "authorities": [format_token_id(token) for token in assets.authorities],
    }


def render_event(height: int, index: int, raw: bytes) -> Json:
    event = cbor2.loads(raw)
    kind = EventType(event[Field.TYPE])
    out: Json = {
        "height": height,
        "index": index,
        "type": kind.label,
        "txid": format_txid(event[Field.TXID]),
    }
    if Field.OUTPOINT in event:
        out["outpoint"] = format_outpoint(event[Field.OUTPOINT])
    elif kind is EventType.AUTHORITY:
        out["outpoint"] = None  # the authority was destroyed
    if Field.TOKEN in event:
        out["token"] = format_token_id(event[Field.TOKEN])
    for field, name in ((Field.AMOUNT, "amount"), (Field.MAX_SUPPLY, "max_supply")):
        if field in event:
            out[name] = str(event[field])
    if Field.TICKER in event:
        out["ticker"] = event[Field.TICKER]
    if Field.DECIMALS in event:
        out["decimals"] = event[Field.DECIMALS]
    if kind is EventType.DEPLOY:
        out["terms"] = render_terms(event.get(Field.TERMS))
    if Field.CAUSE in event:
        out["cause"] = BurnCause(event[Field.CAUSE]).name.lower()
    if Field.REASON in event:
        out["reason"] = render_reason(event[Field.REASON])
    render_contract_fields(event, out)
    return out


#: CONTRACTS.md §20.1: the v2 event keys, with their JSON names; ids in text form, the rest hex.
_CONTRACT_IDS = ((Field.CONTRACT, "contract"), (Field.FROM_CONTRACT, "from_contract"))
_HEX_FIELDS = ((Field.CODE_HASH, "code_hash"), (Field.STORAGE_DIGEST, "storage_digest"))


def render_contract_fields(event: dict[int, Any], out: Json) -> None:
    """The keys a v2 event adds; ``detail`` (key 9) belongs to ``rejected`` events."""
    for field, name in _CONTRACT_IDS:
        if field in event:
            out[name] = format_token_id(event[field])
    for field, name in _HEX_FIELDS:
        if field in event:
            out[name] = bytes(event[field]).hex()
    if Field.FUEL in event:
        out["fuel_used"] = event[Field.FUEL]
    if Field.DATA in event:
        out["data"] = bytes(event[Field.DATA]).hex()
    if Field.DETAIL in event:
        out["detail"] = event[Field.DETAIL]


def render_reason(code: int) -> Json:
    try:
        name = Reason(code).label
    except ValueError:
        name = f"reason_{code}"
    return {"code": code, "name": name}
