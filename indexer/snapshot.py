"""Verified snapshots: export the state at the tip, import it into a new store (spec §26).

An import recomputes the state root from the entries (:mod:`protocol.tree`) and refuses the
snapshot unless it equals the root the header claims, and unless the header's state hash
commits to that root (spec §11.2); :func:`check_against` compares the header with what
independent indexers report for the block. Everything an import writes — state, tree,
outputs, the derived indexes, the block record and the tip — commits in one transaction, and
a refused import removes the store it created, so nothing half-imported is ever left.

The imported store starts at the snapshot's block: it holds no events or undo up to it, so
history up to that height is not served (the block record keeps its event count) and a reorg
below it needs a resync.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from indexer.snapshot_format import Snapshot, SnapshotError, SnapshotHeader, write_snapshot
from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity, StoreConfig
from indexer.store_errors import InvalidEffectsError
from indexer.store_index import index_block, prepare
from indexer.store_reader import StoreReader
from indexer.store_schema import META_TIP, BlockRecord, Tip, encode_block, encode_tip, height_key
from indexer.store_write import WriteSession
from protocol.events import state_hash
from protocol.params import GENESIS_STATE_HASH, Network
from protocol.state import UTXO_PREFIX, BlockEffects, Write
from protocol.tree import root_of, update

#: State entries per tree update and index pass during an import (bounds their memory).
IMPORT_CHUNK = 50_000
#: GET an indexer's block record at a height: its JSON, or an exception naming what failed.
BlockFetch = Callable[[str, int], Any]


def export_snapshot(reader: StoreReader, path: Path) -> SnapshotHeader:
    """Write the state at the store's tip to ``path``; returns the header written."""
    identity = reader.identity
    with reader.read() as view:
        tip = view.tip()
        record = None if tip is None else view.block(tip.height)
        if tip is None or record is None:
            raise SnapshotError("the store holds no block yet: there is no state to export")
        if tip.height == identity.activation_height:
            previous = GENESIS_STATE_HASH
        else:
            before = view.block(tip.height - 1)
            if before is None:
                raise SnapshotError(f"the store lacks the block record of {tip.height - 1:,}")
            previous = before.state_hash
        state = list(view.state_items())
        outputs = list(view.output_items())
    header = SnapshotHeader(
        network=identity.network.value,
        activation_height=identity.activation_height,
        protocol_version=identity.protocol_version,
        genesis_hash=identity.genesis_hash,
        height=record.height,
        block_hash=record.block_hash,
        previous_state_hash=previous,
        events_hash=record.events_hash,
        event_count=record.event_count,
        state_hash=record.state_hash,
        state_root=record.state_root,
        state_entries=len(state),
        output_entries=len(outputs),
    )
    write_snapshot(path, header, state, outputs)
    return header


def check_header(header: SnapshotHeader) -> None:
    """spec §11.2: the header's state hash must commit to its block and its root."""
    expected = state_hash(
        header.previous_state_hash, header.block_hash, header.events_hash, header.state_root
    )
    if expected != header.state_hash:
        raise SnapshotError(
            f"the snapshot header is inconsistent: its state hash {header.state_hash.hex()} does "
            f"not commit to its block and state root (they give {expected.hex()})"
        )


def check_against(header: SnapshotHeader, indexers: Iterable[str], fetch: BlockFetch) -> None:
    """Refuse unless every indexer reports the header's block, state hash and root."""
    claimed = {
        "hash": header.block_hash[::-1].hex(),
        "state_hash": header.state_hash.hex(),
        "state_root": header.state_root.hex(),
    }
    for base in indexers:
        block = fetch(base, header.height)
        for name, value in claimed.items():
            if block.get(name) != value:
                raise SnapshotError(
                    f"indexer {base} reports {name} {block.get(name)} at height "
                    f"{header.height:,}, the snapshot claims {value}: refused"
                )


def identity_of(header: SnapshotHeader) -> ChainIdentity:
    try:
        network = Network(header.network)
    except ValueError:
        raise SnapshotError(f"the snapshot is of unknown network {header.network!r}") from None
    return ChainIdentity(
        network, header.activation_height, header.protocol_version, header.genesis_hash
    )


def import_snapshot(config: StoreConfig, snapshot: Snapshot) -> Tip:
    """Build a new store at ``config.path`` from ``snapshot``; refuse it (leaving no store
    behind) unless the recomputed root is the claimed one."""
    header = snapshot.header
    check_header(header)
    identity = identity_of(header)
    if (config.path / "data.mdb").exists():
        raise SnapshotError(
            f"a store already exists at {config.path}: import into a new, empty path"
        )
    created = not config.path.exists()
    try:
        with open_store(config, identity) as store:
            _load(store, snapshot)
            tip = store.tip()
    except BaseException:
        _remove_store(config.path, created)
        raise
    assert tip is not None
    return tip


def _remove_store(path: Path, created: bool) -> None:
    if created:
        shutil.rmtree(path, ignore_errors=True)
        return
    for name in ("data.mdb", "lock.mdb", "writer.lock"):
        (path / name).unlink(missing_ok=True)


def _load(store: Store, snapshot: Snapshot) -> None:
    header = snapshot.header
    scripts = dict(snapshot.outputs)
    # Token records before the UTXO records that hold them: the indexes count holders per
    # token, and a token's first sight resets its counts.
    ordered = [e for e in snapshot.state if e[0][:1] != UTXO_PREFIX] + [
        e for e in snapshot.state if e[0][:1] == UTXO_PREFIX
    ]

    def load(session: WriteSession) -> None:
        txn, dbs = session.txn, session.dbs
        for first in range(0, len(ordered), IMPORT_CHUNK):
            chunk = ordered[first : first + IMPORT_CHUNK]
            _load_chunk(session, header, chunk, scripts)
        for outpoint in scripts:
            if not session.is_live(outpoint):
                raise SnapshotError(
                    f"the snapshot names a script for outpoint {outpoint.hex()}, which holds "
                    "no UTXO record"
                )
        root = root_of(session.view)
        if root != header.state_root:
            raise SnapshotError(
                f"the snapshot's entries give state root {root.hex()}, but its header claims "
                f"{header.state_root.hex()}: refused"
            )
        record = BlockRecord(
            header.height,
            header.block_hash,
            header.state_hash,
            header.events_hash,
            header.event_count,
            root,
        )
        txn.put(height_key(header.height), encode_block(record), db=dbs.blocks)
        txn.put(header.block_hash, height_key(header.height), db=dbs.block_heights)
        tip = Tip(header.height, header.block_hash, header.state_hash)
        txn.put(META_TIP, encode_tip(tip), db=dbs.meta)

    store.load(load, f"the snapshot of height {header.height:,}")


def _load_chunk(
    session: WriteSession,
    header: SnapshotHeader,
    chunk: list[tuple[bytes, bytes]],
    scripts: dict[bytes, bytes],
) -> None:
    txn, dbs = session.txn, session.dbs
    writes = tuple(Write(key, value) for key, value in chunk)
    bound = tuple(
        (key[1:], scripts[key[1:]])
        for key, _ in chunk
        if key[:1] == UTXO_PREFIX and key[1:] in scripts
    )
    effects = BlockEffects(
        height=header.height,
        block_hash=header.block_hash,
        events=(),
        events_hash=header.events_hash,
        state_hash=header.state_hash,
        state_root=header.state_root,
        writes=writes,
        undo=tuple(Write(key, None) for key, _ in chunk),
        nodes=(),
        outputs=bound,
    )
    try:
        indexed = prepare(effects, [None] * len(chunk), ())
    except InvalidEffectsError as exc:
        raise SnapshotError(f"the snapshot's state is malformed: {exc}") from None
    for key, value in chunk:
        session.set_state(key, value)
    index_block(txn, dbs, indexed, [])
    for outpoint, script in bound:
        session.set_output(outpoint, script)
    for position, record in update(session.view, chunk).writes:
        if record is None:
            txn.delete(position, db=dbs.tree)
        else:
            txn.put(position, record, db=dbs.tree)
