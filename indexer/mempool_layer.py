"""The mempool layer: keeps the pending view (:mod:`indexer.mempool_state`) in step with the
node's mempool and the store's tip.

One entry point, :meth:`MempoolLayer.update`, takes what changed in the mempool since the
last call (every transaction that arrived, in dependency order, and every txid that left)
and the store snapshot of the current tip. The ZMQ and polling feeds and the benchmark all
call it, so they exercise the same code.

- An arrival that touches the protocol (carries a message, spends an asset-carrying outpoint,
  or spends an output of a pending protocol transaction) is applied at once on top of the
  pending overlay, as the next block's next transaction, by the real machine. Each gets a
  fresh block counter set, so its contract fuel is bounded as one transaction's is, whatever
  else is pending. Other arrivals are forgotten (the feed remembers their txids only).
- A departure of a kept transaction, a new tip (a block, or a rollback) or the memory cap
  rebuilds the view from scratch over the tip: the remaining transactions in dependency
  order, ties by arrival. Rebuilding rather than undoing keeps the view a function of (tip,
  kept transactions, arrival order), whatever happened in between.
- Departures are told apart for the SSE stream: ``confirmed`` (the tip's store indexes it),
  ``replaced`` (an arrival of the same update spends one of its inputs: RBF), else
  ``evicted`` with a reason: ``conflict_confirmed`` (a block spent one of its token inputs),
  ``memory_cap`` (dropped here, see below) or ``removed`` (expiry, the node's own limits, a
  restart that lost it).
- Bounded: past ``max_bytes`` of estimated entry memory, the lowest fee-rate entries (and
  their descendants, which depend on them) are dropped until 90 % of the cap is left, so a
  mempool hovering at the cap costs one rebuild per tenth of it, not one per arrival. While
  any dropped transaction is still in the mempool the view is ``partial``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from indexer.mempool_state import (
    BaseView,
    Entry,
    MempoolTx,
    PendingOverlay,
    PendingState,
    Status,
    SwitchableBase,
)
from protocol.carrier import find_carriers
from protocol.events import EventType, Field, encode_event
from protocol.machine import Machine
from protocol.overlay import Overlay
from protocol.state import UTXO_PREFIX, utxo_key
from protocol.tx import Transaction

log = logging.getLogger(__name__)

#: Notices kept for SSE subscribers that fell behind (older ones are gone: resubscribe).
NOTICES_KEPT = 10_000
#: After dropping entries for the cap, this share of it is left free for arrivals.
CAP_REFILL = 0.9
#: Bytes one entry costs besides its raw transaction and events: the parsed transaction,
#: its overlay keys and the outpoint maps (measured with tracemalloc on bench.mempool's
#: transfers: about 2.5 KB for a 200-byte transaction; rounded up).
ENTRY_OVERHEAD = 2_000
RAW_FACTOR = 3  # the raw bytes, and the parsed inputs, outputs and witnesses


@dataclass(frozen=True, slots=True)
class Notice:
    """One change of the pending view, for the SSE stream (``kind`` names the event)."""

    seq: int
    kind: str  # pending | replaced | evicted | confirmed
    txid: bytes
    entry: Entry | None = None  # pending: the entry as applied
    by: bytes | None = None  # replaced: the replacing transaction
    reason: str | None = None  # evicted: why
    height: int | None = None  # confirmed: the block holding it


Tip = tuple[int, bytes]


class MempoolLayer:
    """The pending view and how it changes; see the module docstring.

    :meth:`update` runs on one thread (the feed's); readers on any thread take
    :meth:`reading` for a consistent look at :attr:`state`.
    """

    def __init__(self, machine: Machine, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.machine = machine
        self.max_bytes = max_bytes
        self.lock = threading.RLock()
        self.state = PendingState(None, None, PendingOverlay(SwitchableBase()))
        #: Kept protocol transactions (applied or in conflict) and their arrival numbers.
        self._items: dict[bytes, tuple[MempoolTx, int]] = {}
        #: Which kept transactions carry a message (a rebuild need not scan them again).
        self._messages: set[bytes] = set()
        #: Protocol transactions dropped for the cap that may still be in the mempool.
        self._dropped: set[bytes] = set()
        self._seq = 0
        self._notices: deque[Notice] = deque(maxlen=NOTICES_KEPT)
        self._notice_seq = 0
        self.rebuilds = 0

    # --- reading -------------------------------------------------------------------------

    @property
    def partial(self) -> bool:
        """Whether transactions dropped for the memory cap are missing from the view."""
        return bool(self._dropped)

    @contextmanager
    def reading(self) -> Iterator[PendingState]:
        """The current state, unchanged while the block runs (keep it short)."""
        with self.lock:
            yield self.state

    def notices_after(self, seq: int) -> tuple[list[Notice], int]:
        """Notices numbered above ``seq`` still kept, and the newest number."""
        with self.lock:
            return [n for n in self._notices if n.seq > seq], self._notice_seq

    @property
    def notice_seq(self) -> int:
        return self._notice_seq

    # --- updating ------------------------------------------------------------------------

    def candidates(self, view: BaseView, txs: Sequence[Transaction]) -> set[bytes]:
        """The txids of ``txs`` (parents first) that may touch the protocol: a superset of
        what :meth:`update` keeps, so a feed asks the node for the fees of these only."""
        found: set[bytes] = set()
        for tx in txs:
            parents = {txin.prev_txid for txin in tx.inputs}
            if (
                find_carriers(tx).has_message
                or any(p in found or p in self._items or p in self._dropped for p in parents)
                or any(
                    view.get(utxo_key(txin.prev_txid, txin.prev_vout)) is not None
                    for txin in tx.inputs
                )
            ):
                found.add(tx.txid)
        return found

    def update(
        self,
        view: BaseView,
        tip: Tip | None,
        added: Sequence[MempoolTx],
        removed: Collection[bytes],
    ) -> None:
        """Apply a mempool change over the store snapshot ``view`` of ``tip``: ``added``
        are the arrivals (any transaction, parents before children), ``removed`` the txids
        that left the mempool (unknown ones are ignored)."""
        moved = tip != self._tip()
        gone = [txid for txid in removed if txid in self._items]
        self._dropped.difference_update(removed)
        if gone:
            self._announce_departures(view, moved, gone, added)
            for txid in gone:
                del self._items[txid]
                self._messages.discard(txid)
        if moved or gone:
            self._rebuild(view, tip)
        if tip is None:
            return  # nothing indexed yet: no state to apply pending transactions over
        state = self.state
        state.overlay.base.view = view
        try:
            for item in added:
                if item.txid in self._items:
                    continue
                with self.lock:
                    self._arrive(state, view, item)
        finally:
            state.overlay.base.view = None
        if self.state.used > self.max_bytes:
            self._enforce_cap(view, tip)

    def _tip(self) -> Tip | None:
        state = self.state
        if state.base_height is None or state.base_hash is None:
            return None
        return state.base_height, state.base_hash

    def _arrive(self, state: PendingState, view: BaseView, item: MempoolTx) -> None:
        tx = item.tx
        if tx.is_coinbase:
            return
        parents = {txin.prev_txid for txin in tx.inputs}
        if parents & self._dropped:
            # A child of a transaction dropped for the cap cannot be applied without it.
            self._dropped.add(item.txid)
            return
        carriers = find_carriers(tx)
        touches = (
            carriers.has_message
            or any(parent in self._items for parent in parents)
            or any(
                state.overlay.get(utxo_key(txin.prev_txid, txin.prev_vout)) is not None
                for txin in tx.inputs
            )
        )
        if not touches:
            return
        self._seq += 1
        self._items[item.txid] = (item, self._seq)
        if carriers.has_message:
            self._messages.add(item.txid)
        entry = self._apply(state, view, item, self._seq, carriers.has_message)
        self._notify(Notice(0, "pending", item.txid, entry=entry))

    def _apply(
        self, state: PendingState, view: BaseView, item: MempoolTx, seq: int, has_message: bool
    ) -> Entry:
        tx = item.tx
        prevouts = [txin.prevout for txin in tx.inputs]
        conflict = next((state.spent_by[p] for p in prevouts if p in state.spent_by), None)
        unapplied_parent = any(
            (parent := state.entries.get(txin.prev_txid)) is not None
            and parent.status is Status.CONFLICT
            for txin in tx.inputs
        )
        if conflict is not None or unapplied_parent:
            entry = Entry(item, seq, Status.CONFLICT, None, (), conflict, self._cost(item, ()))
            state.entries[item.txid] = entry
            state.used += entry.cost
            return entry
        assert state.base_height is not None
        layer = Overlay(state.overlay)
        scripts: dict[bytes, bytes] = {}
        # The next block's next transaction (index 0 is the coinbase): ids a pending deploy
        # or publish would get are provisional, since the miner picks the order.
        events = self.machine.apply_transaction(
            layer, state.base_height + 1, len(state.entries) + 1, tx, scripts=scripts, block={}
        )
        layer.merge_into(state.overlay)
        reason: int | None = None
        spent: dict[bytes, list[tuple[bytes, int]]] = {}
        for event in events:
            kind = event[Field.TYPE]
            if kind == EventType.REJECTED and reason is None:
                code = event[Field.REASON]
                assert isinstance(code, int)
                reason = code
            elif kind == EventType.DEBIT:
                point, token, amount = (
                    event[Field.OUTPOINT],
                    event[Field.TOKEN],
                    event[Field.AMOUNT],
                )
                assert isinstance(point, bytes) and isinstance(token, bytes)
                assert isinstance(amount, int)
                spent.setdefault(point, []).append((token, amount))
        for point, balances in spent.items():
            script = state.created.pop(point, None)
            if script is not None:
                state.by_script_in.get(script, set()).discard(point)
                continue
            confirmed_script = view.script_of(point)
            if confirmed_script is not None:
                state.spent_confirmed[point] = (confirmed_script, tuple(balances))
                state.by_script_out.setdefault(confirmed_script, set()).add(point)
        for point, script in scripts.items():
            if state.overlay.changes.get(UTXO_PREFIX + point) is not None:
                state.created[point] = script
                state.by_script_in.setdefault(script, set()).add(point)
        for point in prevouts:
            state.spent_by[point] = item.txid
        if reason is not None:
            status = Status.REJECTED
        else:
            status = Status.ACCEPTED if has_message else Status.NO_MESSAGE
        encoded = tuple(encode_event(event) for event in events)
        entry = Entry(item, seq, status, reason, encoded, None, self._cost(item, encoded))
        state.entries[item.txid] = entry
        state.used += entry.cost
        return entry

    @staticmethod
    def _cost(item: MempoolTx, events: tuple[bytes, ...]) -> int:
        return RAW_FACTOR * len(item.raw) + ENTRY_OVERHEAD + sum(len(e) + 200 for e in events)

    def _ordered(self) -> list[tuple[MempoolTx, int]]:
        """The kept transactions, parents before children, otherwise by arrival."""
        by_seq = sorted(self._items.values(), key=lambda pair: pair[1])
        placed: set[bytes] = set()
        ordered: list[tuple[MempoolTx, int]] = []
        for pair in by_seq:
            stack = [pair]
            while stack:
                item, seq = stack[-1]
                if item.txid in placed:
                    stack.pop()
                    continue
                waiting = [
                    self._items[p]
                    for p in dict.fromkeys(txin.prev_txid for txin in item.tx.inputs)
                    if p in self._items and p not in placed
                ]
                if waiting:
                    stack.extend(sorted(waiting, key=lambda pair: pair[1], reverse=True))
                    continue
                placed.add(item.txid)
                ordered.append((item, seq))
                stack.pop()
        return ordered

    def _rebuild(self, view: BaseView, tip: Tip | None) -> None:
        """A new state over ``tip`` from the kept transactions, swapped in when complete
        (readers see the old one meanwhile)."""
        self.rebuilds += 1
        base = SwitchableBase()
        fresh = PendingState(
            None if tip is None else tip[0], None if tip is None else tip[1], PendingOverlay(base)
        )
        if tip is not None:
            base.view = view
            try:
                for item, seq in self._ordered():
                    self._apply(fresh, view, item, seq, item.txid in self._messages)
            finally:
                base.view = None
        else:
            self._items.clear()
            self._messages.clear()
        with self.lock:
            self.state = fresh

    def _announce_departures(
        self, view: BaseView, moved: bool, gone: list[bytes], added: Sequence[MempoolTx]
    ) -> None:
        spenders = {txin.prevout: item.txid for item in added for txin in item.tx.inputs}
        old = self.state
        for txid in gone:
            item = self._items[txid][0]
            confirmed = view.transaction(txid) if moved else ()
            if confirmed:
                height = getattr(confirmed[-1], "height", None)
                self._notify(Notice(0, "confirmed", txid, height=height))
                continue
            by = next((spenders[t.prevout] for t in item.tx.inputs if t.prevout in spenders), None)
            if by is not None:
                self._notify(Notice(0, "replaced", txid, by=by))
                continue
            # A confirmed asset-carrying input (the overlay deleted it; no pending parent
            # made it) that the new tip no longer has: a block spent it.
            spent_in_block = moved and any(
                txin.prev_txid not in self._items
                and old.change(key := utxo_key(txin.prev_txid, txin.prev_vout)) is None
                and view.get(key) is None
                for txin in item.tx.inputs
            )
            reason = "conflict_confirmed" if spent_in_block else "removed"
            self._notify(Notice(0, "evicted", txid, reason=reason))

    def _enforce_cap(self, view: BaseView, tip: Tip) -> None:
        state = self.state
        target = int(self.max_bytes * CAP_REFILL)
        children: dict[bytes, list[bytes]] = {}
        for item, _ in self._items.values():
            for parent in dict.fromkeys(txin.prev_txid for txin in item.tx.inputs):
                if parent in self._items:
                    children.setdefault(parent, []).append(item.txid)
        # Lowest fee rate first; among equals the newest goes first, as a node would.
        order = sorted(self._items.values(), key=lambda pair: (pair[0].fee_rate_msat, -pair[1]))
        victims: set[bytes] = set()
        freed = 0
        for item, _ in order:
            if state.used - freed <= target:
                break
            todo = [item.txid]
            while todo:
                txid = todo.pop()
                if txid in victims:
                    continue
                victims.add(txid)
                entry = state.entries.get(txid)
                freed += 0 if entry is None else entry.cost
                todo.extend(children.get(txid, ()))
        for txid in sorted(victims):
            del self._items[txid]
            self._messages.discard(txid)
            self._notify(Notice(0, "evicted", txid, reason="memory_cap"))
        self._dropped |= victims
        log.warning(
            "pending view over its memory cap (%s bytes): dropped %s lowest fee-rate "
            "transactions; the view is partial",
            f"{self.max_bytes:,}",
            f"{len(victims):,}",
        )
        self._rebuild(view, tip)

    def _notify(self, notice: Notice) -> None:
        with self.lock:
            self._notice_seq += 1
            self._notices.append(
                Notice(
                    self._notice_seq,
                    notice.kind,
                    notice.txid,
                    notice.entry,
                    notice.by,
                    notice.reason,
                    notice.height,
                )
            )
