"""The OpenAPI paths of the offer routes (:mod:`api.routes_offers`), kept beside
:mod:`api.openapi`, which adds them to its document."""

from __future__ import annotations

from typing import Any

from api.offers import MAX_PSBT_BYTES
from api.openapi import (
    ADDRESS_TEXT,
    ASSETS,
    BALANCE,
    COMPOSED,
    CURSOR,
    HEX,
    HEX_IN,
    NEXT,
    OUTPOINT,
    SATS,
    SCRIPT,
    TICKER,
    TOKEN_ID,
    TXID,
    U32,
    Schema,
    array,
    compose_body,
    decimal_up_to,
    obj,
    op,
    path,
)
from api.routes_compose import MAX_SCRIPT_BYTES
from protocol.params import U32_MAX

PRICE = {**SATS, "minimum": 1}
SCRIPT_OBJ = obj(SCRIPT)
#: What an offer's outpoint carries (fresh from the store), and the signed input's terms.
OFFER_TERMS: dict[str, Schema] = {
    "value": {"type": "integer"},
    "script_kind": {"enum": ["p2tr", "p2wpkh"]},
    "price": {"type": "integer"},
    "pay_to": SCRIPT_OBJ,
    "sighash_type": {"const": 0x83},
}
OFFER = obj(
    {
        **ASSETS["properties"],
        **OFFER_TERMS,
        "seller": SCRIPT_OBJ,
        "sequence": {"type": "integer"},
        "witness": array(HEX),
    }
)
OFFER_COMPOSED = obj(
    {
        **ASSETS["properties"],
        **{k: v for k, v in OFFER_TERMS.items() if k != "value"},
        "psbt": {"type": "string", "contentEncoding": "base64"},
        "digest": HEX,
    }
)
_COMPOSED_OUTPUT: Schema = COMPOSED["properties"]["outputs"]["items"]
COMPLETION = obj(
    {
        "psbt": {"type": "string", "contentEncoding": "base64"},
        "txid": TXID,
        "fee": {"type": "integer"},
        "vsize": {"type": "integer"},
        "valid_from_height": {"type": "integer"},
        "inputs": array(
            obj(
                {
                    "outpoint": OUTPOINT,
                    "value": {"type": "integer"},
                    "role": {"enum": ["buyer", "seller"]},
                    "balances": array(BALANCE),
                    "authorities": array(TOKEN_ID),
                }
            )
        ),
        # compose's outputs, with the roles of a completion.
        "outputs": array(
            {
                **_COMPOSED_OUTPUT,
                "properties": {
                    **_COMPOSED_OUTPUT["properties"],
                    "role": {"enum": ["buyer", "seller_payment", "change"]},
                },
            }
        ),
    }
)
OFFER_BODY = {
    **obj(
        {"outpoint": OUTPOINT, "value": PRICE, "price": PRICE, "pay_to": ADDRESS_TEXT},
        {
            "script_pubkey": {**HEX_IN, "maxLength": 2 * MAX_SCRIPT_BYTES},
            "address": ADDRESS_TEXT,
        },
    ),
    "anyOf": [{"required": ["address"]}, {"required": ["script_pubkey"]}],
}
SIGNED_BODY = obj(
    {
        "psbt": {
            "type": "string",
            "contentEncoding": "base64",
            "maxLength": 4 * MAX_PSBT_BYTES // 3 + 4,
        }
    }
)
OUTPOINT_PATH = path("outpoint", OUTPOINT, "the offered outpoint TXID:VOUT")
TOKEN_QUERY = {
    "name": "token",
    "in": "query",
    "required": True,
    "schema": {
        "type": "string",
        "pattern": f"^({U32}:{U32}(:{decimal_up_to(U32_MAX, zero=False)})?|{TICKER})$",
    },
    "description": "token id HEIGHT:INDEX, ticker, or contract asset id HEIGHT:INDEX:SUB",
}


def offer_paths(limit: Schema, min_fee_rate: float) -> dict[str, Any]:
    return {
        "/v1/compose/offer": {
            "post": op(
                "The seller's one-input, one-output offer PSBT, to sign with "
                "SIGHASH_SINGLE|ANYONECANPAY (0x83)",
                OFFER_COMPOSED,
                body=OFFER_BODY,
                errors=(400, 422, 503),
            )
        },
        "/v1/offers": {
            "post": op(
                "Submit a signed offer: checked against the tip, then kept in the offer book",
                OFFER,
                body=SIGNED_BODY,
                errors=(400, 422, 503),
            ),
            "get": op(
                "Open offers of a token (re-checked against the tip; spent ones pruned)",
                obj({"offers": array(OFFER), "next": NEXT}),
                params=[TOKEN_QUERY, CURSOR, limit],
                errors=(400, 404, 422),
            ),
        },
        "/v1/offers/{outpoint}": {
            "get": op("One open offer", OFFER, params=[OUTPOINT_PATH], errors=(400, 404))
        },
        "/v1/offers/{outpoint}/take": {
            "post": op(
                "The buyer's completion PSBT: the seller's signed input at index 1 and the "
                "tokens settled to the buyer's output 0, checked by the protocol machine",
                COMPLETION,
                params=[OUTPOINT_PATH],
                body=compose_body(min_fee_rate, {"address": ADDRESS_TEXT}, {"value": SATS}),
                errors=(400, 404, 422, 503),
            )
        },
    }
