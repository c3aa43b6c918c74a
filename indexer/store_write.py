"""Applying and undoing blocks inside one LMDB write transaction.

A :class:`WriteSession` is one write transaction that survives a full map: it remembers the
operations run in it, and when LMDB reports MDB_MAP_FULL it aborts, grows the map and
replays them all in a fresh transaction, so a batch commits whole or not at all. It also
keeps the in-memory live-outpoint set in step with the transaction, and puts it back when
the transaction is aborted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import lmdb

from indexer.scan import outpoint_from_utxo_key
from indexer.store_errors import CorruptStoreError, InvalidEffectsError, StoreError
from indexer.store_index import index_block, index_db, prepare
from indexer.store_schema import (
    HASH_LEN,
    META_TIP,
    OUTPOINT_LEN,
    U32,
    BlockRecord,
    Reorg,
    Tip,
    encode_block,
    encode_reorg,
    encode_tip,
    event_key,
    height_key,
    script_key,
)
from indexer.store_undo import UndoEntry, UndoTarget, decode_undo, encode_undo
from indexer.store_view import Databases, StoreView, Txn
from protocol.state import UTXO_KEY_LEN, UTXO_PREFIX, BlockEffects
from protocol.tree import EMPTY, POSITION, RECORD_LEN, NodeWrite, update
from protocol.tx import Transaction

Operation = Callable[["WriteSession"], None]


class WriteSession:
    """One write transaction, replayed from the start whenever the map has to grow."""

    def __init__(
        self,
        env: lmdb.Environment,
        dbs: Databases,
        live: set[bytes],
        grow_map: Callable[[], None],
    ) -> None:
        self._env = env
        self.dbs = dbs
        self._live = live
        self._grow_map = grow_map
        self._ops: list[Operation] = []
        # (outpoint, was it live) per change to the live set, to put the set back on abort.
        self._journal: list[tuple[bytes, bool]] = []
        self._txn: Txn | None = env.begin(write=True)
        self._closed = "this write batch is closed"
        self.view = StoreView(self, dbs)

    @property
    def txn(self) -> Txn:
        if self._txn is None:
            raise StoreError(self._closed)
        return self._txn

    def run(self, op: Operation) -> None:
        """Run ``op`` in the transaction; any other exception aborts the whole session."""
        self._ops.append(op)
        try:
            op(self)
        except lmdb.MapFullError:
            self._replay()
        except BaseException as exc:
            self.abort()
            self._closed = f"this write batch was aborted by an earlier error: {exc}"
            raise

    def commit(self) -> None:
        """Commit, growing the map as often as needed; lmdb.Error if the disk refuses."""
        while True:
            try:
                self.txn.commit()
            except lmdb.MapFullError:
                self._txn = None
                self._replay()
                continue
            except lmdb.Error:
                self._txn = None
                self._revert_live()
                raise
            self._txn = None
            self._journal.clear()
            # The session is a reference cycle (its view points back at it), so whatever it
            # still holds waits for the garbage collector: the replay list holds every
            # block's effects and transactions of the batch, tens of MB on a catch-up.
            self._ops.clear()
            return

    def abort(self) -> None:
        """Drop everything the session did; safe to call more than once."""
        if self._txn is not None:
            self._txn.abort()
            self._txn = None
        self._revert_live()

    def _replay(self) -> None:
        while True:
            self.abort()
            self._grow_map()
            self._txn = self._env.begin(write=True)
            try:
                for op in self._ops:
                    op(self)
            except lmdb.MapFullError:
                continue
            return

    def _revert_live(self) -> None:
        for outpoint, was_live in reversed(self._journal):
            if was_live:
                self._live.add(outpoint)
            else:
                self._live.discard(outpoint)
        self._journal.clear()

    def is_live(self, outpoint: bytes) -> bool:
        """``outpoint`` in protocol form (vout big-endian)."""
        return outpoint_from_utxo_key(UTXO_PREFIX + outpoint) in self._live

    def set_state(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.txn.delete(key, db=self.dbs.state)
        else:
            self.txn.put(key, value, db=self.dbs.state)
        if key[:1] == UTXO_PREFIX:
            outpoint = outpoint_from_utxo_key(key)
            was_live = outpoint in self._live
            if was_live != (value is not None):
                self._journal.append((outpoint, was_live))
                if was_live:
                    self._live.discard(outpoint)
                else:
                    self._live.add(outpoint)

    def set_output(self, outpoint: bytes, script: bytes | None) -> bytes | None:
        """Set ``outputs`` and the address index together; returns the prior script."""
        txn, dbs = self.txn, self.dbs
        prior = txn.get(outpoint, db=dbs.outputs)
        if prior == script:
            return prior
        if prior is not None:
            txn.delete(script_key(prior, outpoint), db=dbs.scripts)
        if script is None:
            txn.delete(outpoint, db=dbs.outputs)
        else:
            txn.put(outpoint, script, db=dbs.outputs)
            txn.put(script_key(script, outpoint), b"", db=dbs.scripts)
        return prior


def _check_effects(effects: BlockEffects, expected_height: int) -> None:
    where = f"block {effects.block_hash[::-1].hex()} at height {effects.height:,}"
    if effects.height != expected_height:
        raise InvalidEffectsError(
            f"{where} cannot be applied: the store's next height is {expected_height:,}"
        )
    for name in ("block_hash", "state_hash", "events_hash"):
        if len(getattr(effects, name)) != HASH_LEN:
            raise InvalidEffectsError(f"{where}: {name} is not {HASH_LEN} bytes")
    if len(effects.writes) != len(effects.undo):
        raise InvalidEffectsError(
            f"{where}: {len(effects.writes):,} writes but {len(effects.undo):,} undo entries"
        )
    for write, undo in zip(effects.writes, effects.undo, strict=True):
        if write.key != undo.key:
            raise InvalidEffectsError(
                f"{where}: write of key {write.key.hex()} paired with undo of {undo.key.hex()}"
            )
        if write.key[:1] == UTXO_PREFIX and len(write.key) != UTXO_KEY_LEN:
            raise InvalidEffectsError(f"{where}: UTXO key {write.key.hex()} is malformed")
    for outpoint, _ in effects.outputs:
        if len(outpoint) != OUTPOINT_LEN:
            raise InvalidEffectsError(f"{where}: outpoint {outpoint.hex()} is not 36 bytes")
    if len(effects.state_root) != HASH_LEN:
        raise InvalidEffectsError(f"{where}: state_root is not {HASH_LEN} bytes")
    for node_position, record in effects.nodes:
        if len(node_position) != POSITION.size or (
            record is not None and len(record) != RECORD_LEN
        ):
            raise InvalidEffectsError(f"{where}: tree node {node_position.hex()} is malformed")


def apply_block(
    session: WriteSession,
    effects: BlockEffects,
    *,
    first_height: int,
    undo_depth: int,
    transactions: Sequence[Transaction] = (),
) -> None:
    """Write one block's state, indexes, events, undo and tip; prune undo beyond the depth.

    ``transactions`` are the block's transactions the machine applied (any superset of
    those with a carrier or a protocol input); they give the derived indexes the messages
    and the scripts of outpoints bound and spent within the block. Everything is checked
    before the first write, so an error leaves the transaction as it was.
    """
    txn, dbs = session.txn, session.dbs
    tip = session.view.tip()
    _check_effects(effects, first_height if tip is None else tip.height + 1)
    height = effects.height
    known = txn.get(effects.block_hash, db=dbs.block_heights)
    if known is not None:
        raise InvalidEffectsError(
            f"block {effects.block_hash[::-1].hex()} is already applied "
            f"at height {U32.unpack(known)[0]:,}"
        )
    priors = [txn.get(write.key, db=dbs.state) for write in effects.writes]
    for undo, prior in zip(effects.undo, priors, strict=True):
        if undo.value != prior:
            raise InvalidEffectsError(
                f"block at height {height:,}: the undo of key {undo.key.hex()} disagrees with "
                "the store: the effects were computed on another state"
            )
    indexed = prepare(effects, priors, transactions)

    entries: list[UndoEntry] = []
    for write, prior in zip(effects.writes, priors, strict=True):
        session.set_state(write.key, write.value)
        entries.append(UndoEntry(UndoTarget.STATE, write.key, prior))
    index_block(txn, dbs, indexed, entries)
    spent = [w.key[1:] for w in effects.writes if w.value is None and w.key[:1] == UTXO_PREFIX]
    # Only outpoints still carrying assets at the end of the block enter the address index.
    bound = [(op, script) for op, script in effects.outputs if session.is_live(op)]
    for outpoint, script in [(op, None) for op in spent] + bound:
        prior = session.set_output(outpoint, script)
        if prior != script:
            entries.append(UndoEntry(UndoTarget.OUTPUTS, outpoint, prior))

    _write_nodes(txn, dbs, effects.nodes)
    record = BlockRecord(
        height,
        effects.block_hash,
        effects.state_hash,
        effects.events_hash,
        len(effects.events),
        effects.state_root,
    )
    txn.put(height_key(height), encode_block(record), db=dbs.blocks)
    txn.put(effects.block_hash, height_key(height), db=dbs.block_heights)
    for index, event in enumerate(effects.events):
        txn.put(event_key(height, index), event, db=dbs.events)
    txn.put(height_key(height), encode_undo(entries), db=dbs.undo)
    txn.put(META_TIP, encode_tip(Tip(height, effects.block_hash, effects.state_hash)), db=dbs.meta)
    _prune_undo(txn, dbs, below=height - undo_depth + 1)


def _write_nodes(txn: Txn, dbs: Databases, nodes: Iterable[NodeWrite]) -> None:
    for node_position, record in nodes:
        if record is None:
            txn.delete(node_position, db=dbs.tree)
        else:
            txn.put(node_position, record, db=dbs.tree)


def _prune_undo(txn: Txn, dbs: Databases, *, below: int) -> None:
    cursor = txn.cursor(dbs.undo)
    while cursor.first() and U32.unpack(cursor.key())[0] < below:
        cursor.delete()


def rollback_blocks(session: WriteSession, *, target: int, first_height: int) -> None:
    """Undo every block above ``target``, newest first, and make ``target`` the tip.

    The caller has checked that undo is kept for every height above ``target``. The
    rollback is logged in ``reorgs``, the one database a rollback adds to.
    """
    txn, dbs = session.txn, session.dbs
    tip = session.view.tip()
    top = -1 if tip is None else tip.height
    removed: list[bytes] = []
    # Newest block first, so each key ends with the value it had before the oldest one.
    restored: dict[bytes, bytes | None] = {}
    for height in range(top, target, -1):
        record = session.view.block(height)
        undo = txn.get(height_key(height), db=dbs.undo)
        if record is None or undo is None:
            raise CorruptStoreError(f"block record or undo of height {height:,} is missing")
        removed.append(record.block_hash)
        for entry in reversed(decode_undo(undo)):
            if entry.target is UndoTarget.STATE:
                session.set_state(entry.key, entry.prior)
                restored[entry.key] = entry.prior
            elif entry.target is UndoTarget.OUTPUTS:
                session.set_output(entry.key, entry.prior)
            elif entry.prior is None:
                txn.delete(entry.key, db=index_db(dbs, entry.target))
            else:
                txn.put(entry.key, entry.prior, db=index_db(dbs, entry.target))
        for index in range(record.event_count):
            txn.delete(event_key(height, index), db=dbs.events)
        txn.delete(record.block_hash, db=dbs.block_heights)
        txn.delete(height_key(height), db=dbs.blocks)
        txn.delete(height_key(height), db=dbs.undo)
    if removed:
        _log_reorg(txn, dbs, target + 1, removed[::-1])
    tree = update(session.view, restored.items())
    _write_nodes(txn, dbs, tree.writes)
    if target < first_height:
        if tree.root != EMPTY:
            raise CorruptStoreError(f"rolled back to no block, the tree root is {tree.root.hex()}")
        txn.delete(META_TIP, db=dbs.meta)
        return
    record = session.view.block(target)
    if record is None:
        raise CorruptStoreError(f"block record of height {target:,} is missing")
    if tree.root != record.state_root:
        raise CorruptStoreError(
            f"rolling back to height {target:,} gives state root {tree.root.hex()}, but the "
            f"block recorded {record.state_root.hex()}: the store is corrupt"
        )
    txn.put(META_TIP, encode_tip(Tip(target, record.block_hash, record.state_hash)), db=dbs.meta)


def _log_reorg(txn: Txn, dbs: Databases, first: int, hashes: list[bytes]) -> None:
    cursor = txn.cursor(dbs.reorgs)
    sequence = U32.unpack(cursor.key())[0] + 1 if cursor.last() else 1
    reorg = Reorg(sequence, first, first + len(hashes) - 1, tuple(hashes))
    txn.put(U32.pack(sequence), encode_reorg(reorg), db=dbs.reorgs)
