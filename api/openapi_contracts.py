"""The OpenAPI paths of the contract routes (:mod:`api.routes_contracts`), kept beside
:mod:`api.openapi`, which adds them to its document."""

from __future__ import annotations

from typing import Any

from api.openapi import (
    ADDRESS_TEXT,
    AMOUNT,
    AMOUNT_IN,
    ASSET_ID,
    ASSET_IN,
    COMPOSED,
    CURSOR,
    EVENT,
    HASH,
    HEX,
    NEXT,
    NULLABLE_INT,
    OUTPOINT,
    SATS,
    SLOT,
    TOKEN_ID,
    TXID,
    Schema,
    array,
    compose_body,
    obj,
    op,
    path,
)
from api.routes_compose import MAX_SCRIPT_BYTES
from api.simulate import MAX_INPUTS, MAX_OUTPUTS
from protocol.contracts.wasm import limits

CONTRACT_PATH = path("contract", TOKEN_ID, "contract id HEIGHT:INDEX")
CONTRACT = obj(
    {
        "id": TOKEN_ID,
        "code_hash": HASH,
        "code_size": {"type": "integer", "minimum": 0},
        "created_by": {"enum": ["publish", "instantiate"]},
        "txid": TXID,
        "height": {"type": "integer"},
        "index": {"type": "integer"},
    }
)
HELD = obj({"asset": ASSET_ID, "amount": AMOUNT})
ISSUED = obj({"asset": ASSET_ID, "minted": AMOUNT, "burned": AMOUNT, "supply": AMOUNT})
CONTRACT_DETAIL = {
    **CONTRACT,
    "required": sorted([*CONTRACT["required"], "assets_held", "issued", "truncated"]),
    "properties": {
        **CONTRACT["properties"],
        "assets_held": array(HELD),
        "issued": array(ISSUED),
        "truncated": {
            "type": "boolean",
            "description": "true when either list was cut at the server's page size",
        },
    },
}
NULLABLE_HEX = {"oneOf": [HEX, {"type": "null"}]}
ENTRY = obj({"key": SLOT, "value": HEX})

CALL_OUTPUT = {
    **obj(
        {},
        {
            "value": SATS,
            "script_pubkey": {
                "type": "string",
                "pattern": "^([0-9a-fA-F]{2})+$",
                "maxLength": 2 * MAX_SCRIPT_BYTES,
            },
            "address": ADDRESS_TEXT,
        },
    ),
    "anyOf": [{"required": ["script_pubkey"]}, {"required": ["address"]}],
}
SIMULATE_BODY = obj(
    {},
    {
        "input": {
            "type": "string",
            "pattern": "^([0-9a-fA-F]{2})*$",
            "maxLength": 2 * limits.MAX_INPUT,
            "description": "the call's input bytes, hex",
        },
        "assets": array(
            obj({"asset": ASSET_IN, "amount": AMOUNT_IN}), maxItems=limits.MAX_SENT_ASSETS
        ),
        "outputs": array(CALL_OUTPUT, maxItems=MAX_OUTPUTS),
        "inputs": array(OUTPOINT, maxItems=MAX_INPUTS),
        "fuel": {"type": "integer", "minimum": 1, "maximum": limits.MAX_CALL_FUEL},
    },
)
SIMULATED = obj(
    {
        "contract": TOKEN_ID,
        "height": {"type": "integer"},
        "accepted": {"type": "boolean"},
        "reason": {"type": ["object", "null"]},
        "detail": NULLABLE_INT,
        "fuel_limit": {"type": "integer"},
        "fuel_used": NULLABLE_INT,
        # CONTRACTS.md §21.2: the least vsize whose fuel covers the call's start and use.
        "vsize_needed": NULLABLE_INT,
        "return_data": NULLABLE_HEX,
        "credits": array(obj({"vout": {"type": "integer"}, "asset": ASSET_ID, "amount": AMOUNT})),
        "custody": array(
            obj({"contract": TOKEN_ID, "asset": ASSET_ID, "before": AMOUNT, "after": AMOUNT})
        ),
        "storage": array(
            obj(
                {
                    "contract": TOKEN_ID,
                    "key": SLOT,
                    "before": NULLABLE_HEX,
                    "after": NULLABLE_HEX,
                }
            )
        ),
        "events": array(EVENT),
    }
)


XONLY = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
MODULE_HEX = {"type": "string", "pattern": "^([0-9a-f]{2})+$"}
SIGNED_LATER = obj(
    {
        "psbt": {"type": "string", "contentEncoding": "base64"},
        "txid": TXID,
        "fee": {"type": "integer"},
        "vsize": {"type": "integer"},
    }
)
PUBLISH_COMPOSED = obj(
    {
        "commit": SIGNED_LATER,
        "reveal": SIGNED_LATER,
        "commit_outpoint": OUTPOINT,
        "commit_value": {"type": "integer"},
        "leaf_script": HEX,
        "control_block": HEX,
        "internal_key": XONLY,
        "tapleaf_hash": HEX,
        "payload": HEX,
        "events": array(EVENT),
    }
)


def call_compose_body(min_fee_rate: float) -> Schema:
    """compose's funding, change and fee rate, the contract, and a simulation's call fields
    (its ``inputs`` aside: a composed call spends its funding)."""
    call = {k: v for k, v in SIMULATE_BODY["properties"].items() if k != "inputs"}
    return compose_body(min_fee_rate, {"contract": TOKEN_ID}, call)


def contract_paths(limit: Schema, min_fee_rate: float) -> dict[str, Any]:
    """The paths, with the page-size parameter of the document's settings."""

    def paged(params: list[Schema]) -> list[Schema]:
        return [*params, CURSOR, limit]

    return {
        "/v1/contracts": {
            "get": op(
                "Contracts, in order of creation",
                obj({"contracts": array(CONTRACT), "next": NEXT}),
                params=paged([]),
                errors=(400, 422),
            )
        },
        "/v1/contracts/{contract}": {
            "get": op(
                "A contract: code, creator, assets held in custody and assets issued",
                CONTRACT_DETAIL,
                params=[CONTRACT_PATH],
                errors=(400, 404),
            )
        },
        "/v1/contracts/{contract}/storage": {
            "get": op(
                "A contract's storage entries, in key order",
                obj({"contract": TOKEN_ID, "entries": array(ENTRY), "next": NEXT}),
                params=paged([CONTRACT_PATH]),
                errors=(400, 404, 422),
            )
        },
        "/v1/contracts/{contract}/storage/{key}": {
            "get": op(
                "One storage value (null when the key is unset)",
                obj({"contract": TOKEN_ID, "key": SLOT, "value": NULLABLE_HEX}),
                params=[CONTRACT_PATH, path("key", SLOT, "32-byte storage key, hex")],
                errors=(400, 404),
            )
        },
        "/v1/contracts/{contract}/simulate": {
            "post": op(
                "Run a call on the tip's state without committing it: credits, custody and "
                "storage changes, events and fuel, or the reason it would be rejected",
                SIMULATED,
                params=[CONTRACT_PATH],
                body=SIMULATE_BODY,
                errors=(400, 404, 422, 503),
            )
        },
        "/v1/compose/publish": {
            "post": op(
                "Unsigned commit and reveal PSBTs publishing a contract by taproot envelope "
                "(with BIP371's taproot fields: the reveal signs from its PSBT alone), "
                "refused unless the module is valid and the publish's simulation succeeds",
                PUBLISH_COMPOSED,
                body=compose_body(
                    min_fee_rate, {"code": MODULE_HEX, "pubkey": XONLY}, {"init": HEX}
                ),
                errors=(400, 422, 503),
            )
        },
        "/v1/compose/call": {
            "post": op(
                "Unsigned PSBT calling a contract, refused unless its simulation succeeds",
                {
                    **COMPOSED,
                    "required": sorted([*COMPOSED["required"], "simulation"]),
                    "properties": {**COMPOSED["properties"], "simulation": SIMULATED},
                },
                body=call_compose_body(min_fee_rate),
                errors=(400, 404, 422, 503),
            )
        },
    }
