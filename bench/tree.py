"""Benchmark of the state tree in the LMDB store: root updates, proofs, size per entry.

Run from the repository root::

    .venv/bin/python -m bench.tree [--entries 1000000] [--per-block 10000] [--blocks 5]

It loads a state of ``--entries`` entries (in blocks of 50,000), then applies
``--blocks`` blocks each writing ``--per-block`` entries (40% new, 40% deleted, 20%
changed), each in its own durable write transaction through the store, and prints: the
root update time per block (the tree update alone, reading nodes from LMDB), the whole
block's apply-and-commit time, proof generation and verification times, the proof sizes
of present and absent keys, the time to roll the last block back, and the store's bytes per
state entry (state and tree
databases, and the whole file). The entries are contract storage slots (prefix 06, 41-byte
keys, 32-byte values): the tree treats every prefix alike, and these keep the address
indexes of UTXO records out of the figures. The machine is shared: figures vary.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from pathlib import Path

from indexer.store import Batch, Store, open_store
from indexer.store_config import ChainIdentity, StoreConfig
from protocol.events import events_hash, state_hash
from protocol.params import PROTOCOL_VERSION, Network
from protocol.state import BlockEffects, Write
from protocol.tree import prove, update
from protocol.tree_proof import verify

IDENTITY = ChainIdentity(Network.REGTEST, 1, PROTOCOL_VERSION, bytes(32))
LOAD_BLOCK = 50_000


CONTRACT = bytes.fromhex("0000006400000001")


def record(n: int) -> bytes:
    return n.to_bytes(32, "big")


def key_of(n: int) -> bytes:
    return b"\x06" + CONTRACT + hashlib.sha256(n.to_bytes(8, "big")).digest()


def apply(
    batch: Batch, height: int, changes: dict[bytes, bytes | None], previous: bytes
) -> tuple[float, float]:
    """One block of ``changes`` through the tree and the store; returns the tree update's
    wall-clock and CPU seconds (the CPU time leaves out waiting for a shared machine)."""
    keys = sorted(changes)
    writes = tuple(Write(key, changes[key]) for key in keys)
    undo = tuple(Write(key, batch.view.get(key)) for key in keys)
    started, cpu = time.perf_counter(), time.process_time()
    tree = update(batch.view, ((write.key, write.value) for write in writes))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    block_hash = hashlib.sha256(b"block %d" % height).digest()
    empty = events_hash(())
    batch.apply(
        BlockEffects(
            height=height,
            block_hash=block_hash,
            events=(),
            events_hash=empty,
            state_hash=state_hash(previous, block_hash, empty, tree.root),
            state_root=tree.root,
            writes=writes,
            undo=undo,
            nodes=tree.writes,
            outputs=(),
        )
    )
    return elapsed, cpu


def load(store: Store, entries: int) -> int:
    """Fill the state with ``entries`` records; returns the next height."""
    started = time.perf_counter()
    height = 1
    for first in range(0, entries, LOAD_BLOCK):
        with store.batch() as batch:
            tip = batch.tip
            changes: dict[bytes, bytes | None] = {
                key_of(n): record(n) for n in range(first, min(first + LOAD_BLOCK, entries))
            }
            apply(batch, height, changes, bytes(32) if tip is None else tip.state_hash)
        height += 1
        done = min(first + LOAD_BLOCK, entries)
        rate = done / (time.perf_counter() - started)
        print(
            f"  loaded {done:,} of {entries:,} entries, {rate:,.0f}/s, "
            f"ETA {(entries - done) / rate:,.0f} s",
            flush=True,
        )
    return height


def db_bytes(store: Store, name: bytes) -> tuple[int, int]:
    """(bytes in pages, entries) of one named database."""
    env = store._env
    with env.begin() as txn:
        stat = txn.stat(env.open_db(name, txn=txn, create=False))
    pages = stat["branch_pages"] + stat["leaf_pages"] + stat["overflow_pages"]
    return pages * stat["psize"], stat["entries"]


def sizes(label: str, proofs: list[bytes]) -> str:
    lengths = [len(proof) for proof in proofs]
    return (
        f"{label}: mean {statistics.fmean(lengths):,.0f} B, min {min(lengths):,} B, "
        f"max {max(lengths):,} B"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.tree", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--per-block", type=int, default=10_000)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--proofs", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        config = StoreConfig(Path(tmp) / "store", initial_map_size=1 << 33)
        with open_store(config, IDENTITY) as store:
            print(f"loading {args.entries:,} state entries")
            height = load(store, args.entries)
            live = list(range(args.entries))
            fresh = args.entries
            tree_times: list[float] = []
            cpu_times: list[float] = []
            block_times: list[float] = []
            for _ in range(args.blocks):
                created, spent, changed = (args.per_block * 2 // 5,) * 2 + (args.per_block // 5,)
                rng.shuffle(live)
                changes: dict[bytes, bytes | None] = {key_of(n): None for n in live[:spent]}
                changes.update({key_of(n): record(n + 1) for n in live[spent : spent + changed]})
                changes.update({key_of(n): record(n) for n in range(fresh, fresh + created)})
                live = live[spent:] + list(range(fresh, fresh + created))
                fresh += created
                started = time.perf_counter()
                with store.batch() as batch:
                    tip = batch.tip
                    assert tip is not None
                    wall, cpu = apply(batch, height, changes, tip.state_hash)
                tree_times.append(wall)
                cpu_times.append(cpu)
                block_times.append(time.perf_counter() - started)
                height += 1
            print(
                f"blocks writing {args.per_block:,} entries over {len(live):,}: root update "
                f"{statistics.fmean(tree_times):.2f} s/block (min {min(tree_times):.2f}, max "
                f"{max(tree_times):.2f}), {statistics.fmean(cpu_times):.2f} s CPU/block; "
                "whole block applied and committed "
                f"{statistics.fmean(block_times):.2f} s/block"
            )
            with store.read() as view:
                root = view.block(height - 1)
                assert root is not None
                present = [key_of(n) for n in rng.sample(live, args.proofs)]
                absent = [key_of(fresh + n) for n in range(args.proofs)]
                started = time.perf_counter()
                proofs = [prove(view, key) for key in present]
                per_proof = (time.perf_counter() - started) / len(present)
                gaps = [prove(view, key) for key in absent]
                values = [view.get(key) for key in present]
            started = time.perf_counter()
            for key, value, proof in zip(present, values, proofs, strict=True):
                verify(root.state_root, key, value, proof)
            per_verify = (time.perf_counter() - started) / len(present)
            for key, proof in zip(absent, gaps, strict=True):
                verify(root.state_root, key, None, proof)
            print(
                f"proof generation {per_proof * 1e6:,.0f} µs/proof, "
                f"verification {per_verify * 1e6:,.0f} µs/proof"
            )
            print(sizes("inclusion proofs", proofs))
            print(sizes("non-inclusion proofs", gaps))
            started = time.perf_counter()
            store.rollback_to(height - 2)
            print(
                f"rollback of one such block (state undo replayed through the tree, root "
                f"checked): {time.perf_counter() - started:.2f} s"
            )
            state_bytes, entries = db_bytes(store, b"state")
            tree_bytes, nodes = db_bytes(store, b"tree")
            total = (Path(tmp) / "store" / "data.mdb").stat().st_size
            print(
                f"store per state entry ({entries:,} entries, {nodes:,} tree records): state "
                f"{state_bytes / entries:,.0f} B, tree {tree_bytes / entries:,.0f} B, "
                f"data.mdb {total / entries:,.0f} B"
            )


if __name__ == "__main__":
    main()
