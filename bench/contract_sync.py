"""Benchmark: catch-up of a regtest chain full of AMM swaps, with the module cache cold and warm.

    python -m bench.contract_sync --blocks 20 --swaps 500      # btcd; --kind bitcoind

Builds on a fresh regtest node (blocks assembled here and submitted with submitblock, so
hundreds of chained transactions fit in one block): two issuer tokens, the AMM
(contracts/wasm/amm.wasm) published by taproot envelope, liquidity added, then ``--blocks``
blocks of ``--swaps`` swaps each, every swap spending the previous one's output and
alternating direction. Then the real follow loop catches up into a fresh LMDB store, in a
child process (for its peak RSS), twice: with an empty compiled-module cache (cold) and
with the cache the first pass wrote (warm). Every swap must apply (no rejection event).

Targets (issue 9): >= 1,000 swaps/s end to end; peak RSS < 500 MB. Swaps per CPU-second
of the indexer process (all its threads) is printed too: on a shared, loaded machine wall
time inflates several-fold. ``--profile`` runs the warm pass under cProfile (main thread
only: time the wasm worker thread spends shows as the main thread's lock waits) and prints
where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import cbor2

from api.call_space import PAD_KEY
from bench.child import add_child_arguments, config_of, peak_rss_mb, run_child
from indexer.progress import Progress
from indexer.runtime import engine_for, follower, opened
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.mining import COINBASE_MATURITY, ChainTip, Miner
from regtest.node import NodeConfig, NodeInfo, RegtestNode
from regtest.script import rootstate_op_return
from regtest.spend import Coin, Envelope, KeyPathSpend, sign_inputs
from regtest.tx import OutPoint, Tx, TxIn, TxOut

log = logging.getLogger("bench.contract_sync")

AMM_WASM = Path(__file__).resolve().parent.parent / "contracts" / "wasm" / "amm.wasm"
FEE = 300  # sats per transaction
ENVELOPE_VALUE = 10_000
ADD, SWAP = 1, 2  # the AMM's entry selectors (contracts/README.md)
SWAP_IN = 1_000  # of the input asset per swap
LIQUIDITY = 10**12  # of each token added to the pool
# Event types (spec §10, CONTRACTS.md §20).
REJECTED, CALL = 7, 10


def _message(*ops: dict[int, object]) -> bytes:
    payload: bytes = cbor2.dumps({0: 1, 1: list(ops)}, canonical=True)
    return payload


#: Message padding per call: an AMM swap uses about 330,000 fuel plus its 513,000 start.
CALL_PAD = 800
#: The first liquidity add writes new storage keys (300,000 fuel each, CONTRACTS.md §17.3).
ADD_PAD = 4_000


def _asset(ref: tuple[int, int]) -> bytes:
    """An asset id as contract memory holds it (CONTRACTS.md §17): 8-byte id + sub u32 0."""
    return ref[0].to_bytes(4, "big") + ref[1].to_bytes(4, "big") + bytes(4)


def _call(
    contract: tuple[int, int],
    data: bytes,
    assets: list[tuple[tuple[int, int], int]],
    pad: int = 0,
) -> bytes:
    op = {0: 7, 1: list(contract), 2: data, 3: [[list(r), n] for r, n in assets]}
    # CONTRACTS.md §21.2: the call uses only the fuel the transaction's vsize buys; an
    # ignored odd key (§5.3) pads the message to the ~850 vB a swap needs.
    payload: bytes = cbor2.dumps({0: 1, 1: [op], PAD_KEY: bytes(pad or CALL_PAD)}, canonical=True)
    return payload


class ChainBuilder:
    """Signs key-path spends of one key's coins and mines each list of them as a block."""

    def __init__(self, node: NodeRpc) -> None:
        self.key = Key.derive("bench-contract-sync")
        self.spend = KeyPathSpend.for_key(self.key)
        self.script = self.spend.output.script_pubkey
        self.miner = Miner(node, self.script)
        mined = self.miner.mine(COINBASE_MATURITY + 3, script=self.script)
        self.coins = [(b.coinbase.outpoint(0), b.coinbase.outputs[0].value) for b in mined[:3]]
        self.tip = ChainTip.of(mined[-1])

    def sign(self, spent: list[tuple[OutPoint, int]], outputs: list[TxOut]) -> Tx:
        coins = [Coin(op, TxOut(value, self.script), self.spend) for op, value in spent]
        return sign_inputs(Tx(tuple(TxIn(c.outpoint) for c in coins), tuple(outputs)), coins)

    def pay(self, value: int) -> TxOut:
        return TxOut(value, self.script)

    def mine(self, txs: list[Tx]) -> int:
        block = self.miner.build_on(self.tip, txs, script=self.script)
        self.miner.submit(block)
        self.tip = ChainTip.of(block)
        return block.height


def build_chain(node: NodeRpc, blocks: int, swaps: int) -> tuple[int, int, int]:
    """Mine the chain; return (activation height, last height, swaps mined)."""
    chain = ChainBuilder(node)
    deploys = []
    for ticker, (outpoint, value) in zip(("AAA", "BBB"), chain.coins[:2], strict=True):
        # Fixed supply: all premined to output 1, which also holds the (unused) authority.
        deploy = {0: 1, 1: ticker, 3: 10**15, 5: 1, 6: 10**15, 7: 1}
        op_return = TxOut(0, rootstate_op_return(_message(deploy)))
        deploys.append(chain.sign([(outpoint, value)], [op_return, chain.pay(value - FEE)]))
    first = chain.mine(deploys)
    token_a, token_b = (first, 1), (first, 2)

    init = _asset(token_a) + _asset(token_b) + (30).to_bytes(2, "little")
    code = AMM_WASM.read_bytes()
    # A publish takes 4,500 fuel per module byte (CONTRACTS.md §16.1); each envelope byte buys
    # 250: 18 padding bytes per module byte, and some for the init.
    publish = {0: 1, 1: [{0: 5, 1: code, 2: init}], PAD_KEY: bytes(18 * len(code) + 8_000)}
    envelope = Envelope.create(chain.key, cbor2.dumps(publish, canonical=True))
    outpoint, value = chain.coins[2]
    commit = chain.sign(
        [(outpoint, value)],
        [TxOut(ENVELOPE_VALUE, envelope.script_pubkey), chain.pay(value - ENVELOPE_VALUE - FEE)],
    )
    coin = envelope.coin(commit.outpoint(0), ENVELOPE_VALUE)
    reveal = sign_inputs(Tx((TxIn(coin.outpoint),), (chain.pay(ENVELOPE_VALUE - FEE),)), [coin])
    amm = (chain.mine([commit, reveal]), 2)

    add = _call(
        amm,
        bytes([ADD]) + bytes(16) + bytes(4),
        [(token_a, LIQUIDITY), (token_b, LIQUIDITY)],
        ADD_PAD,
    )
    spent = [(d.outpoint(1), d.outputs[1].value) for d in deploys]
    total = sum(v for _, v in spent)
    funded = chain.sign(spent, [chain.pay(total - FEE), TxOut(0, rootstate_op_return(add))])
    chain.mine([funded])

    wallet = (funded.outpoint(0), funded.outputs[0].value)
    data = bytes([SWAP]) + bytes(16) + bytes(4)  # min out 0, proceeds to output 0
    calls = {
        ref: TxOut(0, rootstate_op_return(_call(amm, data, [(ref, SWAP_IN)])))
        for ref in (token_a, token_b)
    }
    started = time.monotonic()
    last = first
    for n in range(blocks):
        txs = []
        for i in range(swaps):
            ref = token_a if (n * swaps + i) % 2 == 0 else token_b
            tx = chain.sign([wallet], [chain.pay(wallet[1] - FEE), calls[ref]])
            txs.append(tx)
            wallet = (tx.outpoint(0), tx.outputs[0].value)
        last = chain.mine(txs)
        log.info(
            "built %s/%s swap blocks; %s swaps/s signed and mined",
            f"{n + 1:,}",
            f"{blocks:,}",
            f"{(n + 1) * swaps / (time.monotonic() - started):,.0f}",
        )
    return first, last, blocks * swaps


def catch_up_child(args: argparse.Namespace) -> None:
    """In the child: index first..last into a fresh store; print the figures as JSON."""
    config = config_of(args)
    profile = cProfile.Profile() if args.profile else None
    with opened(config, catch_up=True) as (node, store):  # as `rootstate index` opens them
        engine = engine_for(config)
        follow = follower(config, store, node, Progress(interval=30), engine=engine)
        started, cpu_started = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        follow.catch_up(until=args.last)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started  # all threads, the wasm worker's too
        if profile is not None:
            profile.disable()
        tip = store.tip()
        assert tip is not None and tip.height == args.last
        kinds: Counter[int] = Counter()
        reasons: Counter[str] = Counter()
        with store.read() as view:
            for _, _, raw in view.events_after(None):
                event = cbor2.loads(raw)
                kinds[int(event[0])] += 1
                if event[0] == REJECTED:
                    reasons[f"reason {event.get(11)}: {event.get(9)}"] += 1
        result: dict[str, Any] = {
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "blocks": follow.stats.blocks,
            "calls": kinds[CALL],
            "rejected": kinds[REJECTED],
            "rejections": dict(reasons.most_common(3)),
            "compiles": engine.compiles,
            "cache_loads": engine.loads,
            "state_hash": tip.state_hash.hex(),
            "peak_rss_mb": peak_rss_mb(),
        }
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(35)
        print(out.getvalue(), file=sys.stderr)
    print(json.dumps(result))


def _child(
    args: argparse.Namespace, info: NodeInfo, data_dir: Path, profile: bool
) -> dict[str, Any]:
    extra = ["--profile"] if profile else []
    return run_child("bench.contract_sync", info, data_dir, args.first, args.last, *extra)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rootstate-bench-") as scratch:
        node_config = NodeConfig(NodeKind(args.kind), workdir=Path(scratch) / "node")
        with RegtestNode(node_config) as info:
            node = NodeRpc(info.rpc())
            try:
                log.info("building %s blocks of %s swaps", f"{args.blocks:,}", f"{args.swaps:,}")
                args.first, args.last, swaps = build_chain(node, args.blocks, args.swaps)
            finally:
                node.close()
            cold_dir, warm_dir = Path(scratch) / "cold", Path(scratch) / "warm"
            log.info("catch-up, module cache cold (child process)")
            cold = _child(args, info, cold_dir, profile=False)
            shutil.copytree(cold_dir / "modules", warm_dir / "modules")
            log.info("catch-up, module cache warm (child process)")
            warm = _child(args, info, warm_dir, profile=args.profile)
    for name, figures in (("cold", cold), ("warm", warm)):
        # Besides the swaps: the AMM's init at publish and the liquidity call.
        if figures["rejected"] or figures["calls"] != swaps + 2:
            raise SystemExit(
                f"{name} pass: {figures['calls']:,} calls and {figures['rejected']:,} "
                f"rejections, expected {swaps + 2:,} calls (swaps, init, liquidity) and none: "
                f"{figures['rejections']}"
            )
    if cold["state_hash"] != warm["state_hash"]:
        raise SystemExit("the cold and warm passes ended with different state hashes")
    result: dict[str, Any] = {"node": args.kind, "swap_blocks": args.blocks, "swaps": swaps}
    for name, figures in (("cold", cold), ("warm", warm)):
        result[name] = {
            "swaps_per_s": swaps / figures["seconds"],
            "blocks_per_s": figures["blocks"] / figures["seconds"],
            "blocks": figures["blocks"],
            "seconds": figures["seconds"],
            "swaps_per_cpu_s": swaps / figures["cpu_seconds"],
            "compiles": figures["compiles"],
            "cache_loads": figures["cache_loads"],
            "peak_rss_mb": figures["peak_rss_mb"],
        }
    result["state_hash"] = warm["state_hash"]
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.contract_sync", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--blocks", type=int, default=20, help="blocks of swaps")
    parser.add_argument("--swaps", type=int, default=500, help="swaps per block")
    parser.add_argument("--kind", choices=[k.value for k in NodeKind], default="btcd")
    parser.add_argument("--profile", action="store_true", help="profile the warm pass")
    add_child_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.child:
        catch_up_child(args)
        return
    figures = run(args)
    print(json.dumps(figures, indent=2))
    for name in ("cold", "warm"):
        f = figures[name]
        print(
            f"{name}: {figures['swaps']:,} swaps in {f['blocks']:,} blocks, {f['seconds']:,.1f} s: "
            f"{f['swaps_per_s']:,.0f} swaps/s, {f['blocks_per_s']:,.2f} blocks/s "
            f"({f['swaps_per_cpu_s']:,.0f} swaps per CPU-second of the indexer); "
            f"{f['compiles']} compiled, {f['cache_loads']} loaded from the module cache; "
            f"peak RSS {f['peak_rss_mb']:,.0f} MB (targets: >= 1,000 swaps/s, < 500 MB)"
        )


if __name__ == "__main__":
    main()
