"""The OpenAPI paths of the contract routes (:mod:`api.routes_contracts`), kept beside
:mod:`api.openapi`, which adds them to its document."""

from __future__ import annotations

from typing import Any

from api.openapi import (
    AMOUNT,
    ASSET_ID,
    CURSOR,
    HASH,
    HEX,
    NEXT,
    SLOT,
    TOKEN_ID,
    TXID,
    Schema,
    array,
    obj,
    op,
    path,
)

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
    "required": sorted([*CONTRACT["required"], "assets_held", "issued"]),
    "properties": {**CONTRACT["properties"], "assets_held": array(HELD), "issued": array(ISSUED)},
}
NULLABLE_HEX = {"oneOf": [HEX, {"type": "null"}]}
ENTRY = obj({"key": SLOT, "value": HEX})


def contract_paths(limit: Schema) -> dict[str, Any]:
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
    }
