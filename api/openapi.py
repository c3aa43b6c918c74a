"""The OpenAPI 3.1 description served at /openapi.json; tests hold the app's routes to it."""

from __future__ import annotations

from typing import Any

from api.context import MAX_BATCH_OUTPOINTS, ApiSettings
from api.fees import MAX_INPUT_WEIGHT
from api.params import HARD_PAGE_LIMIT
from api.routes_compose import (
    MAX_DECLARED_TOKENS,
    MAX_FEE_RATE,
    MAX_FUNDING_INPUTS,
    MAX_SATS,
    MAX_SCRIPT_BYTES,
    MAX_TRANSFERS,
)
from protocol.events import EventType
from protocol.params import U32_MAX, U128_MAX

Schema = dict[str, Any]


def decimal_up_to(high: int, zero: bool = True) -> str:
    """A regular expression for the decimal numbers 0 (or 1) to ``high``, without leading
    zeros (no lookarounds: generators of examples from patterns handle few of those)."""
    digits = str(high)
    width = len(digits)
    if width == 1:
        return f"[{0 if zero else 1}-{high}]"
    shorter = (["0"] if zero else []) + ["[1-9]"]
    if width > 2:
        shorter.append(f"[1-9][0-9]{{1,{width - 2}}}")
    same = []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            top = int(digit) - 1
            span = str(low) if top == low else f"[{low}-{top}]"
            rest = width - i - 1
            same.append(digits[:i] + span + (f"[0-9]{{{rest}}}" if rest else ""))
    same.append(digits)
    return "(" + "|".join(shorter + same) + ")"


U32 = decimal_up_to(U32_MAX)
TICKER = "[A-Z][A-Z0-9]{2,11}"
TXID = {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}
OUTPOINT = {"type": "string", "pattern": f"^[0-9a-fA-F]{{64}}:{U32}$"}
TOKEN_ID = {"type": "string", "pattern": f"^{U32}:{U32}$"}
#: CONTRACTS.md §14.2: a token id, or a contract asset id HEIGHT:INDEX:SUB.
ASSET_ID = {"type": "string", "pattern": f"^{U32}:{U32}(:{U32})?$"}
#: An asset named in a request: a token id, or a contract asset id with a sub id of 1 or more.
ASSET_IN = {
    "type": "string",
    "pattern": f"^{U32}:{U32}(:{decimal_up_to(U32_MAX, zero=False)})?$",
}
TOKEN_REF = {
    "type": "string",
    "pattern": f"^({U32}:{U32}|{TICKER})$",
    "description": "token id HEIGHT:INDEX or ticker",
}
#: Bitcoin addresses of the configured network: a format, since checksums are no pattern.
ADDRESS_TEXT = {
    "type": "string",
    "format": "bitcoin-address",
    "description": "an address of the configured network (base58check or bech32/bech32m)",
}
AMOUNT = {"type": "string", "pattern": "^[0-9]+$", "description": "base units, decimal"}
AMOUNT_IN = {
    "oneOf": [
        {"type": "integer", "minimum": 1, "maximum": U128_MAX},
        {"type": "string", "pattern": f"^{decimal_up_to(U128_MAX, zero=False)}$"},
    ]
}
SATS = {"type": "integer", "minimum": 0, "maximum": MAX_SATS}
NEXT = {"type": ["string", "null"], "description": "cursor of the next page, null at the end"}
NULLABLE_INT = {"type": ["integer", "null"]}
HEX = {"type": "string", "pattern": "^([0-9a-f]{2})*$"}
HEX_IN = {"type": "string", "pattern": "^([0-9a-fA-F]{2})+$"}
SLOT = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
STATE_KEY = {"type": "string", "pattern": "^([0-9a-f]{2}){1,256}$"}
#: A proof route answers 503 while the store has no block to anchor a proof to.
PROOF_ERRORS = (400, 422, 503)


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
    }


def array(items: Schema, **limits: int) -> Schema:
    return {"type": "array", "items": items, **limits}


ERROR = obj({"error": obj({"code": {"type": "string"}, "message": {"type": "string"}})})
BALANCE = obj(
    {
        "token": ASSET_ID,
        "ticker": {"type": ["string", "null"]},
        "decimals": NULLABLE_INT,
        "amount": AMOUNT,
    }
)
ASSETS = obj({"outpoint": OUTPOINT, "balances": array(BALANCE), "authorities": array(TOKEN_ID)})
SCRIPT = {"script_pubkey": {"type": ["string", "null"]}, "address": {"type": ["string", "null"]}}
TERMS = {"type": ["object", "null"]}
TOKEN = obj(
    {
        "id": TOKEN_ID,
        "ticker": {"type": "string"},
        "decimals": {"type": "integer"},
        "kind": {"enum": ["open_mint", "issuer"]},
        "max_supply": AMOUNT,
        "minted": AMOUNT,
        "burned": AMOUNT,
        "supply": AMOUNT,
        "mints": {"type": "integer"},
        "holders": {"type": "integer"},
        "outpoints": {"type": "integer"},
        "terms": TERMS,
        "authority": {"type": ["string", "null"]},
        "deploy": obj({"txid": TXID, "height": {"type": "integer"}, "index": {"type": "integer"}}),
    }
)
EVENT = obj(
    {
        "height": {"type": "integer"},
        "index": {"type": "integer"},
        "type": {"enum": [kind.label for kind in EventType]},
        "txid": TXID,
    }
)
BLOCK = obj(
    {
        "height": {"type": "integer"},
        "hash": TXID,
        "state_hash": TXID,
        "events_hash": TXID,
        "event_count": {"type": "integer"},
        "state_root": TXID,
    }
)
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
ANCHOR = obj(
    {
        "height": {"type": "integer"},
        "block_hash": TXID,
        "state_hash": HASH,
        "state_root": HASH,
    }
)
STATE_PROOF = obj({"key": HEX, "value": {"type": ["string", "null"]}, "proof": HEX})
FUNDING = {
    **obj(
        {"outpoint": OUTPOINT, "value": {**SATS, "minimum": 1}},
        {
            "script_pubkey": {**HEX_IN, "maxLength": 2 * MAX_SCRIPT_BYTES},
            "address": ADDRESS_TEXT,
            "tokens": array(ASSET_IN, maxItems=MAX_DECLARED_TOKENS),
            "input_weight": {"type": "integer", "minimum": 1, "maximum": MAX_INPUT_WEIGHT},
            "prev_tx": HEX_IN,
        },
    ),
    "anyOf": [{"required": ["address"]}, {"required": ["script_pubkey"]}],
}


def compose_body(min_fee_rate: float, required: dict[str, Schema], optional: Schema) -> Schema:
    common = {
        "funding": array(FUNDING, minItems=1, maxItems=MAX_FUNDING_INPUTS),
        "change_address": ADDRESS_TEXT,
        "fee_rate": {"type": "number", "minimum": min_fee_rate, "maximum": MAX_FEE_RATE},
    }
    return obj({**common, **required}, optional)


PAYMENT = {"token": TOKEN_REF, "address": ADDRESS_TEXT}
COMPOSED = obj(
    {
        "psbt": {"type": "string", "contentEncoding": "base64"},
        "txid": TXID,
        "fee": {"type": "integer"},
        "vsize": {"type": "integer"},
        "payload": HEX,
        "message": {"type": ["object", "null"]},
        "valid_from_height": {"type": "integer"},
        "inputs": array({"type": "object"}),
        "outputs": array(
            obj(
                {
                    "vout": {"type": "integer"},
                    "role": {"enum": ["carrier", "recipient", "change"]},
                    "value": {"type": "integer"},
                    **SCRIPT,
                    "balances": array(BALANCE),
                    "authorities": array(TOKEN_ID),
                }
            )
        ),
    }
)
STATUS = obj(
    {
        "network": {"type": "string"},
        "protocol_version": {"type": "integer"},
        "activation_height": {"type": "integer"},
        "indexed": {"type": ["object", "null"]},
        "node": {"type": "object"},
        "lag_blocks": NULLABLE_INT,
        "sync_progress": {"type": ["number", "null"]},
        "undo": {"type": "object"},
        "last_reorg": {"type": ["object", "null"]},
    }
)


def param(where: str, name: str, schema: Schema, description: str = "") -> Schema:
    """A parameter; path parameters are required, the others optional."""
    required = where == "path"
    return {
        "name": name,
        "in": where,
        "required": required,
        "schema": schema,
        "description": description,
    }


def query(name: str, schema: Schema, description: str = "") -> Schema:
    return param("query", name, schema, description)


def path(name: str, schema: Schema, description: str = "") -> Schema:
    return param("path", name, schema, description)


CURSOR = query(
    "cursor",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]{0,400}$"},
    "the `next` value of the previous page (empty: the first page)",
)
ADDRESS = path("address", ADDRESS_TEXT)
TOKEN_PATH = path("token", TOKEN_REF)
HEIGHT = {"type": "integer", "minimum": 0, "maximum": U32_MAX}
#: Statuses every operation may answer: refusals by the connection guard and shedding.
GUARD_ERRORS = (414, 431)


def op(
    summary: str,
    ok: Schema,
    *,
    params: list[Schema] | None = None,
    body: Schema | None = None,
    errors: tuple[int, ...] = (400,),
    media: str = "application/json",
) -> Schema:
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {media: {"schema": ok}}}}
    every = (*errors, 413, 415) if body else errors
    for status in sorted({*every, *GUARD_ERRORS}):
        responses[str(status)] = {
            "description": "error",
            "content": {"application/json": {"schema": ERROR}},
        }
    spec: Schema = {"summary": summary, "parameters": params or [], "responses": responses}
    if body is not None:
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return spec


def build_openapi(settings: ApiSettings | None = None) -> Schema:
    """The document for an app with ``settings`` (page size and fee limits are settings)."""
    max_page = HARD_PAGE_LIMIT if settings is None else settings.max_page_size
    min_fee = 1.0 if settings is None else float(settings.min_fee_rate)
    limit = query("limit", {"type": "integer", "minimum": 1, "maximum": max_page}, "page size")

    def listing(summary: str, key: str, item: Schema, params: list[Schema]) -> Schema:
        """A paged listing: ``{key: [item...], "next": cursor}`` with cursor and limit."""
        ok = obj({key: array(item), "next": NEXT})
        return op(summary, ok, params=[*params, CURSOR, limit], errors=(400, 404, 422))

    text = {"type": "string"}
    block_id = {"type": "string", "pattern": f"^({U32}|[0-9a-fA-F]{{64}})$"}
    paths: dict[str, Any] = {
        "/v1/status": {"get": op("Index and node status", STATUS, errors=())},
        "/v1/blocks/{block}": {
            "get": op(
                "A block's commitment by height or hash",
                BLOCK,
                params=[path("block", block_id, "height, or block hash in hex")],
                errors=(400, 404),
            )
        },
        "/v1/tokens": {
            "get": listing(
                "Tokens, by deploy order or holder count",
                "tokens",
                TOKEN,
                [
                    query("sort", {"enum": ["deploy", "holders"]}),
                    query("order", {"enum": ["asc", "desc"]}),
                ],
            )
        },
        "/v1/tokens/{token}": {
            "get": op("One token", TOKEN, params=[TOKEN_PATH], errors=(400, 404))
        },
        "/v1/tokens/{token}/holders": {
            "get": op(
                "A token's holders (distinct scripts), richest first",
                obj(
                    {
                        "token": TOKEN_ID,
                        "holders": array(obj({**SCRIPT, "amount": AMOUNT})),
                        "holder_count": {"type": "integer"},
                        "next": NEXT,
                    }
                ),
                params=[TOKEN_PATH, CURSOR, limit],
                errors=(400, 404, 422),
            )
        },
        "/v1/addresses/{address}/balances": {
            "get": op(
                "Balances of an address, with the outpoints holding them",
                obj(
                    {
                        "address": text,
                        "balances": array(BALANCE),
                        "outpoints": array(ASSETS),
                        "next": NEXT,
                    },
                    {"anchor": ANCHOR},
                ),
                params=[ADDRESS, CURSOR, limit, query("proofs", {"enum": ["true", "false"]})],
                errors=(400, 422, 503),
            )
        },
        "/v1/proofs/outpoints/{outpoint}": {
            "get": op(
                "An outpoint's record with its proof against the tip's state root",
                obj(
                    {
                        "outpoint": OUTPOINT,
                        "balances": array(BALANCE),
                        "authorities": array(TOKEN_ID),
                        "anchor": ANCHOR,
                        "proof": STATE_PROOF,
                    }
                ),
                params=[path("outpoint", OUTPOINT, "TXID:VOUT")],
                errors=PROOF_ERRORS,
            )
        },
        "/v1/proofs/tokens/{token}": {
            "get": op(
                "A token record with its proof against the tip's state root",
                obj({"token": TOKEN_ID, "anchor": ANCHOR, "proof": STATE_PROOF}),
                params=[path("token", TOKEN_ID, "token id HEIGHT:INDEX")],
                errors=PROOF_ERRORS,
            )
        },
        "/v1/proofs/contracts/{contract}/storage/{slot}": {
            "get": op(
                "A contract storage slot with its proof against the tip's state root",
                obj({"contract": TOKEN_ID, "slot": HEX, "anchor": ANCHOR, "proof": STATE_PROOF}),
                params=[
                    path("contract", TOKEN_ID, "contract id HEIGHT:INDEX"),
                    path("slot", SLOT, "32-byte storage slot, hex"),
                ],
                errors=PROOF_ERRORS,
            )
        },
        "/v1/proofs/state/{key}": {
            "get": op(
                "Any state key (spec §9.2, hex) with its proof against the tip's state root",
                obj({"anchor": ANCHOR, "proof": STATE_PROOF}),
                params=[path("key", STATE_KEY, "state key, hex")],
                errors=PROOF_ERRORS,
            )
        },
        "/v1/addresses/{address}/events": {
            "get": listing(
                "Events naming outpoints of an address",
                "events",
                EVENT,
                [ADDRESS, query("order", {"enum": ["desc", "asc"]})],
            )
        },
        "/v1/outpoints/{outpoint}": {
            "get": op(
                "Balances and authorities on one outpoint",
                ASSETS,
                params=[path("outpoint", OUTPOINT, "TXID:VOUT")],
            )
        },
        "/v1/outpoints": {
            "post": op(
                f"Balances of up to {MAX_BATCH_OUTPOINTS:,} outpoints",
                obj({"outpoints": array(ASSETS)}),
                body=obj({"outpoints": array(OUTPOINT, minItems=1, maxItems=MAX_BATCH_OUTPOINTS)}),
                errors=(400, 503),
            )
        },
        "/v1/txs/{txid}": {
            "get": op(
                "A transaction's message and events",
                obj(
                    {
                        "txid": TXID,
                        "status": {"enum": ["accepted", "rejected", "no_message"]},
                        "events": array(EVENT),
                    }
                ),
                params=[path("txid", TXID)],
                errors=(400, 404),
            )
        },
        "/v1/events": {
            "get": listing(
                "Events by block range",
                "events",
                EVENT,
                [
                    query("from", HEIGHT),
                    query("to", HEIGHT, "at least from (422 otherwise)"),
                ],
            )
        },
        "/v1/stream": {
            "get": op(
                "Server-Sent Events: hello, event, block (id = cursor), reorg",
                text,
                params=[
                    query("cursor", text, "HEIGHT-BLOCKHASH, the id of a block message"),
                    param("header", "Last-Event-ID", text, "the standard SSE resume header"),
                ],
                media="text/event-stream",
                errors=(400, 503),
            )
        },
        "/v1/compose/transfer": {
            "post": op(
                "Unsigned PSBT transferring tokens",
                COMPOSED,
                body=compose_body(
                    min_fee,
                    {
                        "transfers": array(
                            obj({**PAYMENT, "amount": AMOUNT_IN}, {"value": SATS}),
                            minItems=1,
                            maxItems=MAX_TRANSFERS,
                        ),
                    },
                    {},
                ),
                errors=(400, 404, 422, 503),
            )
        },
        "/v1/compose/mint": {
            "post": op(
                "Unsigned PSBT minting a token",
                COMPOSED,
                body=compose_body(min_fee, PAYMENT, {"amount": AMOUNT_IN, "value": SATS}),
                errors=(400, 404, 422, 503),
            )
        },
        "/v1/compose/burn": {
            "post": op(
                "Unsigned PSBT burning tokens",
                COMPOSED,
                body=compose_body(min_fee, {"token": TOKEN_REF, "amount": AMOUNT_IN}, {}),
                errors=(400, 404, 422, 503),
            )
        },
        "/metrics": {"get": op("Prometheus metrics", text, errors=(), media="text/plain")},
        "/healthz": {"get": op("Liveness", obj({"status": text}), errors=(503,))},
        "/readyz": {
            "get": op("Readiness: synced to the node", obj({"status": text}), errors=(503,))
        },
        "/openapi.json": {"get": op("This document", {"type": "object"}, errors=())},
    }
    # A late import: that module builds on this one's schemas (and keeps this one short).
    from api.openapi_contracts import contract_paths  # noqa: PLC0415

    paths.update(contract_paths(limit, min_fee))
    from api.openapi_pending import add_pending  # noqa: PLC0415

    add_pending(paths, limit)

    from api.openapi_offers import offer_paths  # noqa: PLC0415

    paths.update(offer_paths(limit, min_fee))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rootstate API",
            "version": "1",
            "description": "Balances, tokens, history, live events and PSBT composition for "
            "the rootstate protocol. Errors are JSON {error: {code, message}}: 400 for a "
            "request this document does not describe, 422 for one it describes that is "
            "inconsistent (a cursor from another listing, from above to, inputs summing past "
            "21,000,000 BTC, an output below dust), 404 for what is not indexed, 503 when the "
            "server sheds load. Format bitcoin-address: an address of the server's network.",
        },
        "paths": paths,
    }
