"""The pending view: mempool transactions applied over the tip's state, never written back.

A :class:`PendingState` is what the mempool layer (:mod:`indexer.mempool_layer`) builds for
one tip: the node's protocol transactions applied in mempool dependency order by the real
machine on a copy-on-write :class:`PendingOverlay` of the tip's state. The overlay keeps the
changed keys in a dict of its own; the store, the state root, the state hash and proofs never
see them. Readers (the API) combine a confirmed value from the store with :meth:`change`.

Per transaction it keeps an :class:`Entry` (status, events, fee rate); per outpoint it keeps
who spends it in the mempool and which pending outputs carry assets, with their scripts, so
that an address's incoming and outgoing amounts are a dictionary lookup, not a scan.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from protocol.overlay import Overlay
from protocol.state import StateView
from protocol.tx import Transaction

#: A key the overlay never changed (distinct from None: deleted in the mempool).
UNCHANGED = object()


class Status(StrEnum):
    """What the machine made of a pending transaction, as /v1/txs and /v1/mempool say."""

    ACCEPTED = "accepted"  # its message applied
    REJECTED = "rejected"  # its message was rejected; its inputs' assets settled anyway
    NO_MESSAGE = "no_message"  # it only moves assets it spends
    CONFLICT = "conflict"  # not applied: it spends what an earlier pending entry spends


@dataclass(frozen=True, slots=True)
class MempoolTx:
    """One mempool transaction, as the feed (ZMQ, polling or the benchmark) hands it over."""

    raw: bytes
    tx: Transaction
    #: Sats paid; None when the node did not say (counts as the lowest fee rate).
    fee: int | None
    vsize: int

    @property
    def txid(self) -> bytes:
        return self.tx.txid

    @property
    def fee_rate_msat(self) -> int:
        """Fee rate in millisats per vbyte: an integer, so ordering by it is exact."""
        if self.fee is None or self.vsize <= 0:
            return 0
        return self.fee * 1000 // self.vsize


@dataclass(frozen=True, slots=True)
class Entry:
    """One pending protocol transaction as applied (or not) on the pending view."""

    item: MempoolTx
    seq: int  # arrival order, the tie-break of the application order
    status: Status
    #: The rejection reason code (spec §8) when status is REJECTED.
    reason: int | None
    #: The canonical CBOR events the machine emitted, as a block would record them.
    events: tuple[bytes, ...]
    #: The pending transaction it conflicts with (status CONFLICT), else None.
    conflict_with: bytes | None
    #: Estimated bytes held for it (the raw transaction, parsed form, events, state).
    cost: int


class BaseView(StateView, Protocol):
    """What the layer reads from the tip: state, scripts of asset-carrying outpoints, the tip
    itself and whether a transaction is in an indexed block (a store snapshot is one)."""

    def script_of(self, outpoint: bytes) -> bytes | None: ...

    def transaction(self, txid: bytes) -> Sequence[object]: ...


class SwitchableBase:
    """The overlay's base: the store snapshot of the operation in progress.

    An LMDB read transaction must not stay open between operations (it pins pages and holds
    up the writer's map growth), so the layer points this at a fresh snapshot of the same
    tip for each batch of arrivals or rebuild and clears it afterwards.
    """

    def __init__(self) -> None:
        self.view: StateView | None = None

    def get(self, key: bytes) -> bytes | None:
        if self.view is None:
            raise RuntimeError("the pending view's base was read outside an update")
        return self.view.get(key)


class PendingOverlay(Overlay):
    """An Overlay whose changes stay readable by key after the machine is done with it."""

    def __init__(self, base: SwitchableBase) -> None:
        super().__init__(base)
        self.base = base
        self.changes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        if key in self.changes:
            return self.changes[key]
        return self.base.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        self.changes[key] = value


@dataclass
class PendingState:
    """Everything the pending view knows over one tip (see the module docstring)."""

    base_height: int | None
    base_hash: bytes | None
    overlay: PendingOverlay
    #: Entries in application order (dicts keep insertion order).
    entries: dict[bytes, Entry] = field(default_factory=dict)
    #: Outpoint (txid + vout BE) -> the pending protocol transaction spending it.
    spent_by: dict[bytes, bytes] = field(default_factory=dict)
    #: Asset-carrying outpoints a pending transaction created and none spends: -> script.
    created: dict[bytes, bytes] = field(default_factory=dict)
    #: Confirmed asset-carrying outpoints spent in the mempool: -> (script, balances).
    spent_confirmed: dict[bytes, tuple[bytes, tuple[tuple[bytes, int], ...]]] = field(
        default_factory=dict
    )
    by_script_in: dict[bytes, set[bytes]] = field(default_factory=dict)
    by_script_out: dict[bytes, set[bytes]] = field(default_factory=dict)
    #: Bytes held by the entries (the memory cap's measure).
    used: int = 0

    def change(self, key: bytes) -> object:
        """The pending value of a state key: bytes, None (deleted) or UNCHANGED."""
        return self.overlay.changes.get(key, UNCHANGED)

    def iter_entries(self) -> Iterator[Entry]:
        return iter(self.entries.values())
