"""Benchmark: end-to-end catch-up from a real regtest node, against its two bounds.

    python -m bench.sync --blocks 100                   # btcd, then bitcoind; ~6 min
    python -m bench.sync --blocks 100 --kind bitcoind   # one node kind

For each node kind, builds ``--blocks`` big mainnet-like blocks (about 1 MB, thousands of
transactions, witness-heavy; a token deploy, then two open mints per block, one per carriage)
on a fresh regtest node, then measures in one run, ``--rounds`` times (each figure is the median
of the rounds; the ratio is each round's own, its median printed with all of them):

1. catch-up: the real follow loop into a fresh LMDB store, in a child process, whose peak
   RSS is reported together with that of the block fetch process it starts
   (:mod:`indexer.fetch_process`): their sum is the figure held against the target; and
   how many blocks that process walked (the follow loop walked the others);
2. fetch: a bare loop that only fetches the same raw blocks over the same transport
   (REST when the node serves it, else ``getblock <hash> 0``), prefetching as the indexer
   does, after the catch-up so both find the node's caches equally warm;
3. scan: the raw block scanner alone over the same bytes in memory, with the live set the
   catch-up ended with; the fastest of three passes.

Targets, against every node kind: catch-up >= 0.8 of the slower of fetch and scan (the
pipeline hides the other); peak RSS < 500 MB. The machine may be shared: a round's three
passes run back to back so that they meet the same load.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cbor2

from bench.child import add_child_arguments, child_config, config_of, peak_rss_mb, run_child
from indexer.config import Config
from indexer.node_thread import NodeThread
from indexer.progress import Progress
from indexer.runtime import follower, node_settings, opened
from indexer.scan import outpoint_from_utxo_key, scan_block
from indexer.store_config import StoreConfig
from indexer.store_reader import open_reader
from protocol.state import UTXO_PREFIX
from regtest.bulk import BulkBlockFactory, BulkConfig, Carrier, Payload
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.mining import Miner
from regtest.node import NodeConfig, NodeInfo, RegtestNode

log = logging.getLogger("bench.sync")
#: The scan bound is the fastest of this many passes: a pass slowed by someone else's load
#: would lower the bound and flatter the ratio.
SCAN_PASSES = 3


def _message(operation: dict[int, object]) -> bytes:
    payload: bytes = cbor2.dumps({0: 1, 1: [operation]}, canonical=True)
    return payload


def build_chain(node: NodeRpc, blocks: int, target_size: int) -> tuple[int, int]:
    """Mine the chain; return (first big block height, last height)."""
    factory = BulkBlockFactory(
        Miner(node, b"\x51"), Key.derive("bench-sync"), BulkConfig(target_size)
    )
    with factory:
        factory.bootstrap()
        deploy = {0: 1, 1: "BENCH", 3: 10**15, 4: {0: 1000, 1: 10**9}}
        first = factory.next_block([Payload(Carrier.OP_RETURN, _message(deploy))])
        txids = [tx.txid_hex for tx in first.block.txs]
        token = [first.block.height, txids.index(first.payload_txids[0])]
        started = time.monotonic()
        for index in range(2, blocks + 1):
            mint = _message({0: 2, 1: token})
            built = factory.next_block(
                [Payload(Carrier.OP_RETURN, mint), Payload(Carrier.ENVELOPE, mint)]
            )
            if index % 20 == 0 or index == blocks:
                rate = index / (time.monotonic() - started)
                log.info(
                    "built %s/%s blocks (%s txs in the last); %.2f blocks/s",
                    f"{index:,}",
                    f"{blocks:,}",
                    f"{len(built.block.txs):,}",
                    rate,
                )
        factory.flush()
    return first.block.height, first.block.height + blocks - 1


def fetch_only(config: Config, first: int, last: int) -> tuple[float, int, list[bytes]]:
    node = NodeThread(node_settings(config))
    try:
        started = time.perf_counter()
        raws = [raw for _, _, raw in node.blocks(first, last, config.prefetch)]
        return time.perf_counter() - started, sum(map(len, raws)), raws
    finally:
        node.close()


def catch_up_child(args: argparse.Namespace) -> None:
    """Runs in the child: index first..last into a fresh store, print figures as JSON."""
    config = config_of(args)
    # As `rootstate index` opens them: the fetch process starts while the store opens.
    with opened(config, catch_up=True) as (node, store):
        follow = follower(config, store, node, Progress(interval=30))
        started = time.perf_counter()
        follow.catch_up(until=args.last)
        seconds = time.perf_counter() - started
        tip = store.tip()
        assert tip is not None and tip.height == args.last
        result: dict[str, object] = {
            "seconds": seconds,
            "blocks": follow.stats.blocks,
            "bytes": follow.stats.bytes,
            "walked_by_fetcher": follow.stats.blocks_walked_by_fetcher,
            "state_hash": tip.state_hash.hex(),
            "live_outpoints": len(store.live_outpoints),
            "peak_rss_mb": peak_rss_mb(),
        }
    # After close: the fetch process has been waited for, so it counts among the children.
    result["fetcher_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def run(args: argparse.Namespace, kind: NodeKind) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="rootstate-bench-") as scratch,
        RegtestNode(NodeConfig(kind, workdir=Path(scratch) / "node")) as info,
    ):
        node = NodeRpc(info.rpc())
        try:
            log.info("building %s blocks of ~%s bytes", f"{args.blocks:,}", f"{args.target_size:,}")
            first, last = build_chain(node, args.blocks, args.target_size)
        finally:
            node.close()
        rounds = [
            measure_round(info, Path(scratch) / f"data-{n}", first, last)
            for n in range(1, args.rounds + 1)
        ]
    return aggregate(kind, rounds)


def measure_round(info: NodeInfo, data_dir: Path, first: int, last: int) -> dict[str, Any]:
    """One catch-up, fetch and scan of first..last, back to back so that they share the
    machine's load of the moment."""
    config = child_config(info.rpc_url, info.rpc_user, info.rpc_password, data_dir, first)
    log.info("catch-up pass (child process)")
    caught = run_child("bench.sync", info, data_dir, first, last)
    # After the catch-up, so both passes find the node's caches equally warm.
    log.info("fetch-only pass over heights %s..%s", f"{first:,}", f"{last:,}")
    fetch_s, total, raws = fetch_only(config, first, last)
    live = _live_set(config.store_path)
    log.info("scan-only passes over the same bytes in memory (the fastest of %s)", SCAN_PASSES)
    scan_s = min(_scan_seconds(raws, live) for _ in range(SCAN_PASSES))
    count = len(raws)
    rates = {
        "fetch": count / fetch_s,
        "scan": count / scan_s,
        "catch_up": caught["blocks"] / caught["seconds"],
    }
    log.info(
        "round: fetch %.1f, scan %.1f, catch-up %.1f blocks/s = %.2f x min(fetch, scan)",
        rates["fetch"],
        rates["scan"],
        rates["catch_up"],
        rates["catch_up"] / min(rates["fetch"], rates["scan"]),
    )
    return {"count": count, "bytes": total, "rates": rates, "caught": caught}


def _scan_seconds(raws: list[bytes], live: frozenset[bytes]) -> float:
    started = time.perf_counter()
    for raw in raws:
        scan_block(raw, live)
    return time.perf_counter() - started


def aggregate(kind: NodeKind, rounds: list[dict[str, Any]]) -> dict[str, object]:
    """Each figure's median over the rounds, and every round's ratio."""
    count, total = rounds[0]["count"], rounds[0]["bytes"]
    hashes = {r["caught"]["state_hash"] for r in rounds}
    if len(hashes) != 1:
        raise AssertionError(f"the rounds ended in different states: {sorted(hashes)}")

    def rate(name: str) -> float:
        return statistics.median(float(r["rates"][name]) for r in rounds)

    ratios = [r["rates"]["catch_up"] / min(r["rates"]["fetch"], r["rates"]["scan"]) for r in rounds]
    indexer_rss = max(r["caught"]["peak_rss_mb"] for r in rounds)
    fetcher_rss = max(r["caught"]["fetcher_peak_rss_mb"] for r in rounds)
    mb = total / 1e6
    return {
        "node": kind.value,
        "rounds": len(rounds),
        "blocks": count,
        "mb": mb,
        "mb_per_block": mb / count,
        "fetch_blocks_per_s": rate("fetch"),
        "fetch_mb_per_s": rate("fetch") * mb / count,
        "scan_blocks_per_s": rate("scan"),
        "scan_mb_per_s": rate("scan") * mb / count,
        "catch_up_blocks_per_s": rate("catch_up"),
        "catch_up_mb_per_s": rate("catch_up") * mb / count,
        "catch_up_vs_fetch": statistics.median(
            r["rates"]["catch_up"] / r["rates"]["fetch"] for r in rounds
        ),
        "catch_up_vs_scan": statistics.median(
            r["rates"]["catch_up"] / r["rates"]["scan"] for r in rounds
        ),
        "catch_up_vs_slower_bound": statistics.median(ratios),
        "round_ratios": ratios,
        "peak_rss_mb": indexer_rss + fetcher_rss,
        "indexer_peak_rss_mb": indexer_rss,
        "fetcher_peak_rss_mb": fetcher_rss,
        "walked_by_fetcher": [r["caught"]["walked_by_fetcher"] for r in rounds],
        "live_outpoints": rounds[0]["caught"]["live_outpoints"],
        "state_hash": hashes.pop(),
    }


def _live_set(store_path: Path) -> frozenset[bytes]:
    with open_reader(StoreConfig(path=store_path)) as reader, reader.read() as view:
        return frozenset(outpoint_from_utxo_key(k) for k, _ in view.state_items(UTXO_PREFIX))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sync", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--blocks", type=int, default=200)
    parser.add_argument("--target-size", type=int, default=1_000_000)
    parser.add_argument(
        "--rounds", type=int, default=5, help="catch-up, fetch and scan passes (medians shown)"
    )
    parser.add_argument("--kind", choices=[*(k.value for k in NodeKind), "both"], default="both")
    add_child_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.child:
        catch_up_child(args)
        return
    kinds = list(NodeKind) if args.kind == "both" else [NodeKind(args.kind)]
    results = [run(args, kind) for kind in kinds]
    print(json.dumps(results, indent=2))
    for figures in results:
        print(summary(figures))


def summary(figures: dict[str, object]) -> str:
    f: dict[str, Any] = figures
    return (
        f"{f['node']}: {f['blocks']:,} blocks of {f['mb_per_block']:.2f} MB, "
        f"median of {f['rounds']} rounds | "
        f"fetch alone {f['fetch_blocks_per_s']:.1f} blocks/s | "
        f"scan alone {f['scan_blocks_per_s']:.1f} blocks/s | "
        f"catch-up {f['catch_up_blocks_per_s']:.1f} blocks/s ({f['catch_up_mb_per_s']:.1f} MB/s) "
        f"= {f['catch_up_vs_slower_bound']:.2f} x min(fetch, scan) "
        f"(rounds: {', '.join(f'{r:.2f}' for r in f['round_ratios'])}) | "
        f"walked by the fetch process: {', '.join(map(str, f['walked_by_fetcher']))} "
        f"of {f['blocks']:,} | "
        f"peak RSS {f['peak_rss_mb']:.0f} MB "
        f"(indexer {f['indexer_peak_rss_mb']:.0f} + fetcher {f['fetcher_peak_rss_mb']:.0f})"
    )


if __name__ == "__main__":
    main()
