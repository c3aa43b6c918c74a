"""Compose and the mempool: refuse by default what the pending view says would go wrong.

A funding input already spent in the mempool would make a double spend the node refuses
(or, at a higher fee, a replacement); one created by a pending transaction with assets on it
holds tokens the confirmed state does not know of, so the composed message would move them
unplanned. Both are refused (422 ``spent_in_mempool``, ``pending_input``) unless the body
says ``"allow_pending": true``; then the composition is checked against the pending values
of its funding outpoints and of token records (a pending mint counts against the cap).
"""

from __future__ import annotations

from typing import Any

from api.context import ApiContext
from api.errors import ApiError, bad_request, unprocessable
from api.params import format_outpoint, format_txid, parse_outpoint
from indexer.mempool_state import Status
from protocol.state import TOKEN_PREFIX, UTXO_PREFIX


def _funding_outpoints(body: dict[str, Any]) -> list[bytes]:
    """The well-formed funding outpoints (the job reports malformed ones, in order)."""
    items = body.get("funding")
    found = []
    for item in items if isinstance(items, list) else ():
        text = item.get("outpoint") if isinstance(item, dict) else None
        if isinstance(text, str):
            try:
                found.append(parse_outpoint(text))
            except ApiError:  # the job answers it with its own 400, in order
                continue
    return found


def pending_patch(ctx: ApiContext, body: dict[str, Any]) -> dict[bytes, bytes | None]:
    """The pending state values a compose request is checked against (empty: none), or a
    422 for a funding input the pending view objects to."""
    allow = body.get("allow_pending", False)
    if not isinstance(allow, bool):
        raise bad_request("invalid_body", "allow_pending must be true or false")
    if ctx.mempool is None:
        return {}
    patch: dict[bytes, bytes | None] = {}
    with ctx.mempool.layer.reading() as state:
        for point in _funding_outpoints(body):
            spender = state.spent_by.get(point)
            if spender is not None and not allow:
                raise unprocessable(
                    "spent_in_mempool",
                    f"funding outpoint {format_outpoint(point)} is already spent in the mempool "
                    f"by {format_txid(spender)}; set allow_pending to compose a replacement",
                )
            creator = state.entries.get(point[:32])
            record = state.change(UTXO_PREFIX + point)
            if (
                creator is None
                or creator.status is Status.CONFLICT
                or not isinstance(record, bytes)
            ):
                continue
            if not allow:
                raise unprocessable(
                    "pending_input",
                    f"funding outpoint {format_outpoint(point)} is an output of pending "
                    f"transaction {format_txid(point[:32])} and holds assets; set "
                    "allow_pending to spend it",
                )
            patch[UTXO_PREFIX + point] = record
        if patch:
            for key, value in state.overlay.changes.items():
                if key[:1] == TOKEN_PREFIX:
                    patch[key] = value
    return patch
