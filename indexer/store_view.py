"""Reads over one LMDB transaction: the machine's StateView and the API's lookups.

A view reads through a :class:`TxnSource` rather than a fixed transaction, so the view of a
write batch keeps working when the batch restarts its transaction after growing the map.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, TypeAlias

import lmdb

from indexer.store_schema import (
    DB_NAMES,
    EVENT_KEY,
    META_TIP,
    OUTPOINT_LEN,
    SCRIPT_EVENT,
    TOKEN_RANK,
    TOKEN_STATS,
    U32,
    BlockRecord,
    Reorg,
    Tip,
    TxEntry,
    decode_block,
    decode_reorg,
    decode_tip,
    decode_tx,
    decode_u128,
    event_key,
    height_key,
    holder_balance,
    script_prefix,
)
from protocol.contracts.wasm.records import narrow_asset, wide_asset

# py-lmdb types these generics only in its stubs, hence the string aliases.
Database: TypeAlias = "lmdb._Database"
Txn: TypeAlias = "lmdb.Transaction[bytes]"


@dataclass(frozen=True, slots=True)
class Databases:
    """The handles of the named databases, in the order of ``DB_NAMES``."""

    meta: Database
    state: Database
    blocks: Database
    block_heights: Database
    events: Database
    undo: Database
    outputs: Database
    scripts: Database
    script_balances: Database
    holders: Database
    token_stats: Database
    token_rank: Database
    txs: Database
    script_events: Database
    reorgs: Database
    tree: Database

    @classmethod
    def open(cls, env: lmdb.Environment, txn: Txn | None, *, create: bool) -> Databases:
        """Open every database; a read-only environment must pass no ``txn``, since py-lmdb
        keeps handles opened in an explicit read transaction for that transaction only."""
        return cls(*(env.open_db(name, txn=txn, create=create) for name in DB_NAMES))


class TxnSource(Protocol):
    @property
    def txn(self) -> Txn: ...


@dataclass(frozen=True, slots=True)
class PinnedTxn:
    """A TxnSource that always answers the same (read-only) transaction."""

    txn: Txn


def _successor(prefix: bytes) -> bytes | None:
    """The smallest key above every key starting with ``prefix`` (None: there is none)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def iter_after(
    txn: Txn, db: Database, prefix: bytes, after: bytes | None, *, reverse: bool = False
) -> Iterator[tuple[bytes, bytes]]:
    """Entries whose key starts with ``prefix``, in key order (or reversed), strictly after
    the key ``after`` in that order; ``after=None`` starts at the first (or last) one."""
    cursor = txn.cursor(db)
    if not reverse:
        if not cursor.set_range(after if after is not None else prefix):
            return
        if after is not None and cursor.key() == after and not cursor.next():
            return
        for key, value in cursor:
            if not key.startswith(prefix):
                return
            yield key, value
        return
    bound = after if after is not None else _successor(prefix)
    if bound is None or not cursor.set_range(bound):
        positioned = cursor.last()
        if positioned and after is not None and cursor.key() >= after:
            positioned = cursor.prev()
    else:
        positioned = cursor.prev()
    while positioned:
        key = cursor.key()
        if not key.startswith(prefix):
            return
        yield key, cursor.value()
        positioned = cursor.prev()


def iter_prefix(txn: Txn, db: Database, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Entries of ``db`` whose key starts with ``prefix``, in key order."""
    cursor = txn.cursor(db)
    if not cursor.set_range(prefix):
        return
    for key, value in cursor:
        if not key.startswith(prefix):
            return
        yield key, value


class StoreView:
    """Everything a reader may ask of one consistent snapshot (always a block boundary).

    A view over a read transaction is valid until its ``Store.read()`` block ends; hold it
    briefly, since an open read transaction pins old pages and delays map growth.
    """

    __slots__ = ("_dbs", "_source")

    def __init__(self, source: TxnSource, dbs: Databases) -> None:
        self._source = source
        self._dbs = dbs

    def get(self, key: bytes) -> bytes | None:
        """StateView: the protocol state value under ``key``."""
        return self._source.txn.get(key, db=self._dbs.state)

    def node(self, position: bytes) -> bytes | None:
        """NodeReader: the state tree's record at ``position`` (spec §24.2)."""
        return self._source.txn.get(position, db=self._dbs.tree)

    def output_items(self) -> Iterator[tuple[bytes, bytes]]:
        """(outpoint, scriptPubKey) of every live asset-carrying outpoint, by outpoint."""
        return iter_prefix(self._source.txn, self._dbs.outputs, b"")

    def tree_items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every state tree record, by position."""
        return iter_prefix(self._source.txn, self._dbs.tree, b"")

    def tip(self) -> Tip | None:
        """The last applied block, or None before the first block at the activation height."""
        value = self._source.txn.get(META_TIP, db=self._dbs.meta)
        return None if value is None else decode_tip(value)

    def block(self, height: int) -> BlockRecord | None:
        value = self._source.txn.get(height_key(height), db=self._dbs.blocks)
        return None if value is None else decode_block(height, value)

    def block_by_hash(self, block_hash: bytes) -> BlockRecord | None:
        value = self._source.txn.get(block_hash, db=self._dbs.block_heights)
        return None if value is None else self.block(U32.unpack(value)[0])

    def events(self, height: int) -> list[bytes]:
        """The canonical CBOR events of the block at ``height``, in block order."""
        return [
            value
            for _, value in iter_prefix(self._source.txn, self._dbs.events, height_key(height))
        ]

    def event(self, height: int, index: int) -> bytes | None:
        return self._source.txn.get(event_key(height, index), db=self._dbs.events)

    def script_of(self, outpoint: bytes) -> bytes | None:
        """The scriptPubKey of a live asset-carrying outpoint (txid internal order + vout BE)."""
        return self._source.txn.get(outpoint, db=self._dbs.outputs)

    def outpoints_of_script(self, script: bytes) -> Iterator[bytes]:
        """Live asset-carrying outpoints paying to ``script``, in outpoint order."""
        for key, _ in iter_prefix(self._source.txn, self._dbs.scripts, script_prefix(script)):
            yield key[-OUTPOINT_LEN:]

    def state_items(self, prefix: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """Protocol state entries whose key starts with ``prefix`` (e.g. b"\\x01": UTXO records)."""
        return iter_prefix(self._source.txn, self._dbs.state, prefix)

    def state_entries(self) -> int:
        """How many protocol state entries there are, of every kind."""
        return self._source.txn.stat(self._dbs.state)["entries"]

    def state_after(
        self, prefix: bytes, after: bytes | None, *, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Protocol state entries under ``prefix``, strictly after the key ``after``."""
        return iter_after(self._source.txn, self._dbs.state, prefix, after, reverse=reverse)

    def events_after(self, after: tuple[int, int] | None) -> Iterator[tuple[int, int, bytes]]:
        """(height, index, event) of every event after (height, index), in chain order."""
        start = None if after is None else event_key(*after)
        for key, value in iter_after(self._source.txn, self._dbs.events, b"", start):
            height, index = EVENT_KEY.unpack(key)
            yield height, index, value

    def outpoints_of_script_after(self, script: bytes, after: bytes | None) -> Iterator[bytes]:
        """Like :meth:`outpoints_of_script`, strictly after the outpoint ``after``."""
        prefix = script_prefix(script)
        start = None if after is None else prefix + after
        for key, _ in iter_after(self._source.txn, self._dbs.scripts, prefix, start):
            yield key[-OUTPOINT_LEN:]

    def script_balances(self, script: bytes) -> list[tuple[bytes, int]]:
        """(asset id, total balance) the script's live outpoints hold, by asset id (8 bytes
        for a token, 12 for a contract asset)."""
        prefix = script_prefix(script)
        return [
            (narrow_asset(key[len(prefix) :]), decode_u128(value))
            for key, value in iter_prefix(self._source.txn, self._dbs.script_balances, prefix)
        ]

    def token_stats(self, token: bytes) -> tuple[int, int] | None:
        """(holders, asset-carrying outpoints) of a deployed token or issued contract
        asset, or None."""
        value = self._source.txn.get(wide_asset(token), db=self._dbs.token_stats)
        if value is None:
            return None
        holders, utxos = TOKEN_STATS.unpack(value)
        return holders, utxos

    def holders(
        self, token: bytes, after: bytes | None = None
    ) -> Iterator[tuple[bytes, bytes, int]]:
        """(index key, scriptPubKey, balance) per holder of ``token`` (or contract asset),
        richest first."""
        prefix = wide_asset(token)
        for key, script in iter_after(self._source.txn, self._dbs.holders, prefix, after):
            yield key, script, holder_balance(key)

    def tokens_by_holders(
        self, after: bytes | None = None, *, reverse: bool = False
    ) -> Iterator[tuple[bytes, int, bytes]]:
        """(index key, holders, token id) in ascending holder count (or descending)."""
        txn, db = self._source.txn, self._dbs.token_rank
        for key, _ in iter_after(txn, db, b"", after, reverse=reverse):
            holders, token = TOKEN_RANK.unpack(key)
            yield key, holders, token

    def transaction(self, txid: bytes) -> list[TxEntry]:
        """Where a protocol transaction's events are, per block holding it (one, normally)."""
        return [
            decode_tx(key, value)
            for key, value in iter_prefix(self._source.txn, self._dbs.txs, txid)
        ]

    def script_events(
        self, script: bytes, after: tuple[int, int] | None = None, *, reverse: bool = False
    ) -> Iterator[tuple[int, int]]:
        """(height, event index) of events naming an outpoint paying to ``script``."""
        prefix = script_prefix(script)
        start = None if after is None else SCRIPT_EVENT.pack(prefix, *after)
        txn, db = self._source.txn, self._dbs.script_events
        for key, _ in iter_after(txn, db, prefix, start, reverse=reverse):
            _, height, index = SCRIPT_EVENT.unpack(key)
            yield height, index

    def reorgs(self, after: int = 0) -> Iterator[Reorg]:
        """Rollbacks logged after sequence number ``after``, oldest first."""
        start = None if after == 0 else U32.pack(after)
        for key, value in iter_after(self._source.txn, self._dbs.reorgs, b"", start):
            yield decode_reorg(key, value)

    def last_reorg(self) -> Reorg | None:
        cursor = self._source.txn.cursor(self._dbs.reorgs)
        return decode_reorg(cursor.key(), cursor.value()) if cursor.last() else None

    def first_block_height(self) -> int | None:
        """The lowest height with a block record: the activation height, or the height of
        the snapshot the store was imported from (block records are removed only by a
        rollback, from the top)."""
        cursor = self._source.txn.cursor(self._dbs.blocks)
        return U32.unpack(cursor.key())[0] if cursor.first() else None

    def oldest_undo_height(self) -> int | None:
        """The lowest height whose undo record is kept (undo is kept for a contiguous range)."""
        cursor = self._source.txn.cursor(self._dbs.undo)
        return U32.unpack(cursor.key())[0] if cursor.first() else None


class PatchedView(StoreView):
    """A snapshot whose protocol state reads ``patch`` first (a value, or None: deleted):
    what a compose that may spend pending outputs checks its transaction against. Every
    other read, and the tip, stay the snapshot's."""

    __slots__ = ("_patch",)

    def __init__(self, view: StoreView, patch: dict[bytes, bytes | None]) -> None:
        super().__init__(view._source, view._dbs)
        self._patch = patch

    def get(self, key: bytes) -> bytes | None:
        if key in self._patch:
            return self._patch[key]
        return super().get(key)
