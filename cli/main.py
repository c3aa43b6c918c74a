"""The ``rootstate`` command: index, status, rollback, verify (and serve/run for the API)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

from cli.serve import cmd_run, cmd_serve
from cli.signals import stop_on_signals
from indexer.config import Config, ConfigError, load_config
from indexer.node import NodeError
from indexer.node_thread import NodeThread
from indexer.progress import Progress
from indexer.runtime import follower, node_settings, opened, store_config
from indexer.store_errors import RollbackTooDeepError, StoreError
from indexer.store_reader import open_reader
from indexer.tip_signal import TipSignal

log = logging.getLogger("rootstate")

SETTING_FLAGS = (
    ("network", str, "mainnet, testnet4, signet or regtest"),
    ("data_dir", str, "where stores live (one per network)"),
    ("rpc_url", str, "node JSON-RPC URL, e.g. http://127.0.0.1:8332"),
    ("rpc_user", str, "RPC user (or use --rpc-cookie-file)"),
    ("rpc_password", str, "RPC password"),
    ("rpc_cookie_file", str, "Bitcoin Core .cookie file"),
    ("rest", str, "use the node's REST interface: auto, on, off"),
    ("prefetch", int, "blocks fetched ahead of the one being applied"),
    ("batch_blocks", int, "blocks per write transaction during catch-up"),
    ("poll_seconds", float, "how often to ask the node for a new tip"),
    ("zmq_url", str, "Bitcoin Core -zmqpubhashblock endpoint, e.g. tcp://127.0.0.1:28332"),
    ("undo_depth", int, "blocks of undo kept for reorgs"),
    ("activation_height", int, "first height applied (overrides the network's)"),
    ("api_host", str, "API listen address"),
    ("api_port", int, "API listen port"),
    ("cors_origins", str, "browser origins allowed to call the API, comma-separated"),
    ("api_max_page_size", int, "most items per page of an API listing"),
    ("api_max_body_bytes", int, "largest API request body"),
    ("api_ready_lag_blocks", int, "blocks behind the node /readyz still accepts"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rootstate", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML configuration file")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    for name, kind, text in SETTING_FLAGS:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, help=text)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("index", help="catch up from the activation height, then follow the tip")
    commands.add_parser("status", help="print the store's tip and the node's height as JSON")
    rollback = commands.add_parser("rollback", help="undo blocks above a height")
    rollback.add_argument("--to", type=int, required=True, metavar="HEIGHT")
    commands.add_parser("verify", help="re-derive state hashes into a scratch store and compare")
    commands.add_parser("serve", help="serve the HTTP API over the store (indexer runs apart)")
    commands.add_parser("run", help="index and serve the HTTP API in one process")
    return parser


def _setup_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    if sys.stderr.isatty():
        fmt = "%(asctime)s %(levelname)s %(message)s"
    else:
        fmt = "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)
    # httpx logs every request at INFO: one line per block fetched.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)


def cmd_index(config: Config) -> int:
    with opened(config) as (node, store), closing(TipSignal(config.zmq_url)) as signal:
        follower(config, store, node, Progress()).follow(stop_on_signals(), signal)
    return 0


def cmd_status(config: Config) -> int:
    status: dict[str, object] = {"network": config.network.value, "store": str(config.store_path)}
    if (config.store_path / "data.mdb").exists():
        with open_reader(store_config(config)) as reader:
            tip = reader.tip()
        status["indexed_height"] = tip.height if tip else None
        status["indexed_hash"] = tip.block_hash[::-1].hex() if tip else None
        status["state_hash"] = tip.state_hash.hex() if tip else None
    else:
        status["indexed_height"] = None
    node = NodeThread(node_settings(config, retry_deadline=5.0))
    try:
        status["node_height"] = node.tip_height()
    except NodeError as exc:
        status["node_error"] = str(exc)
    finally:
        node.close()
    print(json.dumps(status, indent=2))
    return 0


def cmd_rollback(config: Config, height: int) -> int:
    with opened(config) as (_, store):
        tip = store.rollback_to(height)
    print(json.dumps({"height": tip.height if tip else None}))
    return 0


def cmd_verify(config: Config) -> int:
    """Re-derive every state hash from the node and compare with the live store's."""
    with open_reader(store_config(config)) as reader:
        tip = reader.tip()
        if tip is None:
            print("verify: the store is empty; nothing to compare", file=sys.stderr)
            return 1
        with reader.read() as view:
            live = {h: view.block(h) for h in range(config.start_height, tip.height + 1)}
    with (
        tempfile.TemporaryDirectory(prefix="rootstate-verify-") as scratch_dir,
        opened(config, Path(scratch_dir)) as (node, store),
    ):
        follower(config, store, node, Progress()).catch_up(until=tip.height)
        with store.read() as view:
            for height, record in sorted(live.items()):
                fresh = view.block(height)
                if record is None or fresh is None or fresh.state_hash != record.state_hash:
                    print(f"verify: state hash differs at height {height:,}")
                    return 1
    print(f"verify: {len(live):,} state hashes match up to height {tip.height:,}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(args.verbose)
    flags = {name: getattr(args, name) for name, _, _ in SETTING_FLAGS}
    try:
        config = load_config(args.config, flags=flags)
    except ConfigError as exc:
        print(f"rootstate: configuration error: {exc}", file=sys.stderr)
        return 2
    commands: dict[str, Callable[[], int]] = {
        "index": lambda: cmd_index(config),
        "status": lambda: cmd_status(config),
        "rollback": lambda: cmd_rollback(config, args.to),
        "verify": lambda: cmd_verify(config),
        "serve": lambda: cmd_serve(config),
        "run": lambda: cmd_run(config),
    }
    try:
        return commands[args.command]()
    except RollbackTooDeepError as exc:
        print(f"rootstate: stopped: {exc}", file=sys.stderr)
        return 3
    except (StoreError, NodeError) as exc:
        print(f"rootstate: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
