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


def add_pending(paths: dict[str, Any], limit: Schema) -> None:
    """Extend the built ``paths`` in place."""
    balances = paths["/v1/addresses/{address}/balances"]["get"]
    balances["parameters"].append(
        query("pending", {"enum": ["true", "false"]}, "add the mempool's side, apart")
    )
    _ok(balances)["properties"]["pending"] = ADDRESS_PENDING
    balances["responses"]["404"] = balances["responses"]["400"]  # mempool_disabled
    outpoint = _ok(paths["/v1/outpoints/{outpoint}"]["get"])
    outpoint["properties"].update(OUTPOINT_PENDING)
    tx = _ok(paths["/v1/txs/{txid}"]["get"])
    tx["properties"]["status"] = {"enum": STATUSES}
    tx["properties"]["confirmation"] = {"enum": ["confirmed", "pending"]}
    for kind in ("transfer", "mint", "burn"):
        body = paths[f"/v1/compose/{kind}"]["post"]["requestBody"]["content"]
        body["application/json"]["schema"]["properties"]["allow_pending"] = {"type": "boolean"}
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
