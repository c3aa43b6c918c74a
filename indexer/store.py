"""The LMDB store: protocol state, per-block records, undo and indexes in one environment.

One writer (the follow loop) applies blocks; any number of readers (the API, in threads via
:meth:`StoreReader.read` or in other processes via :func:`open_reader`) read snapshots.
Each block commits in one write transaction with its undo and the tip, or several blocks in
one transaction (:meth:`Store.batch`), each with its own undo; a crash therefore leaves the
store at a block boundary. A full map is grown (doubled) and the whole transaction replayed;
a disk that refuses a write raises :class:`StoreWriteError` with the store intact.

Key schema. The environment is the directory ``StoreConfig.path`` (``data.mdb``,
``lock.mdb``, and ``writer.lock``, which one writing process holds). All integers are
big-endian, so keys sort by number. An outpoint is txid (32 bytes, internal byte order, as
hashed; RPC hex shows it reversed) + vout (u32): 36 bytes, the UTXO key without its prefix.

=============  =====================================  =========================================
database       key                                    value
=============  =====================================  =========================================
meta           ASCII name, see below                  see below
state          protocol key, exactly as in            canonical CBOR, exactly as the machine
               :mod:`protocol.state`: 0x01 + outpoint  wrote it (a code entry holds the module
               (37), 0x02 + token id (9),              bytes, a storage entry raw bytes); so a
               0x03 + ticker (13); contracts           store compares byte for byte with
               (spec/CONTRACTS.md §14.3): 0x04 +       ``MemoryState.items()``. Contract state
               contract id (9), 0x05 + code hash       takes per-block undo like the rest
               (33), 0x06 + contract id + storage
               key (41), 0x07 + contract id + asset
               id (21), 0x08 + asset id (13)
blocks         height u32 (4)                         block hash (32) + state hash (32) +
                                                      events hash (32) + event count u32 +
                                                      state root (32) (132)
block_heights  block hash (32)                        height u32 (4)
events         height u32 + event index u32 (8)       the event, canonical CBOR
undo           height u32 (4)                         undo record (:mod:`indexer.store_undo`),
                                                      for the last ``undo_depth`` blocks only
outputs        outpoint (36)                          scriptPubKey of a live asset-carrying
                                                      outpoint (present iff its UTXO record is)
scripts        sha256(scriptPubKey) (32) +            empty; present iff ``outputs`` maps the
               outpoint (36)                          outpoint to that script (address index)
tree           node position: depth u16 + path        node record (65): 0x00 + path + value
               prefix zero-padded to 32 bytes (34)    hash, or 0x01 + left + right hashes;
                                                      the state tree (spec §24.2) of ``state``
=============  =====================================  =========================================

The tree has no undo entries: it is a function of ``state``, so a rollback feeds the state's
undo writes through the same update (:func:`protocol.tree.update`) and checks that the root it
reaches is the one recorded for the block it returns to.

Derived indexes (:mod:`indexer.store_index`), functions of the databases above, kept in each
block's transaction with undo entries. A *holder* is a distinct scriptPubKey whose live
outpoints hold a non-zero balance of the asset (authorities do not count). u128 is 16 bytes.
An *asset id* is always 12 bytes here (CONTRACTS.md §14.2): a v1 token id followed by four
zero bytes, or a contract asset's id, so the keys stay fixed-width for both kinds.

===============  ===================================  =======================================
database         key                                  value
===============  ===================================  =======================================
script_balances  sha256(script) (32) + asset id (12)  the script's total balance, u128;
                                                      present iff non-zero
holders          asset id (12) + (2^128-1 - balance)  the scriptPubKey; one per holder, so a
                 u128 (16) + sha256(script) (32)      prefix scan lists holders richest first
token_stats      asset id (12)                        holders u32 + asset-carrying outpoints
                                                      u32; present for every deployed token
                                                      and every issued contract asset
token_rank       holders u32 (4) + token id (8)       empty; one per v1 token's
                                                      ``token_stats`` entry (the token list)
txs              txid (32) + height u32 (4)           first event index u32 + event count u32
                                                      + has-payload u8 + the payload of its one
                                                      well-formed carrier; for every tx with
                                                      events or a carrier
script_events    sha256(script) (32) + height u32 +   empty; events naming an outpoint that
                 event index u32 (40)                 pays to the script (events by address)
reorgs           sequence u32 (4), from 1             first and last height removed (u32 each)
                                                      + their block hashes (32 each, ascending)
===============  ===================================  =======================================

``meta`` holds ``schema_version`` (u32, the layout version), ``network`` (ASCII name),
``activation_height`` (u32), ``protocol_version`` (u32), ``genesis_hash`` (32, internal
order), all written at creation and checked at every open; and ``tip``: height u32 + block
hash (32) + state hash (32), absent until the first block at the activation height.

Blocks, block heights and events are kept forever; undo is pruned in the transaction that
applies the block ``undo_depth`` above it. A rollback restores every database byte for byte,
except that undo pruned by the blocks it removes stays pruned (right after a rollback of k
blocks, undo reaches ``undo_depth - k`` blocks below the tip, and back to ``undo_depth`` as
the new branch grows), and that it appends its own entry to ``reorgs``, the log that lets a
reader tell a client which heights were rolled back.

Readers should hold a read transaction only as long as one request takes: an open read
transaction pins the pages of its snapshot, so LMDB cannot reuse them and the file grows,
and growing the map waits for the readers of the writing process to finish.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager

import lmdb

from indexer.scan import outpoint_from_utxo_key
from indexer.store_config import ChainIdentity, StoreConfig
from indexer.store_errors import (
    CorruptStoreError,
    RollbackBelowSnapshotError,
    RollbackError,
    RollbackTooDeepError,
    StoreBusyError,
    StoreError,
    StoreWriteError,
)
from indexer.store_reader import StoreReader, check_identity, read_identity, write_identity
from indexer.store_schema import DB_NAMES, U32, Tip, decode_block
from indexer.store_view import Databases, PinnedTxn, StoreView, Txn
from indexer.store_write import WriteSession, apply_block, rollback_blocks
from protocol.state import UTXO_PREFIX, BlockEffects
from protocol.tx import Transaction

log = logging.getLogger(__name__)

WRITER_LOCK = "writer.lock"
_LOAD_REPORT_EVERY = 1_000_000


class Batch:
    """Blocks applied in one write transaction, each with its own undo record.

    :attr:`view` reads the transaction being built, so the machine computing a block sees
    the writes of the blocks applied before it in the same batch.
    """

    def __init__(self, store: Store, session: WriteSession) -> None:
        self._store = store
        self._session = session
        self.heights: list[int] = []

    @property
    def view(self) -> StoreView:
        return self._session.view

    @property
    def tip(self) -> Tip | None:
        return self._session.view.tip()

    def apply(self, effects: BlockEffects, transactions: Sequence[Transaction] = ()) -> None:
        """Apply one block's effects; an exception aborts the whole batch.

        ``transactions`` (those the machine applied) let the indexes record each message
        and the scripts of outpoints bound and spent within the block.
        """
        first, depth = self._store.identity.activation_height, self._store.undo_depth
        txs = tuple(transactions)
        self._session.run(
            lambda s: apply_block(
                s, effects, first_height=first, undo_depth=depth, transactions=txs
            )
        )
        self.heights.append(effects.height)

    def describe(self) -> str:
        if not self.heights:
            return "an empty batch"
        if len(self.heights) == 1:
            return f"block {self.heights[0]:,}"
        return f"blocks {self.heights[0]:,}..{self.heights[-1]:,}"


class Store(StoreReader):
    """The writable store; one per path, held by the process that follows the chain.

    Not thread-safe for writing: one thread applies blocks and rolls back. Any thread may
    :meth:`read`; a thread must not hold a read transaction open while it writes, since
    growing the map waits for this process's read transactions to end.
    """

    def __init__(
        self,
        config: StoreConfig,
        env: lmdb.Environment,
        dbs: Databases,
        identity: ChainIdentity,
        lock_fd: int,
    ) -> None:
        super().__init__(config, env, dbs, identity)
        self._lock_fd = lock_fd
        self._session: WriteSession | None = None
        self._live = self._load_live_outpoints()

    @property
    def undo_depth(self) -> int:
        return self._config.undo_depth

    @property
    def live_outpoints(self) -> AbstractSet[bytes]:
        """Outpoints with a UTXO record, including an open batch's writes.

        Each is 36 bytes in the form a transaction input serializes its prevout: txid in
        internal byte order + vout u32 little-endian, so the scanner tests an input with one
        slice and one lookup (the UTXO keys write vout big-endian; is_live takes that form).
        """
        return self._live

    def is_live(self, outpoint: bytes) -> bool:
        """``outpoint`` in protocol form (vout big-endian)."""
        return outpoint_from_utxo_key(UTXO_PREFIX + outpoint) in self._live

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Apply several blocks in one write transaction, committed when the block ends."""
        batch: Batch | None = None
        with self._writing(lambda: batch.describe() if batch else "an empty batch") as session:
            batch = Batch(self, session)
            yield batch

    def apply_block(self, effects: BlockEffects, transactions: Sequence[Transaction] = ()) -> None:
        with self.batch() as batch:
            batch.apply(effects, transactions)

    def apply_blocks(self, blocks: Iterable[BlockEffects]) -> None:
        with self.batch() as batch:
            for effects in blocks:
                batch.apply(effects)

    def load(self, op: Callable[[WriteSession], None], what: str) -> None:
        """Run ``op`` in one write transaction of its own (a snapshot import: see
        :mod:`indexer.snapshot`); it commits whole or not at all."""
        with self._writing(lambda: what) as session:
            session.run(op)

    def rollback_to(self, height: int) -> Tip | None:
        """Undo every block above ``height`` in one transaction; returns the new tip.

        ``height`` may be one below the activation height, which empties the state.
        Raises RollbackTooDeepError, changing nothing, if undo for a needed height was pruned.
        """
        first = self.identity.activation_height
        with self.read() as view:
            tip = view.tip()
            oldest = view.oldest_undo_height()
            base = view.first_block_height()
        top = first - 1 if tip is None else tip.height
        if height == top:
            return tip
        if not first - 1 <= height < top:
            raise RollbackError(
                f"cannot roll back to height {height:,}: the store holds heights {first:,}..{top:,}"
            )
        if base is not None and base > first and height < base:
            raise RollbackBelowSnapshotError(
                f"cannot roll back to height {height:,}: this store was imported from a "
                f"snapshot of height {base:,} and has no undo below it; import an older "
                "snapshot, or resync from the activation height into a new store path"
            )
        if oldest is None or oldest > height + 1:
            kept = "for no height" if oldest is None else f"from height {oldest:,} on"
            raise RollbackTooDeepError(
                f"rolling back to height {height:,} needs the undo of heights "
                f"{height + 1:,}..{top:,}, but the store keeps undo {kept} (undo depth "
                f"{self.undo_depth:,}): the reorg is deeper than the undo depth; resync the "
                "indexer into a new store path"
            )
        with self._writing(lambda: f"the rollback to height {height:,}") as session:
            session.run(lambda s: rollback_blocks(s, target=height, first_height=first))
            new_tip = session.view.tip()
        log.info("rolled back from height %s to %s", f"{top:,}", f"{height:,}")
        return new_tip

    def close(self) -> None:
        if self._session is not None:
            self._session.abort()
        super().close()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    @contextmanager
    def _writing(self, describe: Callable[[], str]) -> Iterator[WriteSession]:
        if self._session is not None:
            raise StoreError("a write batch is already open on this store; finish it first")
        session = WriteSession(self._env, self._dbs, self._live, self._grow_map)
        self._session = session
        try:
            yield session
            try:
                session.commit()
            except lmdb.Error as exc:
                raise self._write_error(exc, describe()) from exc
        except BaseException:
            session.abort()
            raise
        finally:
            self._session = None

    def _grow_map(self) -> None:
        old = self._env.info()["map_size"]
        with self._gate.exclusive(self._config.grow_wait_seconds, "growing the store map"):
            self._env.set_mapsize(old * 2)
        log.info("store map grown from %s to %s bytes", f"{old:,}", f"{old * 2:,}")

    def _write_error(self, exc: lmdb.Error, what: str) -> StoreWriteError:
        code = errno.errorcode.get(exc.code, str(exc.code)) if exc.code > 0 else "LMDB"
        free = shutil.disk_usage(self._config.path).free
        try:
            tip = self.tip()
            where = "before the first block" if tip is None else f"at height {tip.height:,}"
        except lmdb.Error:
            where = "at its last committed block"
        return StoreWriteError(
            f"could not write {what} to the store at {self._config.path}: {exc} ({code}; "
            f"{free:,} bytes free there; a full disk shows as ENOSPC, or as EIO after a short "
            f"write). Nothing of it was written: the store is intact {where}. Free disk space "
            "(or raise the file size limit), then restart the indexer."
        )

    def _load_live_outpoints(self) -> set[bytes]:
        start = time.monotonic()
        live: set[bytes] = set()
        with self.read() as view:
            bound = view.state_entries()
            for key, _ in view.state_items(UTXO_PREFIX):
                live.add(outpoint_from_utxo_key(key))
                if len(live) % _LOAD_REPORT_EVERY == 0:
                    rate = len(live) / max(time.monotonic() - start, 1e-9)
                    log.info(
                        "loading live outpoints: %s of at most %s, %s/s, ETA at most %.0f s",
                        f"{len(live):,}",
                        f"{bound:,}",
                        f"{rate:,.0f}",
                        (bound - len(live)) / rate,
                    )
        elapsed = time.monotonic() - start
        log.info(
            "loaded %s live outpoints in %.2f s (%s/s)",
            f"{len(live):,}",
            elapsed,
            f"{len(live) / max(elapsed, 1e-9):,.0f}",
        )
        return live


def open_store(config: StoreConfig, identity: ChainIdentity) -> Store:
    """Open the store for writing, creating it for ``identity`` if the path holds none.

    Raises StoreBusyError if another process writes it, ChainMismatchError if it belongs
    to another network or chain, CorruptStoreError if its tip and block records disagree.
    """
    config.path.mkdir(parents=True, exist_ok=True)
    lock_fd = _take_writer_lock(config)
    try:
        env = lmdb.open(
            str(config.path),
            map_size=config.initial_map_size,
            max_dbs=len(DB_NAMES),
            max_readers=config.max_readers,
        )
        try:
            # Readers killed without closing leave slots that pin old pages: free them.
            env.reader_check()
            with env.begin(write=True) as txn:
                dbs = _init_databases(env, txn, identity, config)
            return Store(config, env, dbs, identity, lock_fd)
        except BaseException:
            env.close()
            raise
    except BaseException:
        os.close(lock_fd)
        raise


def _take_writer_lock(config: StoreConfig) -> int:
    fd = os.open(config.path / WRITER_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreBusyError(
            f"another process has the store at {config.path} open for writing; "
            "run one indexer per store"
        ) from None
    return fd


def _init_databases(
    env: lmdb.Environment, txn: Txn, identity: ChainIdentity, config: StoreConfig
) -> Databases:
    # The main database lists the named ones: empty means nobody created this store yet.
    fresh = txn.stat()["entries"] == 0
    dbs = Databases.open(env, txn, create=True)
    if fresh:
        write_identity(txn, dbs, identity)
        log.info("created a %s store at %s", identity.network.value, config.path)
    check_identity(read_identity(txn, dbs, config.path), identity, config.path)
    _check_tip(txn, dbs, config)
    return dbs


def _check_tip(txn: Txn, dbs: Databases, config: StoreConfig) -> None:
    tip = StoreView(PinnedTxn(txn), dbs).tip()
    cursor = txn.cursor(dbs.blocks)
    last = decode_block(U32.unpack(cursor.key())[0], cursor.value()) if cursor.last() else None
    if tip != (None if last is None else Tip(last.height, last.block_hash, last.state_hash)):
        raise CorruptStoreError(
            f"the store at {config.path} has tip {tip} but its last block record is {last}"
        )
