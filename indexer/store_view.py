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
    META_TIP,
    OUTPOINT_LEN,
    U32,
    BlockRecord,
    Tip,
    decode_block,
    decode_tip,
    event_key,
    height_key,
    script_prefix,
)

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

    def oldest_undo_height(self) -> int | None:
        """The lowest height whose undo record is kept (undo is kept for a contiguous range)."""
        cursor = self._source.txn.cursor(self._dbs.undo)
        return U32.unpack(cursor.key())[0] if cursor.first() else None
