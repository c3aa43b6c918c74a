"""Benchmark of the pending view: per-arrival latency, rebuild after a block, memory.

Run from the repository root::

    .venv/bin/python -m bench.mempool [--txs 100000] [--protocol 10000]

Building 100,000 real transactions in a node's mempool takes far longer than the figures
it would measure, so the benchmark feeds the layer synthetic but valid transactions (real
serializations, parsed by the protocol's parser, applied by the real machine over a real
LMDB store) through the entry point the ZMQ and polling feeds use,
:meth:`indexer.mempool_layer.MempoolLayer.update`, one arrival per call with a fresh store
snapshot each time, as the ZMQ feed makes one call per notification. Node RPC is not
included. The machine is the v1 one (tokens): these transactions call no contract.

The store holds one open-mint token and 6/10 of ``--protocol`` confirmed token UTXOs (one
mint each). The mempool then receives, shuffled, ``--txs`` transactions: that many
transfers spending those UTXOs, 2/10 children each spending a pending transfer's output
(CPFP chains), 2/10 new mints, and plain payments for the rest. It prints p50/p99/max per
arriving transaction (all, and protocol ones alone), the rebuild time after a block that
confirms a tenth of the pending protocol transactions, and RSS. Figures vary on a shared
machine.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.mempool_layer import MempoolLayer
from indexer.mempool_state import MempoolTx
from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity, StoreConfig
from protocol.contracts import v1_machine
from protocol.machine import Machine
from protocol.params import GENESIS_STATE_HASH, PROTOCOL_VERSION, Network
from protocol.tx import Transaction, compact_size, parse_transaction
from regtest.payloads import deploy_open, message, mint, transfer
from regtest.script import rootstate_op_return

FIRST = 100
IDENTITY = ChainIdentity(Network.REGTEST, FIRST, PROTOCOL_VERSION, bytes(32))
PER_MINT = 1_000


def p2tr(n: int) -> bytes:
    return b"\x51\x20" + hashlib.sha256(b"key %d" % n).digest()


def raw_tx(inputs: list[tuple[bytes, int]], outputs: list[tuple[int, bytes]]) -> bytes:
    """A version-2 transaction without witnesses (scripts are never checked here)."""
    body = [struct.pack("<i", 2), compact_size(len(inputs))]
    for txid, vout in inputs:
        body += [txid, struct.pack("<I", vout), b"\x00", struct.pack("<I", 0xFFFFFFFD)]
    body.append(compact_size(len(outputs)))
    for value, script in outputs:
        body += [struct.pack("<q", value), compact_size(len(script)), script]
    body.append(struct.pack("<I", 0))
    return b"".join(body)


def coin(n: int) -> tuple[bytes, int]:
    return hashlib.sha256(b"coin %d" % n).digest(), 0


@dataclass
class Setup:
    store: Store
    mints: list[Transaction]  # confirmed, each holding PER_MINT on output 1
    token: tuple[int, int]


def build_store(path: Path, utxos: int) -> Setup:
    store = open_store(StoreConfig(path, undo_depth=20), IDENTITY)
    machine = v1_machine()
    deploy = parse_transaction(
        raw_tx(
            [coin(0)],
            [(0, rootstate_op_return(message(deploy_open("BENCH", 10**15, PER_MINT, 10**7))))],
        )
    )
    token = (FIRST, 1)
    blocks: list[list[Transaction]] = [[deploy]]
    mints = []
    for n in range(utxos):
        payload = message(mint(token))
        tx = parse_transaction(
            raw_tx([coin(1 + n)], [(0, rootstate_op_return(payload)), (546, p2tr(n))])
        )
        mints.append(tx)
        if len(blocks[-1]) >= 1_000 or blocks[-1][0] is deploy:
            blocks.append([])
        blocks[-1].append(tx)
    state_hash = GENESIS_STATE_HASH
    for offset, txs in enumerate(blocks):
        state_hash = apply_block(store, machine, FIRST + offset, state_hash, txs)
    return Setup(store, mints, token)


def apply_block(
    store: Store, machine: Machine, height: int, previous: bytes, txs: list[Transaction]
) -> bytes:
    with store.batch() as batch:
        effects = machine.apply_block(
            batch.view,
            previous,
            height,
            hashlib.sha256(b"block %d" % height).digest(),
            [(i + 1, tx) for i, tx in enumerate(txs)],
        )
        batch.apply(effects, txs)
    return effects.state_hash


def mempool_stream(setup: Setup, total: int, protocol: int, seed: int) -> list[MempoolTx]:
    rng = random.Random(seed)
    transfers = len(setup.mints)
    children = protocol * 2 // 10
    new_mints = protocol - transfers - children
    items: list[tuple[bytes, int]] = []
    parents: list[bytes] = []
    for n, minted in enumerate(setup.mints):
        payload = message(transfer(setup.token, 100 + n % 50, 2))
        raw = raw_tx(
            [(minted.txid, 1), coin(10_000_000 + n)],
            [(0, rootstate_op_return(payload)), (546, p2tr(n)), (546, p2tr(n + 1))],
        )
        items.append((raw, rng.randrange(200, 20_000)))
        parents.append(raw)
    for n in range(new_mints):
        payload = message(mint(setup.token))
        items.append(
            (
                raw_tx([coin(20_000_000 + n)], [(0, rootstate_op_return(payload)), (546, p2tr(n))]),
                rng.randrange(200, 20_000),
            )
        )
    for n in range(total - protocol):
        outputs = [(10_000 + n, p2tr(n)), (5_000, p2tr(n + 7))]
        items.append((raw_tx([coin(30_000_000 + n)], outputs), rng.randrange(200, 20_000)))
    rng.shuffle(items)
    position = {raw: i for i, (raw, _) in enumerate(items)}
    late: list[tuple[int, tuple[bytes, int]]] = []
    for n in range(children):
        parent = parse_transaction(parents[n])
        raw = raw_tx([(parent.txid, 2), coin(40_000_000 + n)], [(546, p2tr(n + 3))])
        late.append((rng.randrange(position[parents[n]] + 1, len(items) + 1), (raw, 50_000)))
    for at, item in sorted(late, key=lambda pair: pair[0], reverse=True):
        items.insert(at, item)
    return [MempoolTx(raw, parse_transaction(raw), fee, len(raw)) for raw, fee in items]


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(total: int, protocol: int, seed: int) -> None:
    with tempfile.TemporaryDirectory(prefix="rootstate-bench-mempool-") as scratch:
        started = time.perf_counter()
        setup = build_store(Path(scratch) / "store", protocol * 6 // 10)
        stream = mempool_stream(setup, total, protocol, seed)
        print(
            f"setup: {len(setup.mints):,} confirmed token UTXOs, {len(stream):,} mempool "
            f"transactions built in {time.perf_counter() - started:.1f} s"
        )
        layer = MempoolLayer(v1_machine(), 256 << 20)
        store = setup.store
        rss_before = rss_bytes()
        all_ms: list[float] = []
        protocol_ms: list[float] = []
        protocol_cpu_ms: list[float] = []
        for item in stream:
            raw = item.raw
            c0 = time.thread_time()
            t0 = time.perf_counter()
            # What the feed does per arrival: parse, one store snapshot, one update.
            arrived = MempoolTx(raw, parse_transaction(raw), item.fee, item.vsize)
            with store.read() as view:
                tip = view.tip()
                assert tip is not None
                layer.update(view, (tip.height, tip.block_hash), [arrived], [])
            elapsed = (time.perf_counter() - t0) * 1000
            all_ms.append(elapsed)
            if item.txid in layer.state.entries:
                protocol_ms.append(elapsed)
                protocol_cpu_ms.append((time.thread_time() - c0) * 1000)
        kept = len(layer.state.entries)
        print(f"pending protocol transactions kept: {kept:,} of {len(stream):,} arrivals")
        for name, values in (
            ("all arrivals, wall", all_ms),
            ("protocol arrivals, wall", protocol_ms),
            ("protocol arrivals, CPU", protocol_cpu_ms),
        ):
            print(
                f"per arriving tx ({name}): p50 {percentile(values, 0.5):.3f} ms, "
                f"p99 {percentile(values, 0.99):.3f} ms, max {max(values):.1f} ms"
            )
        # A block confirming the first tenth of the pending protocol transactions (in
        # application order, so every parent comes with or before its child).
        confirmed = [e.item.tx for e in list(layer.state.entries.values())[: kept // 10]]
        with store.read() as view:
            tip = view.tip()
            assert tip is not None
            previous = view.block(tip.height)
        assert previous is not None
        apply_block(store, v1_machine(), tip.height + 1, previous.state_hash, confirmed)
        t0, c0 = time.perf_counter(), time.process_time()
        with store.read() as view:
            new_tip = view.tip()
            assert new_tip is not None
            layer.update(
                view, (new_tip.height, new_tip.block_hash), [], [tx.txid for tx in confirmed]
            )
        rebuild, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"rebuild after a block confirming {len(confirmed):,}: {rebuild:.2f} s wall "
            f"({cpu:.2f} s CPU) for "
            f"{len(layer.state.entries):,} remaining pending protocol transactions"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(
            f"RSS: {rss_bytes() / 2**20:,.0f} MiB now, {peak / 2**20:,.0f} MiB peak "
            f"({(rss_bytes() - rss_before) / 2**20:,.0f} MiB grown while the mempool arrived, "
            "the arrival list included); the view's own estimate "
            f"{layer.state.used / 2**20:,.1f} MiB (cap 256 MiB)"
        )
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--txs", type=int, default=100_000, help="mempool transactions")
    parser.add_argument("--protocol", type=int, default=10_000, help="of which protocol ones")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 10 <= args.protocol <= args.txs:
        parser.error("--protocol must be at least 10 and at most --txs")
    run(args.txs, args.protocol, args.seed)


if __name__ == "__main__":
    main()
