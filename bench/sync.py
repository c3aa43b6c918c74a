"""Benchmark: end-to-end catch-up from a real regtest node, against its two bounds.

    python -m bench.sync --blocks 100                   # btcd, then bitcoind; ~6 min
    python -m bench.sync --blocks 100 --kind bitcoind   # one node kind
    python -m bench.sync --blocks 600 --kind bitcoind --profile   # where the loop's time goes

The blocks' ordinary traffic spends the mints' outputs, so tokens spread through it: the
transactions the follow loop must apply per block grow with the chain (5 in the first tenth
of 200 blocks, 60 in the last; 152 at block 600), and with them its cost. The loop's table
per tenth shows both, so that a cost growing faster than the work stands out.

For each node kind, builds ``--blocks`` big mainnet-like blocks (about 1 MB, thousands of
transactions, witness-heavy; a token deploy, then two open mints per block, one per carriage)
on a fresh regtest node, then measures in one run, ``--rounds`` times (each figure is the median
of the rounds; the ratio is each round's own, its median printed with all of them):

1. ``rootstate index``: the command as a user runs it, its defaults, a fresh store, progress
   on a terminal (:mod:`bench.cli_run`), timed from before its process starts to the live
   line at the last height, so start-up counts; its peak RSS (with its fetch process) and
   CPU. This is the catch-up held against the targets;
2. loop: the follow loop alone into a fresh LMDB store, in a child process, timed from its
   first block to its last (start-up excluded), with how many blocks the fetch process
   walked (the follow loop walked the others): where the command's time goes beside it;
3. fetch: a bare loop that only fetches the same raw blocks over the same transport
   (REST when the node serves it, else ``getblock <hash> 0``), prefetching as the indexer
   does, after the catch-up so both find the node's caches equally warm;
4. scan: the raw block scanner alone over the same bytes in memory, with the live set the
   catch-up ended with; the fastest of three passes.

Targets, against every node kind: ``rootstate index`` >= 0.8 of the slower of fetch and scan (the
pipeline hides the other); peak RSS < 500 MB. The machine may be shared: a round's three
passes run back to back so that they meet the same load.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import pstats
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cbor2

from bench.child import add_child_arguments, child_config, config_of, peak_rss_mb, run_child
from bench.cli_run import index_command, run_index
from bench.sync_tenths import TenthsProgress, tenths_table
from indexer.config import Config
from indexer.follow import FollowStats
from indexer.node_thread import NodeThread
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
        stats = FollowStats()
        progress = TenthsProgress(config.start_height, args.last, config.store_path, stats)
        follow = follower(config, store, node, progress)
        follow.stats = stats
        profile = cProfile.Profile() if args.profile else None
        if profile is not None:
            # The blocks are applied on the contract engine's thread, inside _apply_range.
            apply_range = follow._apply_range
            follow._apply_range = lambda *a: profile.runcall(apply_range, *a)  # type: ignore[method-assign]
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
            "tenths": progress.tenths,
            "profile": None if profile is None else profile_summary(profile, follow.stats.blocks),
        }
    # After close: the fetch process has been waited for, so it counts among the children.
    result["fetcher_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def profile_summary(profile: cProfile.Profile, blocks: int, top: int = 25) -> str:
    """The follow loop's functions by own time, in ms per block."""
    stats = pstats.Stats(profile)
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:top]  # type: ignore[attr-defined]
    lines = [f"{'own ms/block':>12} {'total ms/block':>14} {'calls/block':>11}  function"]
    for (path, line, name), (_, calls, own, total, _) in rows:
        where = f"{Path(path).name}:{line}({name})" if line else name
        lines.append(
            f"{own / blocks * 1000:>12.3f} {total / blocks * 1000:>14.3f} "
            f"{calls / blocks:>11.1f}  {where}"
        )
    return "\n".join(lines)


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
            measure_round(info, Path(scratch) / f"data-{n}", first, last, args.profile)
            for n in range(1, args.rounds + 1)
        ]
    return aggregate(kind, rounds)


def measure_round(
    info: NodeInfo, data_dir: Path, first: int, last: int, profile: bool
) -> dict[str, Any]:
    """One ``rootstate index``, loop, fetch and scan of first..last, back to back so that
    they share the machine's load of the moment."""
    command = index_command(info.rpc_url, info.rpc_user, info.rpc_password, data_dir / "cli", first)
    log.info("rootstate index pass (its defaults, a fresh store, progress on a terminal)")
    cli = run_index(command, last)
    cli_tip = _tip(data_dir / "cli" / "regtest")
    log.info("loop pass (the follow loop alone, in a child process)")
    extra = ("--profile",) if profile else ()
    caught = run_child("bench.sync", info, data_dir / "loop", first, last, *extra)
    if cli_tip != (last, caught["state_hash"]):
        raise AssertionError(f"rootstate index ended at {cli_tip}, the loop at {caught}")
    # After the catch-ups, so all passes find the node's caches equally warm.
    config = child_config(info.rpc_url, info.rpc_user, info.rpc_password, data_dir / "loop", first)
    log.info("fetch-only pass over heights %s..%s", f"{first:,}", f"{last:,}")
    fetch_s, total, raws = fetch_only(config, first, last)
    live = _live_set(config.store_path)
    log.info("scan-only passes over the same bytes in memory (the fastest of %s)", SCAN_PASSES)
    scan_s = min(_scan_seconds(raws, live) for _ in range(SCAN_PASSES))
    del raws
    count = last - first + 1
    rates = {
        "fetch": count / fetch_s,
        "scan": count / scan_s,
        "cli": count / cli.seconds,
        "loop": caught["blocks"] / caught["seconds"],
    }
    bound = min(rates["fetch"], rates["scan"])
    log.info(
        "round: fetch %.1f, scan %.1f, rootstate index %.1f (%.2f x min), loop %.1f (%.2f x min)"
        " blocks/s; index start-up %.2f s, CPU %.1f s, peak RSS %.0f MB",
        rates["fetch"],
        rates["scan"],
        rates["cli"],
        rates["cli"] / bound,
        rates["loop"],
        rates["loop"] / bound,
        cli.start_seconds,
        cli.cpu_seconds,
        cli.peak_rss_mb,
    )
    return {"count": count, "bytes": total, "rates": rates, "caught": caught, "cli": cli}


def _tip(store_path: Path) -> tuple[int, str] | None:
    with open_reader(StoreConfig(path=store_path)) as reader:
        tip = reader.tip()
    return None if tip is None else (tip.height, tip.state_hash.hex())


def _scan_seconds(raws: list[bytes], live: frozenset[bytes]) -> float:
    started = time.perf_counter()
    for raw in raws:
        scan_block(raw, live)
    return time.perf_counter() - started


def aggregate(kind: NodeKind, rounds: list[dict[str, Any]]) -> dict[str, object]:
    """Each figure's median over the rounds, and every round's ratios."""
    count, total = rounds[0]["count"], rounds[0]["bytes"]
    hashes = {r["caught"]["state_hash"] for r in rounds}
    if len(hashes) != 1:
        raise AssertionError(f"the rounds ended in different states: {sorted(hashes)}")

    def rate(name: str) -> float:
        return statistics.median(float(r["rates"][name]) for r in rounds)

    def ratios(name: str) -> list[float]:
        return [r["rates"][name] / min(r["rates"]["fetch"], r["rates"]["scan"]) for r in rounds]

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
        "index_blocks_per_s": rate("cli"),
        "index_mb_per_s": rate("cli") * mb / count,
        "index_vs_slower_bound": statistics.median(ratios("cli")),
        "index_round_ratios": ratios("cli"),
        "index_cpu_s": statistics.median(r["cli"].cpu_seconds for r in rounds),
        "index_start_s": statistics.median(r["cli"].start_seconds for r in rounds),
        "index_peak_rss_mb": max(r["cli"].peak_rss_mb for r in rounds),
        "loop_blocks_per_s": rate("loop"),
        "loop_vs_slower_bound": statistics.median(ratios("loop")),
        "loop_round_ratios": ratios("loop"),
        "loop_peak_rss_mb": indexer_rss + fetcher_rss,
        "walked_by_fetcher": [r["caught"]["walked_by_fetcher"] for r in rounds],
        "live_outpoints": rounds[0]["caught"]["live_outpoints"],
        "state_hash": hashes.pop(),
        "loop_tenths": median_tenths([r["caught"]["tenths"] for r in rounds]),
        "loop_profile": rounds[-1]["caught"]["profile"],
    }


def median_tenths(per_round: list[list[dict[str, float]]]) -> list[dict[str, float]]:
    """Each tenth's figures, each the median over the rounds."""
    return [
        {name: statistics.median(t[name] for t in tenth) for name in tenth[0]}
        for tenth in zip(*per_round, strict=True)
    ]


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
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the loop pass (cProfile: slows it) and print where its time goes per block",
    )
    add_child_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.child:
        catch_up_child(args)
        return
    kinds = list(NodeKind) if args.kind == "both" else [NodeKind(args.kind)]
    results = [run(args, kind) for kind in kinds]
    print(json.dumps(results, indent=2, default=str))
    for figures in results:
        f: dict[str, Any] = figures
        print(f"{f['node']}: the loop pass per tenth of the range (medians of the rounds)")
        print(tenths_table(f["loop_tenths"]))
        if f["loop_profile"]:
            print(f"{f['node']}: where the loop's time goes (the last round, under cProfile)")
            print(f["loop_profile"])
    for figures in results:
        print(summary(figures))


def summary(figures: dict[str, object]) -> str:
    f: dict[str, Any] = figures

    def listed(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    return (
        f"{f['node']}: {f['blocks']:,} blocks of {f['mb_per_block']:.2f} MB, "
        f"median of {f['rounds']} rounds | "
        f"fetch alone {f['fetch_blocks_per_s']:.1f} blocks/s | "
        f"scan alone {f['scan_blocks_per_s']:.1f} blocks/s | "
        f"rootstate index {f['index_blocks_per_s']:.1f} blocks/s ({f['index_mb_per_s']:.1f} MB/s) "
        f"= {f['index_vs_slower_bound']:.2f} x min(fetch, scan) "
        f"(rounds: {listed(f['index_round_ratios'])}), "
        f"start-up {f['index_start_s']:.2f} s, CPU {f['index_cpu_s']:.1f} s, "
        f"peak RSS {f['index_peak_rss_mb']:.0f} MB | "
        f"loop alone {f['loop_blocks_per_s']:.1f} blocks/s "
        f"= {f['loop_vs_slower_bound']:.2f} x min (rounds: {listed(f['loop_round_ratios'])}), "
        f"walked by the fetch process: {', '.join(map(str, f['walked_by_fetcher']))} "
        f"of {f['blocks']:,}, peak RSS {f['loop_peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
