"""The pending view in API answers: kept apart from confirmed data, never mixed into it.

Every answer that includes pending data carries ``view``: the tip the pending view was
built over, whether it is ``partial`` (entries dropped for the memory cap) and whether it
is ``in_step`` with the node (False while the index is behind the node's tip or the node
does not answer: the last view is served meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterable

from api.context import ApiContext
from api.errors import ApiError
from api.messages import render_message
from api.params import format_outpoint, format_txid
from api.render import Json, TokenNames, render_event, render_reason
from indexer.mempool_service import MempoolService
from indexer.mempool_state import Entry, PendingState, Status
from indexer.store_view import StoreView
from protocol.carrier import find_carriers
from protocol.fields import format_token_id
from protocol.records import UtxoAssets
from protocol.state import UTXO_PREFIX


def service(ctx: ApiContext) -> MempoolService:
    """The pending view, or 404 ``mempool_disabled`` when this server keeps none."""
    if ctx.mempool is None:
        raise ApiError(
            404,
            "mempool_disabled",
            "this server keeps no pending view: start it with mempool = true and a node",
        )
    return ctx.mempool


def render_view(mempool: MempoolService, state: PendingState) -> Json:
    return {
        "height": state.base_height,
        "hash": None if state.base_hash is None else format_txid(state.base_hash),
        "partial": mempool.layer.partial,
        "in_step": mempool.feed.in_step and mempool.feed.node_ok,
        "transactions": len(state.entries),
    }


def render_entry(state: PendingState, entry: Entry, *, events: bool) -> Json:
    """One pending transaction; events at the height it would be mined at, numbered from 0
    within the transaction (not a block position: nothing pending has one)."""
    item = entry.item
    body: Json = {
        "txid": format_txid(item.txid),
        "status": entry.status.value,
        "reason": None if entry.reason is None else render_reason(entry.reason)["name"],
        "fee": item.fee,
        "vsize": item.vsize,
        "fee_rate": None if item.fee is None else round(item.fee / max(item.vsize, 1), 3),
        "conflict_with": None if entry.conflict_with is None else format_txid(entry.conflict_with),
    }
    if events:
        height = (state.base_height or 0) + 1
        body["events"] = [render_event(height, n, raw) for n, raw in enumerate(entry.events)]
    return body


def render_pending_tx(mempool: MempoolService, state: PendingState, entry: Entry) -> Json:
    """``/v1/txs/{txid}`` for a transaction in the mempool (simulated, not confirmed)."""
    scan = find_carriers(entry.item.tx)
    payload = scan.payload if scan.has_message and scan.rejection is None else None
    message, decode_error = (None, None) if payload is None else render_message(payload)
    rendered = render_entry(state, entry, events=True)
    return {
        "txid": rendered["txid"],
        "confirmation": "pending",
        "block": None,
        "status": entry.status.value,
        "reason": rendered["reason"],
        "payload": None if payload is None else payload.hex(),
        "message": message,
        "decode_error": None if decode_error is None else render_reason(decode_error),
        "events": rendered["events"],
        "pending": {k: v for k, v in rendered.items() if k not in ("txid", "events")}
        | {"view": render_view(mempool, state)},
    }


def pending_tx(ctx: ApiContext, txid: bytes) -> Json | None:
    """The pending answer of ``/v1/txs/{txid}``, or None (no view, or not pending)."""
    if ctx.mempool is None:
        return None
    with ctx.mempool.layer.reading() as state:
        entry = state.entries.get(txid)
        return None if entry is None else render_pending_tx(ctx.mempool, state, entry)


def _totals(
    view: StoreView, state: PendingState, points: Iterable[bytes], names: TokenNames
) -> list[Json]:
    """Per token, what ``points`` hold (their pending record, else the confirmed one)."""
    totals: dict[bytes, int] = {}
    for point in points:
        changed = state.change(UTXO_PREFIX + point)
        raw = changed if isinstance(changed, bytes) else view.get(UTXO_PREFIX + point)
        if raw is None:
            continue
        for token, amount in UtxoAssets.decode(raw).balances:
            totals[token] = totals.get(token, 0) + amount
    return [names.amount(token, totals[token]) for token in sorted(totals)]


def render_address_pending(
    mempool: MempoolService, view: StoreView, script: bytes, names: TokenNames
) -> Json:
    """An address's pending side: what pending transactions send it (``incoming``, on
    outpoints they create) and what they spend of its confirmed outpoints (``outgoing``)."""
    with mempool.layer.reading() as state:
        incoming = sorted(state.by_script_in.get(script, ()))
        outgoing = sorted(state.by_script_out.get(script, ()))
        body: Json = {
            "view": render_view(mempool, state),
            "incoming": _totals(view, state, incoming, names),
            "outgoing": [],
            "incoming_outpoints": [
                {"outpoint": format_outpoint(op), "txid": format_txid(op[:32])} for op in incoming
            ],
            "outgoing_outpoints": [
                {"outpoint": format_outpoint(op), "spent_by": format_txid(state.spent_by[op])}
                for op in outgoing
                if op in state.spent_by
            ],
        }
        out: dict[bytes, int] = {}
        for op in outgoing:
            for token, amount in state.spent_confirmed[op][1]:
                out[token] = out.get(token, 0) + amount
        body["outgoing"] = [names.amount(token, out[token]) for token in sorted(out)]
    return body


def render_outpoint_pending(
    mempool: MempoolService | None, outpoint: bytes, names: TokenNames
) -> Json:
    """``spent_in_mempool`` (the pending spender's txid, or null) and ``pending`` (the record
    a pending transaction gave this outpoint, or null) for an outpoint answer."""
    if mempool is None:
        return {"spent_in_mempool": None, "pending": None}
    with mempool.layer.reading() as state:
        spender = state.spent_by.get(outpoint)
        created = state.entries.get(outpoint[:32])
        record = state.change(UTXO_PREFIX + outpoint) if created is not None else None
    pending = None
    if created is not None and created.status is not Status.CONFLICT:
        assets = UtxoAssets.decode(record) if isinstance(record, bytes) else UtxoAssets()
        pending = {
            "txid": format_txid(outpoint[:32]),
            "balances": [names.amount(t, a) for t, a in assets.balances],
            "authorities": [format_token_id(t) for t in assets.authorities],
        }
    return {
        "spent_in_mempool": None if spender is None else format_txid(spender),
        "pending": pending,
    }
