"""The state-access interface between the machine and any store (spec §9).

Protocol state is a map from fixed-width byte keys to canonical-CBOR byte values. The
machine reads it through :class:`StateView` and never writes it: it returns the writes of
a block, and the prior values of the same keys as undo, in :class:`BlockEffects`. The
LMDB store, the in-memory store of the tests and a second implementation all hold the
same keys and values, so a state can be compared byte for byte.

Key schema (spec §9.2), all integers big-endian:

==========  ======================================  ====================================
prefix      rest of the key                         value (canonical CBOR)
==========  ======================================  ====================================
``0x01``    txid (32, internal order) + vout (4)    UTXO record: balances, authorities
``0x02``    token id: height (4) + tx index (4)     token record
``0x03``    ticker, ASCII, zero-padded to 12        token id (8 bytes)
``0x04``    contract id (8)                         contract record (CONTRACTS.md §14.3)
``0x05``    code hash, SHA-256 of the module (32)   the module bytes as published
``0x06``    contract id (8) + storage key (32)      storage value, raw bytes
``0x07``    contract id (8) + asset id (12)         amount in custody (canonical CBOR uint)
``0x08``    contract asset id (12)                  contract-asset record
==========  ======================================  ====================================

Asset ids in ``0x07`` keys are always 12 bytes: a token id (8) is followed by 4 zero bytes,
unambiguous because a contract asset's sub id is at least 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from protocol.tree import EMPTY, NodeReader, NodeWrite, update

UTXO_PREFIX = b"\x01"
TOKEN_PREFIX = b"\x02"
TICKER_PREFIX = b"\x03"
TICKER_WIDTH = 12

UTXO_KEY_LEN = 1 + 32 + 4
TOKEN_KEY_LEN = 1 + 8
TICKER_KEY_LEN = 1 + TICKER_WIDTH
CONTRACT_PREFIX = b"\x04"
CODE_PREFIX = b"\x05"
STORAGE_PREFIX = b"\x06"
CUSTODY_PREFIX = b"\x07"
ASSET_PREFIX = b"\x08"
#: CONTRACTS.md §14.3, §17.5: the header times of the last 10 blocks applied.
CLOCK_KEY = b"\x09"


class StateView(Protocol):
    """Read access to protocol state as of the start of the block being applied."""

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, or None when absent."""
        ...


class TreeStateView(StateView, NodeReader, Protocol):
    """A state and the nodes of its tree (spec §23): what a block is applied to."""


@dataclass(frozen=True)
class Write:
    """One key's new value; ``value is None`` deletes the key."""

    key: bytes
    value: bytes | None


@dataclass(frozen=True)
class BlockEffects:
    """Everything applying one block changes, and how to take it back.

    ``writes`` and ``undo`` name the same keys in ascending key order; applying
    ``undo`` after ``writes`` restores the exact prior state. ``events`` are the
    canonical CBOR encodings of the block's events in order (spec §10).
    ``state_root`` is the root of the state tree after the block (spec §23) and ``nodes``
    the tree node records to write for it (position, record or None), ascending; undoing
    ``writes`` undoes them too, since the tree is a function of the state alone.
    ``outputs`` maps each outpoint the block bound assets to onto its scriptPubKey,
    for the address index (not consensus data).
    """

    height: int
    block_hash: bytes
    events: tuple[bytes, ...]
    events_hash: bytes
    state_hash: bytes
    state_root: bytes
    writes: tuple[Write, ...]
    undo: tuple[Write, ...]
    nodes: tuple[NodeWrite, ...]
    outputs: tuple[tuple[bytes, bytes], ...]


class MemoryState:
    """An in-memory state and its tree for tests and vectors, as a TreeStateView."""

    def __init__(self, items: Mapping[bytes, bytes] | None = None) -> None:
        self._items: dict[bytes, bytes] = {}
        self._nodes: dict[bytes, bytes] = {}
        self.root = EMPTY
        if items:
            self.apply(tuple(Write(key, value) for key, value in sorted(items.items())))

    def get(self, key: bytes) -> bytes | None:
        return self._items.get(key)

    def node(self, position: bytes) -> bytes | None:
        return self._nodes.get(position)

    def apply(self, writes: tuple[Write, ...]) -> bytes:
        """Apply ``writes`` to the state and its tree; returns the new root."""
        tree = update(self, ((write.key, write.value) for write in writes))
        for write in writes:
            if write.value is None:
                self._items.pop(write.key, None)
            else:
                self._items[write.key] = write.value
        for position, record in tree.writes:
            if record is None:
                self._nodes.pop(position, None)
            else:
                self._nodes[position] = record
        self.root = tree.root
        return tree.root

    def nodes(self) -> dict[bytes, bytes]:
        """The tree's records by position (spec §24.2)."""
        return dict(sorted(self._nodes.items()))

    def snapshot(self) -> dict[bytes, bytes]:
        return dict(self._items)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """All entries in ascending key order."""
        for key in sorted(self._items):
            yield key, self._items[key]


def utxo_key(txid: bytes, vout: int) -> bytes:
    return UTXO_PREFIX + txid + vout.to_bytes(4, "big")


def token_key(token_id: bytes) -> bytes:
    return TOKEN_PREFIX + token_id


def ticker_key(ticker: str) -> bytes:
    return TICKER_PREFIX + ticker.encode("ascii").ljust(TICKER_WIDTH, b"\x00")


def contract_key(contract_id: bytes) -> bytes:
    return CONTRACT_PREFIX + contract_id
