"""Benchmark of the LMDB store: apply, batch, rollback and reopen, on synthetic blocks.

Run from the repository root::

    .venv/bin/python -m bench.store [--blocks N] [--utxos-per-block K] [--batch B]

Every block spends K/2 UTXO records of earlier blocks (once there are enough) and creates K
new ones, each with an address-index entry, a credit event and the derived indexes: the
churn of a busy protocol block. The store lives in a temporary directory on the same file
system as the system's temp dir, with the default durable commits (fsync per transaction).
It prints blocks/s
one block per transaction, blocks/s in batches, the time to roll back the undo depth's worth
of blocks, and the live-outpoint load rate on reopen. The machine is shared: figures vary.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from indexer.store import open_store
from indexer.store_config import ChainIdentity, StoreConfig
from protocol.events import EventType, balance_event, encode_event
from protocol.params import PROTOCOL_VERSION, Network
from protocol.records import UtxoAssets
from protocol.state import BlockEffects, Write, utxo_key

IDENTITY = ChainIdentity(Network.REGTEST, 1, PROTOCOL_VERSION, bytes(32))
SCRIPT = bytes.fromhex("0014") + bytes(20)
TOKEN = bytes.fromhex("0000000100000001")
RECORD = UtxoAssets(((TOKEN, 1_000),)).encode()


def synthetic_chain(blocks: int, per_block: int) -> list[BlockEffects]:
    live: list[tuple[bytes, bytes]] = []
    chain: list[BlockEffects] = []
    for height in range(1, blocks + 1):
        spent, live = live[: per_block // 2], live[per_block // 2 :]
        created = [
            (utxo_key(hashlib.sha256(b"%d:%d" % (height, n)).digest(), n), RECORD)
            for n in range(per_block)
        ]
        live.extend(created)
        changes = sorted(
            [(key, None, value) for key, value in spent]
            + [(key, value, None) for key, value in created]
        )
        chain.append(
            BlockEffects(
                height=height,
                block_hash=hashlib.sha256(b"block %d" % height).digest(),
                events=tuple(
                    encode_event(balance_event(EventType.CREDIT, key[1:33], key[1:], TOKEN, 1_000))
                    for key, _ in created
                ),
                events_hash=bytes(32),
                state_hash=bytes(32),
                writes=tuple(Write(key, new) for key, new, _ in changes),
                undo=tuple(Write(key, old) for key, _, old in changes),
                outputs=tuple((key[1:], SCRIPT) for key, _ in created),
            )
        )
    return chain


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--blocks", type=int, default=2_000)
    parser.add_argument("--utxos-per-block", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    chain = synthetic_chain(args.blocks, args.utxos_per_block)
    half = len(chain) // 2
    writes = sum(len(e.writes) for e in chain)
    print(f"{len(chain):,} blocks, {writes:,} state writes, {args.utxos_per_block:,} UTXOs/block")
    with tempfile.TemporaryDirectory() as tmp:
        config = StoreConfig(Path(tmp) / "store")
        with open_store(config, IDENTITY) as store:

            def singles() -> None:
                for effects in chain[:half]:
                    store.apply_block(effects)

            single = timed(singles)
            print(f"one block per transaction: {half / single:,.0f} blocks/s")

            def batches() -> None:
                for first in range(half, len(chain), args.batch):
                    store.apply_blocks(chain[first : first + args.batch])

            batched = timed(batches)
            print(f"batches of {args.batch:,}: {(len(chain) - half) / batched:,.0f} blocks/s")
            live = len(store.live_outpoints)
        reopen = timed(lambda: open_store(config, IDENTITY).close())
        print(f"reopen with {live:,} live outpoints: {reopen:.2f} s ({live / reopen:,.0f}/s)")
        with open_store(config, IDENTITY) as store:
            depth = min(config.undo_depth, len(chain) - 1)
            back = timed(lambda: store.rollback_to(chain[-1].height - depth))
            print(f"rollback of {depth:,} blocks in one transaction: {back:.2f} s")


if __name__ == "__main__":
    main()
