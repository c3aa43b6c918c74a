"""The OpenAPI document's part for the pending view: its two routes, and what it adds to
balances, outpoints, transactions and compose (see :mod:`api.pending`)."""

from __future__ import annotations

from typing import Any

from api.openapi import (
    BALANCE,
    CURSOR,
    NEXT,
    NULLABLE_INT,
    TXID,
    Schema,
    array,
    obj,
    op,
    param,
    query,
)

STATUSES = ["accepted", "rejected", "no_message", "conflict"]
PENDING_VIEW = obj(
    {
        "height": NULLABLE_INT,
        "hash": {"type": ["string", "null"]},
        "partial": {"type": "boolean"},
        "in_step": {"type": "boolean"},
        "transactions": {"type": "integer"},
    }
)
PENDING_TX = obj(
    {
        "txid": TXID,
        "status": {"enum": STATUSES},
        "reason": {"type": ["string", "null"]},
        "fee": NULLABLE_INT,
        "vsize": {"type": "integer"},
        "fee_rate": {"type": ["number", "null"]},
        "conflict_with": {"type": ["string", "null"]},
    }
)
ADDRESS_PENDING = obj(
    {
        "view": PENDING_VIEW,
        "incoming": array(BALANCE),
        "outgoing": array(BALANCE),
        "incoming_outpoints": array({"type": "object"}),
        "outgoing_outpoints": array({"type": "object"}),
    }
)
OUTPOINT_PENDING: Schema = {
    "spent_in_mempool": {"type": ["string", "null"]},
    "pending": {"type": ["object", "null"]},
}


def _ok(operation: Schema) -> Schema:
    schema: Schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return schema


def _set_ok(operation: Schema, schema: Schema) -> None:
    operation["responses"]["200"]["content"]["application/json"]["schema"] = schema


def _with(schema: Schema, extra: dict[str, Schema]) -> Schema:
    """A copy of an object schema with more (optional) properties; shared schemas of
    api.openapi are never changed in place."""
    return {**schema, "properties": {**schema["properties"], **extra}}


def add_pending(paths: dict[str, Any], limit: Schema) -> None:
    """Extend the built ``paths``: new operations, and copies of the changed schemas."""
    balances = paths["/v1/addresses/{address}/balances"]["get"]
    balances["parameters"] = [
        *balances["parameters"],
        query("pending", {"enum": ["true", "false"]}, "add the mempool's side, apart"),
    ]
    listed = _ok(balances)
    outpoints = _with(listed["properties"]["outpoints"]["items"], OUTPOINT_PENDING)
    _set_ok(
        balances,
        _with(listed, {"pending": ADDRESS_PENDING, "outpoints": array(outpoints)}),
    )
    balances["responses"]["404"] = balances["responses"]["400"]  # mempool_disabled
    single = paths["/v1/outpoints/{outpoint}"]["get"]
    _set_ok(single, _with(_ok(single), OUTPOINT_PENDING))
    batch = paths["/v1/outpoints"]["post"]
    items = _ok(batch)["properties"]["outpoints"]["items"]
    _set_ok(batch, _with(_ok(batch), {"outpoints": array(_with(items, OUTPOINT_PENDING))}))
    tx = paths["/v1/txs/{txid}"]["get"]
    statuses: dict[str, Schema] = {
        "status": {"enum": STATUSES},
        "confirmation": {"enum": ["confirmed", "pending"]},
    }
    _set_ok(tx, _with(_ok(tx), statuses))
    for kind in ("transfer", "mint", "burn", "call"):
        content = paths[f"/v1/compose/{kind}"]["post"]["requestBody"]["content"]
        body = content["application/json"]["schema"]
        content["application/json"]["schema"] = _with(body, {"allow_pending": {"type": "boolean"}})
    text = {"type": "string"}
    paths["/v1/mempool"] = {
        "get": op(
            "Pending protocol transactions, in arrival order, simulated on the tip",
            obj({"view": PENDING_VIEW, "txs": array(PENDING_TX), "next": NEXT}),
            params=[CURSOR, limit],
            errors=(400, 404, 422),
        )
    }
    paths["/v1/mempool/stream"] = {
        "get": op(
            "Server-Sent Events: hello, pending, replaced, evicted, confirmed (id: number)",
            text,
            params=[
                query("cursor", {"type": "string", "pattern": "^[0-9]{1,19}$"}),
                param("header", "Last-Event-ID", text, "the standard SSE resume header"),
            ],
            media="text/event-stream",
            errors=(400, 404, 503),
        )
    }
