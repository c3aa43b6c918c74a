"""Fill a regtest node with big mainnet-like blocks and report how fast that went.

    python -m regtest.make_chain --blocks 200                 # temporary btcd node
    python -m regtest.make_chain --blocks 200 --keep-running  # then serve it until Ctrl-C
    python -m regtest.make_chain --rpc-url http://127.0.0.1:18443 --rpc-user u --rpc-password p

btcd deletes its regtest chain whenever it starts, so a chain meant to outlive this
command needs bitcoind (or --keep-running).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from contextlib import ExitStack

from regtest.bulk import BulkBlockFactory, BulkConfig, Carrier, Payload
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.mining import Miner
from regtest.node import NodeConfig, RegtestNode
from regtest.rpc import RpcClient

log = logging.getLogger("regtest.make_chain")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _payloads(height_index: int, per_block: int) -> list[Payload]:
    carriers = (Carrier.OP_RETURN, Carrier.ENVELOPE)
    return [
        Payload(carriers[i % 2], f"bench payload {height_index}/{i}".encode() * (1 + i % 2) * 20)
        for i in range(per_block)
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=100, help="big blocks to mine")
    parser.add_argument("--target-size", type=int, default=1_000_000, help="bytes per block")
    parser.add_argument(
        "--payloads-per-block", type=int, default=2, help="protocol payloads per block"
    )
    parser.add_argument("--kind", choices=[k.value for k in NodeKind], default="btcd")
    parser.add_argument("--rpc-url", help="use this running node instead of starting one")
    parser.add_argument("--rpc-user", default="")
    parser.add_argument("--rpc-password", default="")
    parser.add_argument("--keep-running", action="store_true", help="serve the node afterwards")
    args = parser.parse_args(argv)
    if args.blocks < 1:
        parser.error("--blocks must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with ExitStack() as stack:
        if args.rpc_url:
            rpc = RpcClient(args.rpc_url, args.rpc_user, args.rpc_password)
        else:
            info = stack.enter_context(RegtestNode(NodeConfig(NodeKind(args.kind))))
            log.info(
                "started %s: %s (user %s, password %s)",
                args.kind,
                info.rpc_url,
                info.rpc_user,
                info.rpc_password,
            )
            rpc = info.rpc()
        node = NodeRpc(rpc)
        stack.callback(node.close)
        config = BulkConfig(target_size=args.target_size)
        factory = stack.enter_context(
            BulkBlockFactory(Miner(node, b"\x51"), Key.derive("make-chain"), config)
        )
        factory.bootstrap()
        started = time.monotonic()
        total_txs = total_bytes = 0
        for index in range(1, args.blocks + 1):
            built = factory.next_block(_payloads(index, args.payloads_per_block))
            total_txs += len(built.block.txs)
            total_bytes += len(built.block.serialize())
            elapsed = time.monotonic() - started
            if index % 10 == 0 or index == args.blocks:
                rate = index / elapsed
                log.info(
                    "block %s/%s at height %s: %s txs, %.1f MB total; %.2f blocks/s, "
                    "%s tx/s, %.2f MB/s; ETA %s",
                    f"{index:,}",
                    f"{args.blocks:,}",
                    f"{built.block.height:,}",
                    f"{len(built.block.txs):,}",
                    total_bytes / 1e6,
                    rate,
                    f"{total_txs / elapsed:,.0f}",
                    total_bytes / 1e6 / elapsed,
                    _duration((args.blocks - index) / rate),
                )
        factory.flush()
        log.info(
            "done: %s blocks, %s txs, %.1f MB in %s; tip %s",
            f"{args.blocks:,}",
            f"{total_txs:,}",
            total_bytes / 1e6,
            _duration(time.monotonic() - started),
            node.best_block_hash(),
        )
        if args.keep_running and not args.rpc_url:
            log.info("serving the node until Ctrl-C")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                log.info("stopping")


if __name__ == "__main__":
    main()
