"""The OpenAPI 3.1 description served at /openapi.json; tests hold the app's routes to it."""

from __future__ import annotations

from typing import Any

from api.context import MAX_BATCH_OUTPOINTS

Schema = dict[str, Any]

TXID = {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}
OUTPOINT = {"type": "string", "pattern": "^[0-9a-fA-F]{64}:(0|[1-9][0-9]{0,9})$"}
TOKEN_ID = {"type": "string", "pattern": "^(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,9})$"}
TOKEN_REF = {"type": "string", "description": "token id HEIGHT:INDEX or ticker"}
AMOUNT = {"type": "string", "pattern": "^[0-9]+$", "description": "base units, decimal"}
AMOUNT_IN = {
    "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": "^[1-9][0-9]{0,38}$"},
    ]
}
NEXT = {"type": ["string", "null"], "description": "cursor of the next page, null at the end"}
NULLABLE_INT = {"type": ["integer", "null"]}
HEX = {"type": "string", "pattern": "^([0-9a-f]{2})*$"}


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
        "token": TOKEN_ID,
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
        "type": {"enum": ["debit", "credit", "deploy", "mint", "burn", "authority", "rejected"]},
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
PROOF_ERRORS = (400, 503)
FUNDING = obj(
    {"outpoint": OUTPOINT, "value": {"type": "integer", "minimum": 1}},
    {
        "script_pubkey": HEX,
        "address": {"type": "string"},
        "tokens": array(TOKEN_ID),
        "input_weight": {"type": "integer", "minimum": 1},
        "prev_tx": HEX,
    },
)
COMMON_COMPOSE = {
    "funding": array(FUNDING, minItems=1, maxItems=250),
    "change_address": {"type": "string"},
    "fee_rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 10_000},
}
PAYMENT = {"token": TOKEN_REF, "address": {"type": "string"}}
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


LIMIT = query("limit", {"type": "integer", "minimum": 1}, "page size (bounded by the server)")
CURSOR = query("cursor", {"type": "string"}, "the `next` value of the previous page")
ADDRESS = path("address", {"type": "string"}, "an address of the configured network")
TOKEN_PATH = path("token", TOKEN_REF)


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
    for status in (*errors, 413) if body else errors:
        responses[str(status)] = {
            "description": "error",
            "content": {"application/json": {"schema": ERROR}},
        }
    spec: Schema = {"summary": summary, "parameters": params or [], "responses": responses}
    if body is not None:
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return spec


def listing(summary: str, key: str, item: Schema, params: list[Schema]) -> Schema:
    """A paged listing: ``{key: [item...], "next": cursor}`` with cursor and limit."""
    return op(summary, obj({key: array(item), "next": NEXT}), params=[*params, CURSOR, LIMIT])


def build_openapi() -> Schema:
    text = {"type": "string"}
    paths: dict[str, Any] = {
        "/v1/status": {"get": op("Index and node status", STATUS, errors=())},
        "/v1/blocks/{block}": {
            "get": op(
                "A block's commitment by height or hash",
                BLOCK,
                params=[path("block", text, "height, or block hash in hex")],
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
                params=[TOKEN_PATH, CURSOR, LIMIT],
                errors=(400, 404),
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
                params=[ADDRESS, CURSOR, LIMIT, query("proofs", {"enum": ["true", "false"]})],
                errors=PROOF_ERRORS,
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
                    path("slot", {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "32-byte slot"),
                ],
                errors=PROOF_ERRORS,
            )
        },
        "/v1/proofs/state/{key}": {
            "get": op(
                "Any state key (spec §9.2, hex) with its proof against the tip's state root",
                obj({"anchor": ANCHOR, "proof": STATE_PROOF}),
                params=[
                    path("key", {"type": "string", "pattern": "^([0-9a-f]{2}){1,256}$"}, "key")
                ],
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
                    query("from", {"type": "integer", "minimum": 0}),
                    query("to", {"type": "integer", "minimum": 0}),
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
            )
        },
        "/v1/compose/transfer": {
            "post": op(
                "Unsigned PSBT transferring tokens",
                COMPOSED,
                body=obj(
                    {
                        **COMMON_COMPOSE,
                        "transfers": array(
                            obj({**PAYMENT, "amount": AMOUNT_IN}, {"value": {"type": "integer"}}),
                            minItems=1,
                            maxItems=64,
                        ),
                    }
                ),
                errors=(400, 404, 422, 503),
            )
        },
        "/v1/compose/mint": {
            "post": op(
                "Unsigned PSBT minting a token",
                COMPOSED,
                body=obj({**COMMON_COMPOSE, **PAYMENT}, {"amount": AMOUNT_IN}),
                errors=(400, 404, 422, 503),
            )
        },
        "/v1/compose/burn": {
            "post": op(
                "Unsigned PSBT burning tokens",
                COMPOSED,
                body=obj({**COMMON_COMPOSE, "token": TOKEN_REF, "amount": AMOUNT_IN}),
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
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rootstate API",
            "version": "1",
            "description": "Balances, tokens, history, live events and PSBT composition for "
            "the rootstate protocol. Errors are JSON {error: {code, message}}.",
        },
        "paths": paths,
    }
