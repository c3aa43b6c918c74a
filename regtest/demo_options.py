"""The demo's command line, parsed with the standard library alone, so that
``regtest/demo --help`` and a mistyped option answer before anything is installed.

    python3 -m regtest.demo_options [ARGS...]    # exit 0 if ARGS are valid, else 2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from regtest.launch import NodeKind

DESCRIPTION = """\
Quickstart: a private regtest chain, indexed by rootstate and served by its API.

Starts a regtest node (Bitcoin Core unless --node btcd) in a temporary directory, then
`rootstate run` (the indexer and the HTTP API in one process) against it, then makes sample
activity: an open-mint token deployed by OP_RETURN, an issuer token deployed by a taproot
envelope, mints, a transfer, a one-block reorg that replaces a transfer with another, and the
example AMM contract published by envelope for two tokens, with liquidity added and a swap each
way. It prints the node's RPC URL and credentials (Core: its cookie file), a ready
configuration file for `rootstate --config FILE ...`, the API's URLs, three requests to try and
a curl that simulates one more swap (POST /v1/contracts/ID/simulate), then keeps serving,
mining an empty block every few seconds, until Ctrl-C or SIGTERM, which stop the node and the
indexer and delete the temporary directory. With --once it checks that every printed URL
answers, then stops everything and exits: the URLs do not answer afterwards (a smoke test, not
a server).
"""


@dataclass(frozen=True)
class DemoOptions:
    node: NodeKind
    api_port: int
    mine_every: float
    #: None: until Ctrl-C or SIGTERM.
    exit_after: float | None
    once: bool


def parse(argv: Sequence[str] | None) -> DemoOptions:
    parser = argparse.ArgumentParser(
        prog="regtest/demo",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--node",
        choices=[k.value for k in NodeKind],
        default=NodeKind.BITCOIND.value,
        help="the regtest node (default: bitcoind, as most operators run)",
    )
    parser.add_argument("--api-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--mine-every", type=float, default=10.0, metavar="SECONDS")
    ending = parser.add_mutually_exclusive_group()
    ending.add_argument(
        "--once", action="store_true", help="check the URLs answer, then stop everything"
    )
    ending.add_argument("--exit-after", type=float, metavar="SECONDS", help="serve, then exit")
    args = parser.parse_args(argv)
    if not 0 <= args.api_port < 65536 or args.mine_every < 0:
        parser.error("--api-port must be a TCP port (0: any free one), --mine-every >= 0")
    if args.exit_after is not None and args.exit_after < 0:
        parser.error("--exit-after must be >= 0")
    exit_after = 0.0 if args.once else args.exit_after
    return DemoOptions(NodeKind(args.node), args.api_port, args.mine_every, exit_after, args.once)


if __name__ == "__main__":
    parse(sys.argv[1:])
